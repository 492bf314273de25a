import Foundation

/// A prompt template with a `{text}` placeholder, applied as Python's `prompt.format(text=text)`
/// (so `{{` and `}}` are literal braces), which is what angle_emb's `encode(prompt=...)` does.
public struct Prompt: Hashable, Sendable, Codable {
    public var template: String

    public init(_ template: String) { self.template = template }

    /// A sentence-transformers prompt: a plain prefix, placed before the text.
    public init(prefix: String) {
        self.template = prefix.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}") + "{text}"
    }

    /// angle_emb's `Prompts.A`.
    public static let a = Prompt("Summarize sentence \"{text}\" in one word:\"")
    /// angle_emb's `Prompts.B`.
    public static let b = Prompt("You can only output one word. Summarize \"{text}\":\"")
    /// angle_emb's `Prompts.C`: the retrieval query prompt of AnglE's BERT-family models.
    public static let c = Prompt("Represent this sentence for searching relevant passages: {text}")

    /// The template with `{text}` replaced by `text`.
    public func apply(to text: String) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + text.utf8.count)
        var i = template.startIndex
        while i < template.endIndex {
            let rest = template[i...]
            if rest.hasPrefix("{text}") {
                out += text
                i = template.index(i, offsetBy: 6)
            } else if rest.hasPrefix("{{") || rest.hasPrefix("}}") {
                out.append(template[i])
                i = template.index(i, offsetBy: 2)
            } else {
                out.append(template[i])
                i = template.index(after: i)
            }
        }
        return out
    }
}

/// The prompts a model uses: separate ones for queries and documents, plus named prompts from
/// `config_sentence_transformers.json` (`prompts`, `default_prompt_name`).
public struct PromptSet: Sendable, Equatable {
    public var query: Prompt?
    public var document: Prompt?
    public var named: [String: Prompt]

    public init(query: Prompt? = nil, document: Prompt? = nil, named: [String: Prompt] = [:]) {
        self.query = query
        self.document = document
        self.named = named
    }

    /// Reads `prompts` from config_sentence_transformers.json when the file exists; "query" and
    /// "document"/"passage" names fill the query/document slots; `default_prompt_name` names the
    /// document prompt when no "document" is given.
    public static func load(from url: URL) throws -> PromptSet {
        guard let data = FileManager.default.contents(atPath: url.path) else { return PromptSet() }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelLoadError.invalidConfiguration(file: url.path, reason: "not a JSON object")
        }
        var set = PromptSet()
        if let prompts = object["prompts"] {
            guard let dict = prompts as? [String: Any] else {
                throw ModelLoadError.invalidConfiguration(file: url.path, reason: "'prompts' is not an object")
            }
            for (name, value) in dict {
                guard let prefix = value as? String else {
                    throw ModelLoadError.invalidConfiguration(file: url.path, reason: "prompt '\(name)' is not a string")
                }
                if !prefix.isEmpty { set.named[name] = Prompt(prefix: prefix) }
            }
        }
        set.query = set.named["query"]
        set.document = set.named["document"] ?? set.named["passage"]
            ?? (object["default_prompt_name"] as? String).flatMap { set.named[$0] }
        return set
    }
}
