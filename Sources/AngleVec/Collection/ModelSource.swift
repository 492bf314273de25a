import Foundation

/// Where a collection's model lives: a registered name (a folder under
/// `${ANGLEVEC_HOME:-~/.cache/anglevec}/models/`) or a model folder path, plus its identity
/// (name + SHA-256 of the weights).
public struct ModelSource: Sendable, Equatable {
    /// What the user gave: a registered name or an absolute folder path (stored in the collection).
    public var reference: String
    /// The model folder.
    public var folder: URL
    /// The identity recorded in the collection: a registered name, or the folder's name.
    public var name: String

    /// `${ANGLEVEC_HOME:-~/.cache/anglevec}`.
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let custom = environment["ANGLEVEC_HOME"], !custom.isEmpty { return URL(fileURLWithPath: custom, isDirectory: true) }
        let user = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return user.appendingPathComponent(".cache/anglevec", isDirectory: true)
    }

    /// Resolves a registered model name or a model folder path (nothing is downloaded here;
    /// `anglevec models fetch` does that).
    public static func resolve(_ nameOrPath: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelSource {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if PackagedModels.named(nameOrPath) != nil {
            let folder = home(environment: environment).appendingPathComponent("models/\(nameOrPath)", isDirectory: true)
            guard fm.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
                throw CollectionError.modelNotFound(nameOrPath, reason: "registered but not installed at \(folder.path); run 'anglevec models fetch \(nameOrPath)'")
            }
            return ModelSource(reference: nameOrPath, folder: folder, name: nameOrPath)
        }
        guard fm.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            let names = PackagedModels.all.map(\.name).joined(separator: ", ")
            throw CollectionError.modelNotFound(nameOrPath, reason: "neither a registered model (\(names)) nor a model folder")
        }
        let folder = URL(fileURLWithPath: nameOrPath, isDirectory: true).standardizedFileURL
        guard fm.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
            throw CollectionError.modelNotFound(nameOrPath, reason: "\(folder.path) is not a model folder (no config.json)")
        }
        return ModelSource(reference: folder.path, folder: folder, name: folder.lastPathComponent)
    }

    /// The weights file.
    public var weights: URL { folder.appendingPathComponent("model.safetensors") }

    /// The model identity: name + SHA-256 of the weights. Hashing 90 MB is not free, so hashes
    /// are cached by (path, size, modification time, inode) in memory and in
    /// `${ANGLEVEC_HOME}/weights-sha256.json`.
    public func identity(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelIdentity {
        let cache = ModelSource.home(environment: environment).appendingPathComponent("weights-sha256.json")
        return ModelIdentity(name: name, weightsSHA256: try WeightsFingerprint.sha256(of: weights, cacheFile: cache))
    }
}

/// SHA-256 of weight files, cached by file stamp (as git's index caches stat data).
enum WeightsFingerprint {
    private struct Entry: Codable, Equatable {
        var path: String
        var size: Int64
        var mtimeNanoseconds: Int64
        var inode: UInt64
        var sha256: String
    }

    nonisolated(unsafe) private static var memory: [String: Entry] = [:]
    private static let lock = NSLock()

    private static func stamp(_ url: URL) throws -> Entry {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw CollectionError.modelNotFound(url.deletingLastPathComponent().path, reason: "cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        return Entry(path: url.path, size: Int64(st.st_size), mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                     inode: UInt64(st.st_ino), sha256: "")
    }

    /// The hash of `url`, from the memory cache, else the on-disk cache `cacheFile` (a JSON
    /// dictionary path → entry shared by all collections), else computed (and cached).
    static func sha256(of url: URL, cacheFile: URL?) throws -> String {
        let current = try stamp(url)
        func same(_ e: Entry?) -> Bool {
            guard let e else { return false }
            return e.path == current.path && e.size == current.size && e.mtimeNanoseconds == current.mtimeNanoseconds
                && e.inode == current.inode && !e.sha256.isEmpty
        }
        lock.lock()
        let cached = memory[url.path]
        lock.unlock()
        if same(cached) { return cached!.sha256 }
        var disk: [String: Entry] = [:]
        if let cacheFile, let data = FileManager.default.contents(atPath: cacheFile.path),
           let entries = try? JSONDecoder().decode([String: Entry].self, from: data) {
            disk = entries
            if same(entries[url.path]) {
                lock.lock(); memory[url.path] = entries[url.path]; lock.unlock()
                return entries[url.path]!.sha256
            }
        }
        var entry = current
        entry.sha256 = try SHA256.hex(ofFile: url)
        lock.lock(); memory[url.path] = entry; lock.unlock()
        if let cacheFile {
            // A cache: concurrent writers may drop each other's entries, which only costs a re-hash.
            disk[url.path] = entry
            try? FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(disk) { try? data.write(to: cacheFile, options: .atomic) }
        }
        return entry.sha256
    }
}
