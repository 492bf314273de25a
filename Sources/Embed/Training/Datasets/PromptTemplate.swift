/// angle_emb's prompts (`text_prompt`, `query_prompt`, `doc_prompt`): a Python format string
/// applied as `prompt.format(text=…)`. Only the `{text}` placeholder is allowed; `{{` and `}}` are
/// literal braces. Unlike Python, a template without `{text}` is rejected (it would drop every text).
public struct PromptTemplate: Sendable, Equatable {
    public let template: String
    private let pieces: [String]  // literal pieces between `{text}` occurrences

    /// - Parameter option: the setting's name for error messages (e.g. "query_prompt").
    public init(_ template: String, option: String = "prompt") throws {
        var pieces = [String]()
        var current = ""
        var i = template.startIndex
        var sawText = false
        while i < template.endIndex {
            let ch = template[i]
            let next = template.index(after: i)
            if ch == "{" {
                if next < template.endIndex, template[next] == "{" { current.append("{"); i = template.index(after: next); continue }
                guard let close = template[next...].firstIndex(of: "}") else {
                    throw DatasetError.invalidOption(option: option, message: "unmatched '{' in \"\(template)\"")
                }
                let name = template[next..<close]
                guard name == "text" else {
                    throw DatasetError.invalidOption(option: option, message: "unknown placeholder {\(name)} in \"\(template)\" (only {text} is supported)")
                }
                pieces.append(current)
                current = ""
                sawText = true
                i = template.index(after: close)
            } else if ch == "}" {
                guard next < template.endIndex, template[next] == "}" else {
                    throw DatasetError.invalidOption(option: option, message: "single '}' in \"\(template)\" (write '}}')")
                }
                current.append("}")
                i = template.index(after: next)
            } else {
                current.append(ch)
                i = next
            }
        }
        guard sawText else { throw DatasetError.invalidOption(option: option, message: "\"\(template)\" has no {text} placeholder") }
        pieces.append(current)
        self.template = template
        self.pieces = pieces
    }

    /// `template.format(text: text)`.
    public func apply(_ text: String) -> String { pieces.joined(separator: text) }
}
