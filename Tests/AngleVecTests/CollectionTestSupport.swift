import Foundation
import XCTest
import AngleVec

/// Paths and data shared by the collection tests.
enum Fixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The real default model (scripts/fetch-model.sh installs it).
    static var minilm: URL { ModelSource.home().appendingPathComponent("models/all-MiniLM-L6-v2") }
    /// A different (tiny, random) BERT: a model-mismatch partner.
    static let tinyBert = repository.appendingPathComponent("Tests/Fixtures/encoder/tiny-bert-f32")

    /// The first `n` Debian package descriptions of the quickstart sample (real text, real metadata).
    static func packages(_ n: Int) throws -> [Document] {
        let url = repository.appendingPathComponent("samples/debian-packages.jsonl")
        let reader = try JSONLReader(path: url.path)
        return Array(try reader.readAll().prefix(n)).map(Document.init)
    }

    /// The tests need the real model: a missing model is a failure (scripts/test.sh fetches it), not a skip.
    static func requireModel() throws {
        guard FileManager.default.fileExists(atPath: minilm.appendingPathComponent("model.safetensors").path) else {
            XCTFail("the default model is not installed at \(minilm.path) (run scripts/fetch-model.sh)")
            throw CollectionError.modelNotFound(minilm.path, reason: "not installed")
        }
    }
}

/// A fresh temporary directory, removed at deinit.
final class TemporaryDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> URL { url.appendingPathComponent(name) }
}
