/// Shell-style path patterns for directory ingestion: `*` (any run within a path segment), `?`,
/// `[abc]`/`[a-z]`/`[!x]`, and `**` (any number of whole segments, including none).
/// A pattern without `/` matches the file name at any depth (`*.md` ≡ `**/*.md`), as in .gitignore.
public struct Glob: Sendable, Equatable {
    public let pattern: String
    private let segments: [String]

    public init(_ pattern: String) {
        self.pattern = pattern
        var parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if !pattern.contains("/") { parts.insert("**", at: 0) }
        segments = parts
    }

    /// Whether the relative path (segments separated by `/`) matches.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return Glob.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            var tail = path
            while true {
                if match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let segment = path.first, matchSegment(Array(head.unicodeScalars)[...], Array(segment.unicodeScalars)[...]) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func matchSegment(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        switch c {
        case "*":
            var tail = s
            while true {
                if matchSegment(p.dropFirst(), tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        case "?":
            return !s.isEmpty && matchSegment(p.dropFirst(), s.dropFirst())
        case "[":
            guard let ch = s.first, let close = p.dropFirst(2).firstIndex(of: "]") else {
                return s.first == "[" && matchSegment(p.dropFirst(), s.dropFirst())
            }
            var set = p[(p.startIndex + 1)..<close]
            let negate = set.first == "!" || set.first == "^"
            if negate { set = set.dropFirst() }
            var found = false
            var i = set.startIndex
            while i < set.endIndex {
                if i + 2 < set.endIndex, set[i + 1] == "-" {
                    if set[i].value <= ch.value && ch.value <= set[i + 2].value { found = true }
                    i += 3
                } else {
                    if set[i] == ch { found = true }
                    i += 1
                }
            }
            return found != negate && matchSegment(p[(close + 1)...], s.dropFirst())
        default:
            return s.first == c && matchSegment(p.dropFirst(), s.dropFirst())
        }
    }
}
