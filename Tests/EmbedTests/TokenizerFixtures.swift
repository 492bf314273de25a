import Foundation
import XCTest
@testable import Embed

/// Fixtures written by Tests/Fixtures/make_tokenizer_fixtures.py from HF's fast tokenizer.
enum TokenizerFixtures {
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
        let type_ids: [Int32]
        let offsets: [[Int]]
    }

    struct MiniLM: Decodable {
        let max_length: Int
        let expected_max_length: Int
        let cases: [Case]
        let custom_max_length: Int
        let custom_cases: [Case]
        let fuzz_cases: [Case]
    }

    struct CasedConfig: Decodable {
        let folder: String
        let lowercase: Bool
        let strip_accents: Bool
        let sbert_do_lower_case: Bool
        let expected_max_length: Int
        let cases: [Case]
        let fuzz_cases: [Case]
    }

    struct Cased: Decodable { let configs: [CasedConfig] }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent("tokenizer")

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The default model folder; fails the test with the fix when it is absent.
    static func modelFolder(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let home = ProcessInfo.processInfo.environment["ANGLEVEC_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/anglevec")
        let folder = home.appendingPathComponent("models/all-MiniLM-L6-v2")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) else {
            XCTFail("default model missing at \(folder.path): run scripts/fetch-model.sh", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return folder
    }

    /// Asserts ids, type ids and offsets equal the fixture, naming the text on failure.
    static func assertMatches(_ encoding: Encoding, _ expected: Case, _ label: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        let name = "\(label) \(expected.text.debugDescription.prefix(80))"
        XCTAssertEqual(encoding.ids, expected.ids, "ids of \(name)", file: file, line: line)
        XCTAssertEqual(encoding.typeIds, expected.type_ids, "type ids of \(name)", file: file, line: line)
        XCTAssertEqual(encoding.offsets, expected.offsets.map { $0[0]..<$0[1] }, "offsets of \(name)", file: file, line: line)
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
