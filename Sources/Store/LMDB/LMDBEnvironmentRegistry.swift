import Foundation

/// One `LMDBEnvironment` per data file per process. LMDB forbids opening the same environment
/// twice in one process (closing the second handle would drop the first one's POSIX locks),
/// so every `CollectionStore` of a path shares one environment while any of them is alive.
final class LMDBEnvironmentRegistry: @unchecked Sendable {
    static let shared = LMDBEnvironmentRegistry()

    private struct Entry { weak var environment: LMDBEnvironment? }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// The open environment of `path`, or the one `open` makes. A read-write request cannot
    /// reuse an environment opened read-only.
    func environment(path: String, readOnly: Bool, open: () throws -> LMDBEnvironment) throws -> LMDBEnvironment {
        let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        lock.lock()
        defer { lock.unlock() }
        if let env = entries[key]?.environment {
            if env.readOnly && !readOnly {
                throw StoreError.notWritable(path: path, reason: "this process already has it open read-only; close that handle first")
            }
            return env
        }
        let env = try open()
        entries = entries.filter { $0.value.environment != nil }
        entries[key] = Entry(environment: env)
        return env
    }
}
