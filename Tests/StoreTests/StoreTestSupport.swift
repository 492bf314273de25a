import Foundation
import Store
import XCTest

/// A fresh directory under the system temp dir, removed by the test's teardown.
func makeTempDirectory(_ test: XCTestCase, _ name: String = "store") -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("anglevec-storetests-\(getpid())-\(UUID().uuidString.prefix(8))")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.appendingPathComponent(name)
}

let miniLM = ModelIdentity(name: "sentence-transformers/all-MiniLM-L6-v2", weightsSHA256: String(repeating: "ab", count: 32))

func testConfig(dims: Int = 8, coarse: [VectorView] = [VectorView(name: "L3d4", layer: 3, dims: 4)],
                storage: VectorStorage = .f32, model: ModelIdentity = miniLM) -> CollectionConfig {
    CollectionConfig(model: model, queryPrompt: "query: ", documentPrompt: nil, pooling: "mean", layers: 6,
                     fullDims: dims, coarseViews: coarse, metric: .cosine, storage: storage)
}

/// Deterministic pseudo-random vector for document `i`.
func vec(_ i: Int, _ dims: Int, salt: Int = 0) -> [Float] {
    var x = UInt64(truncatingIfNeeded: i &* 2654435761 &+ salt &* 97 &+ 12345)
    return (0..<dims).map { _ in
        x = x &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int(x >> 40) % 2001 - 1000) / 1000
    }
}

func doc(_ i: Int, dims: Int = 8, coarse: Int? = 4, text: String? = nil, metadata: String? = nil, salt: Int = 0) -> StoredDocument {
    var vectors = [VectorView.fullName: vec(i, dims, salt: salt)]
    if let coarse { vectors["L3d4"] = vec(i, coarse, salt: salt + 1) }
    return StoredDocument(id: "doc-\(i)", text: text ?? "text of document \(i)",
                          metadata: Data((metadata ?? "{\"i\":\(i),\"even\":\(i % 2 == 0)}").utf8), vectors: vectors)
}

func assertThrowsStoreError<T>(_ expression: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                            _ check: (StoreError) -> Bool) {
    do {
        _ = try expression()
        XCTFail("expected a StoreError", file: file, line: line)
    } catch let e as StoreError {
        XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
    } catch {
        XCTFail("expected a StoreError, got \(error)", file: file, line: line)
    }
}
