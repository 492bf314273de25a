import Foundation
import XCTest
@testable import CLIKit
import AngleVec

/// A fresh temporary folder, removed at deinit.
final class TemporaryFolder {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-cli-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = url.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(bytes).write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs the built `anglevec` executable, as users do: exit code, stdout, stderr. `stdin` nil gives an empty,
/// closed standard input.
func runAnglevec(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) throws -> (code: Int32, out: String, err: String) {
    guard let binary = BinaryTests.binary else { XCTFail("anglevec binary not found next to the tests (swift build first)"); throw XCTSkip() }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if !extra.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// stdout's JSON lines as dictionaries.
func jsonLines(_ out: String) -> [[String: Any]] {
    out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// The first `n` lines of the quickstart sample (real package descriptions).
func sampleDocuments(_ n: Int) throws -> String {
    let text = try String(contentsOf: CollectionCommandTests.repository.appendingPathComponent("samples/debian-packages.jsonl"), encoding: .utf8)
    return text.split(separator: "\n").prefix(n).joined(separator: "\n") + "\n"
}

/// Whitespace tokenizer: every run of non-whitespace is a token; [CLS] … [SEP] like BERT.
struct WhitespaceTokenizer: Tokenizer {
    var maxLength: Int
    var padId: Int32 { 0 }

    func encode(_ text: String, maxLength limit: Int?) -> Encoding {
        let limit = limit ?? maxLength
        var ids: [Int32] = [101], offsets: [Range<Int>] = [0..<0]
        var start: Int?
        var position = 0
        func close(_ end: Int) {
            if let s = start { ids.append(Int32(1000 + ids.count)); offsets.append(s..<end); start = nil }
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace { close(position) } else if start == nil { start = position }
            position += 1
        }
        close(position)
        if ids.count > limit - 1 { ids.removeLast(ids.count - (limit - 1)); offsets.removeLast(offsets.count - (limit - 1)) }
        ids.append(102); offsets.append(0..<0)
        return Encoding(ids: ids, typeIds: [Int32](repeating: 0, count: ids.count), offsets: offsets)
    }
}

/// Runs the CLI in-process, capturing its streams.
func runCLI(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> (code: Int32, out: String, err: String) {
    var out = "", err = ""
    let code = AnglevecCommandLine.run(arguments, environment: environment, stdout: { out += $0 }, stderr: { err += $0 }, stderrIsTTY: false)
    return (code, out, err)
}

/// A zip archive with stored (uncompressed) entries, enough to stand in for a wheel.
func storedZip(_ entries: [(String, [UInt8])]) -> [UInt8] {
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
    func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func u32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    var out: [UInt8] = [], central: [UInt8] = []
    for (name, data) in entries {
        let offset = UInt32(out.count), crc = crc32(data), n = Array(name.utf8)
        out += u32(0x0403_4b50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + u32(crc)
            + u32(UInt32(data.count)) + u32(UInt32(data.count)) + u16(n.count) + u16(0) + n + data
        central += u32(0x0201_4b50) + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + u32(crc)
            + u32(UInt32(data.count)) + u32(UInt32(data.count)) + u16(n.count) + u16(0) + u16(0) + u16(0) + u16(0)
            + u32(0) + u32(offset) + n
    }
    let cdOffset = UInt32(out.count)
    out += central
    out += u32(0x0605_4b50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count)
        + u32(UInt32(central.count)) + u32(cdOffset) + u16(0)
    return out
}
