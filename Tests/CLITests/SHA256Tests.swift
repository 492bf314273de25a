import XCTest
import Foundation
@testable import Embed

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST example vectors.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding in odd-sized pieces gives the same digest as one call (padding across block edges).
    func testIncrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
            let slice = Array(data.prefix(length))
            var hasher = SHA256()
            var i = 0, step = 1
            while i < slice.count { let j = min(slice.count, i + step); hasher.update(slice[i..<j]); i = j; step = step * 2 + 1 }
            XCTAssertEqual(hasher.finalize(), { var h = SHA256(); h.update(slice); return h.finalize() }(), "length \(length)")
        }
    }

    /// The registry's vocab.txt hash matches the installed default model (skipped when it is not installed).
    func testInstalledVocabularyMatchesRegistry() throws {
        let home = ProcessInfo.processInfo.environment["ANGLEVEC_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/anglevec")
        let vocab = home.appendingPathComponent("models/all-MiniLM-L6-v2/vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab.path) else { throw XCTSkip("default model not installed") }
        XCTAssertEqual(try SHA256.hex(ofFile: vocab), PackagedModels.named("all-MiniLM-L6-v2")?.sha256["vocab.txt"])
    }
}
