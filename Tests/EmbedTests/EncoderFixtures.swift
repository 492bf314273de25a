import Foundation
import XCTest
@testable import Embed

/// Paths and readers for Tests/Fixtures/encoder (made by Tests/Fixtures/make_encoder_fixtures.py).
enum EncoderFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("encoder")
    static let miniLM = (ProcessInfo.processInfo.environment["ANGLEVEC_HOME"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/anglevec")).appendingPathComponent("models/all-MiniLM-L6-v2")

    static func tiny(_ dtype: String) -> URL { root.appendingPathComponent("tiny-bert-\(dtype)") }

    static func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func int32s(_ url: URL) throws -> [Int32] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("embedtests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a safetensors file of F32 tensors (sorted by name, 8-byte padded header).
    static func writeSafetensors(_ url: URL, _ tensors: [(String, [Int], [Float])], extraHeader: String = "") throws {
        var header = "{\"__metadata__\":{\"format\":\"pt\"}" + extraHeader
        var data = Data()
        for (name, shape, values) in tensors.sorted(by: { $0.0 < $1.0 }) {
            let begin = data.count
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            header += ",\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}"
        }
        header += "}"
        while (header.utf8.count % 8) != 0 { header += " " }
        var file = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(header.data(using: .utf8)!)
        file.append(data)
        try file.write(to: url)
    }

    /// The tiny F32 model's tensors as (name, shape, values).
    static func tinyTensors() throws -> [(String, [Int], [Float])] {
        let file = try SafetensorsFile(url: tiny("f32").appendingPathComponent("model.safetensors"))
        return try file.names.compactMap { name in
            guard file.tensors[name]!.dtype == .F32 else { return nil }
            let t = try file.floats(name)
            return (name, t.shape, Array(t.buffer))
        }
    }

    /// A model folder with the tiny config and the given tensors.
    static func folder(with tensors: [(String, [Int], [Float])], config: String? = nil) throws -> URL {
        let dir = try tempDir()
        let configData = try config.map { Data($0.utf8) } ?? Data(contentsOf: tiny("f32").appendingPathComponent("config.json"))
        try configData.write(to: dir.appendingPathComponent("config.json"))
        try writeSafetensors(dir.appendingPathComponent("model.safetensors"), tensors)
        return dir
    }
}

func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
    return dot / max((na * nb).squareRoot(), 1e-30)
}
