import XCTest
@testable import Embed

/// Malformed safetensors files are errors naming the file (and tensor), never a crash.
final class SafetensorsTests: XCTestCase {
    func write(_ bytes: [UInt8]) throws -> URL {
        let url = try EncoderFixtures.tempDir().appendingPathComponent("model.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    func header(_ json: String, data: Int = 0, declaredLength: UInt64? = nil) -> [UInt8] {
        var bytes = [UInt8]()
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.utf8.count)).littleEndian) { bytes += $0 }
        return bytes + Array(json.utf8) + [UInt8](repeating: 0, count: data)
    }

    func assertError(_ bytes: [UInt8], contains needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(bytes)
        XCTAssertThrowsError(try SafetensorsFile(url: url), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssert(text.contains(url.path), "error does not name the file: \(text)", file: file, line: line)
            for needle in needles { XCTAssert(text.contains(needle), "'\(needle)' not in: \(text)", file: file, line: line) }
        }
    }

    func testValidFileParses() throws {
        let url = try write(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: 8))
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.names, ["a"])
        XCTAssertEqual(try file.floats("a").shape, [2])
    }

    func testEmptyAndShortFiles() throws {
        try assertError([], contains: ["shorter than the 8-byte"])
        try assertError([1, 2, 3], contains: ["shorter than the 8-byte"])
    }

    func testHeaderLengthPastTheEnd() throws {
        try assertError(header("{}", declaredLength: 1000), contains: ["runs past the end"])
        try assertError(header("{}", declaredLength: UInt64.max), contains: ["implausible"])
    }

    func testInvalidJSON() throws {
        try assertError(header("{\"a\": [1, 2"), contains: ["not valid JSON"])
        try assertError(header("[1, 2, 3]   "), contains: ["not a JSON object"])
    }

    func testOffsetsPastTheEnd() throws {
        try assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data: 8),
                        contains: ["'w'", "outside"])
    }

    func testByteLengthMustMatchShape() throws {
        try assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: 8),
                        contains: ["'w'", "byte length 8"])
        try assertError(header("{\"w\":{\"dtype\":\"Q4\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: 8),
                        contains: ["'w'", "unknown dtype"])
        try assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", data: 8),
                        contains: ["'w'", "bad shape"])
    }

    func testOverlappingTensors() throws {
        try assertError(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", data: 12),
                        contains: ["overlaps"])
    }

    func testTruncatedRealFile() throws {
        let original = try Data(contentsOf: EncoderFixtures.tiny("f32").appendingPathComponent("model.safetensors"))
        try assertError(Array(original.prefix(original.count - 100)), contains: ["outside"])
        try assertError(Array(original.prefix(20)), contains: ["past the end"])
    }

    func testNonFloatTensorIsRejectedByName() throws {
        let url = try write(header("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data: 8))
        let file = try SafetensorsFile(url: url)
        XCTAssertThrowsError(try file.floats("ids")) { XCTAssert("\($0)".contains("'ids'") && "\($0)".contains("I64")) }
        XCTAssertThrowsError(try file.floats("nope")) { XCTAssert("\($0)".contains("nope")) }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))) {
            XCTAssertEqual($0 as? ModelLoadError, .missingFile(path: "/nonexistent/model.safetensors"))
        }
    }
}
