import Foundation

/// Reads a file (or stdin) line by line in 1 MiB pieces; memory stays bounded by the longest line.
final class LineReader {
    private let handle: FileHandle
    private let closeWhenDone: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0    // buffer[start..<scanned] has no newline (long lines are not rescanned)
    private var atEnd = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0
    /// Byte offset in the input where the line last returned starts.
    private(set) var lineOffset = 0
    private var consumed = 0   // bytes dropped from the front of `buffer`
    private let chunkSize: Int

    init(handle: FileHandle, closeWhenDone: Bool, chunkSize: Int = 1 << 20) {
        self.handle = handle
        self.closeWhenDone = closeWhenDone
        self.chunkSize = chunkSize
    }

    deinit { if closeWhenDone { try? handle.close() } }

    /// The next line without its `\n` (and `\r`), or nil at the end of input.
    func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[max(start, scanned)...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                lineOffset = consumed + start
                start = newline + 1
                scanned = start
                lineNumber += 1
                return line
            }
            scanned = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                lineOffset = consumed + start
                start = buffer.count
                lineNumber += 1
                return line
            }
            // Drop what was returned, then read more.
            if start > 0 {
                consumed += start
                buffer.removeFirst(start)
                scanned -= start
                start = 0
            }
            if let piece = try handle.read(upToCount: chunkSize), !piece.isEmpty {
                buffer.append(contentsOf: piece)
            } else {
                atEnd = true
            }
        }
    }
}

/// Opens `path` for reading; `-` is stdin.
func openInput(_ path: String) throws -> (FileHandle, Bool) {
    if path == "-" { return (FileHandle.standardInput, false) }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw IngestError(file: path, message: "no such file", reason: "missing file")
    }
    if isDirectory.boolValue { throw IngestError(file: path, message: "is a directory", reason: "directory") }
    do {
        return (try FileHandle(forReadingFrom: URL(fileURLWithPath: path)), true)
    } catch {
        throw IngestError(file: path, message: "cannot open: \(error.localizedDescription)", reason: "unreadable file")
    }
}

/// The display name of an input: `<stdin>` for `-`.
func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }
