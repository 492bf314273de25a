import Foundation

/// Reads plain-text and Markdown files, one document per file. Given a directory, walks it recursively
/// (hidden files and folders skipped, paths sorted so runs are reproducible), keeping files that match an
/// `include` glob and no `exclude` glob. The id is the path relative to the directory (the path as given for
/// a single file); metadata is `path` and, for a Markdown file with a heading, `title` (the first one
/// outside code fences).
public final class TextFileReader: DocumentReader {
    public struct Options: Sendable {
        public var include: [Glob] = TextFileReader.defaultInclude
        public var exclude: [Glob] = []
        public var skipInvalid = false
        public init() {}
    }

    /// Files read from directories when no `--include` is given.
    public static let defaultInclude = ["**/*.md", "**/*.markdown", "**/*.txt", "**/*.rst"].map(Glob.init)

    private var pending: [(url: URL, id: String, shown: String)]
    private var position = 0
    private let options: Options
    public private(set) var skipped: [String: Int] = [:]

    /// Reads a file or a directory.
    public init(path: String, options: Options = Options()) throws {
        self.options = options
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IngestError(file: path, message: "no such file or directory", reason: "missing file")
        }
        if !isDirectory.boolValue {
            pending = [(URL(fileURLWithPath: path), path, path)]
            return
        }
        let root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                           options: [.skipsHiddenFiles]) else {
            throw IngestError(file: path, message: "cannot list directory", reason: "unreadable file")
        }
        var found: [(URL, String, String)] = []
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let full = url.standardizedFileURL.path
            let relative = full.hasPrefix(rootPath) ? String(full.dropFirst(rootPath.count)) : url.lastPathComponent
            guard options.include.contains(where: { $0.matches(relative) }),
                  !options.exclude.contains(where: { $0.matches(relative) }) else { continue }
            found.append((url, relative, path.hasSuffix("/") ? path + relative : path + "/" + relative))
        }
        pending = found.sorted { $0.1 < $1.1 }
    }

    /// How many files will be read (for progress totals).
    public var fileCount: Int { pending.count }

    public func next() throws -> SourceDocument? {
        while position < pending.count {
            let (url, id, shown) = pending[position]
            position += 1
            do {
                return try read(url, id: id, shown: shown)
            } catch let error as IngestError where options.skipInvalid {
                skipped[error.reason, default: 0] += 1
            }
        }
        return nil
    }

    private func read(_ url: URL, id: String, shown: String) throws -> SourceDocument {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw IngestError(file: shown, message: "cannot read: \(error.localizedDescription)", reason: "unreadable file")
        }
        if let bad = UTF8Validation.firstInvalidOffset(data) {
            throw IngestError(file: shown, line: UTF8Validation.line(of: bad, in: data), byteOffset: bad,
                              message: "not valid UTF-8", reason: "not UTF-8")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var metadata: [(String, OrderedJSON)] = [("path", .string(id))]
        if ["md", "markdown", "mdx"].contains(url.pathExtension.lowercased()), let title = TextFileReader.firstHeading(in: text) { metadata.append(("title", .string(title))) }
        return SourceDocument(id: id, text: text, metadata: metadata, origin: shown)
    }

    /// The first ATX (`# Title`) or setext (`Title` over `===`/`---`) heading outside fenced code blocks.
    public static func firstHeading(in text: String) -> String? {
        var inFence = false
        var previous: Substring?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(2000) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle(); previous = nil; continue }
            if inFence { continue }
            if line.prefix(while: { $0 == " " }).count <= 3, trimmed.hasPrefix("#") {
                let hashes = trimmed.prefix { $0 == "#" }.count
                let rest = trimmed.dropFirst(hashes)
                if hashes <= 6, rest.isEmpty || rest.first == " " || rest.first == "\t" {
                    var title = rest.trimmingCharacters(in: .whitespaces)
                    while title.hasSuffix("#") { title.removeLast() }   // closing hashes
                    title = title.trimmingCharacters(in: .whitespaces)
                    if !title.isEmpty { return title }
                }
            }
            if let prev = previous, !prev.trimmingCharacters(in: .whitespaces).isEmpty, !trimmed.isEmpty,
               trimmed.allSatisfy({ $0 == "=" }) || (trimmed.allSatisfy({ $0 == "-" }) && trimmed.count >= 2) {
                return prev.trimmingCharacters(in: .whitespaces)
            }
            previous = line
        }
        return nil
    }
}
