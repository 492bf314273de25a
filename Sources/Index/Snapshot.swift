// The HNSW snapshot file: a checksummed header and the index's arrays, laid out so that the
// big level-0 block (links + vectors) is page-aligned and is used in place through mmap
// (MAP_PRIVATE: later inserts copy-on-write pages, the file is never modified).
//
// Layout (little-endian):
//   [0, 256)        header (see `SnapshotHeader`), CRC-32C of its first 152 bytes at 152
//   [4096, …)       level-0 block: nodeCount × sizePerElement bytes
//   then, 8-aligned: labels (UInt64 × n), levels (Int32 × n), deleted flags (UInt8 × n),
//                    upper links: for each node with level > 0, in id order, level × sizeLinksUpper bytes
// The body CRC-32C covers every byte from 256 to the end of the file.
// Written atomically: temp file in the same directory, fsync, rename, fsync of the directory.
import CKernels
import Foundation

/// How much of a snapshot `HNSWIndex.open` checks.
public enum SnapshotVerification: Sendable {
    /// Header checksum, sizes, and the CRC of the whole body (reads the file once; ~GB/s).
    case full
    /// Header checksum and section sizes only: opening a 1M-vector snapshot touches only the
    /// header, labels, levels and flags; the level-0 block is paged in by searches. The body is
    /// trusted: use it for files this process wrote or already verified once (a flipped link
    /// id in an unverified body could send a search out of bounds).
    case headerOnly
}

struct SnapshotHeader {
    static let magic: UInt64 = 0x3130_574E_5348_5641 // "AVHSNW01" little-endian bytes: AVHSNW01
    static let version: UInt32 = 1
    static let size = 256
    static let level0Offset = 4096

    var dims: UInt32 = 0
    var metric: UInt8 = 0
    var storage: UInt8 = 0
    var M: UInt32 = 0
    var efConstruction: UInt32 = 0
    var nodeCount: UInt64 = 0
    var deletedCount: UInt64 = 0
    var entryPoint: Int32 = -1
    var maxLevel: Int32 = -1
    var changeSequence: UInt64 = 0
    var sizePerElement: UInt64 = 0
    var level0Offset: UInt64 = 0
    var labelsOffset: UInt64 = 0
    var levelsOffset: UInt64 = 0
    var flagsOffset: UInt64 = 0
    var upperOffset: UInt64 = 0
    var upperLength: UInt64 = 0
    var fileLength: UInt64 = 0
    var seed: UInt64 = 0
    var ef: UInt32 = 0
    var bodyCRC: UInt32 = 0

    func encode() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: SnapshotHeader.size)
        b.withUnsafeMutableBytes { p in
            func put<T>(_ v: T, _ o: Int) { p.storeBytes(of: v, toByteOffset: o, as: T.self) }
            put(SnapshotHeader.magic, 0); put(SnapshotHeader.version, 8); put(UInt32(SnapshotHeader.size), 12)
            put(dims, 16); put(metric, 20); put(storage, 21)
            put(M, 24); put(efConstruction, 28); put(nodeCount, 32); put(deletedCount, 40)
            put(entryPoint, 48); put(maxLevel, 52); put(changeSequence, 56); put(sizePerElement, 64)
            put(level0Offset, 72); put(labelsOffset, 80); put(levelsOffset, 88); put(flagsOffset, 96)
            put(upperOffset, 104); put(upperLength, 112); put(fileLength, 120); put(seed, 128)
            put(ef, 136); put(bodyCRC, 140)
            put(ck_crc32c(0, p.baseAddress!, 152), 152)
        }
        return b
    }

    static func decode(_ p: UnsafeRawPointer, path: String) throws -> SnapshotHeader {
        func get<T>(_ o: Int, _: T.Type) -> T { p.loadUnaligned(fromByteOffset: o, as: T.self) }
        guard get(0, UInt64.self) == magic else { throw IndexError.corruptSnapshot(path: path, reason: "not an anglevec HNSW snapshot (bad magic)") }
        let v = get(8, UInt32.self)
        guard v == version else { throw IndexError.corruptSnapshot(path: path, reason: "format version \(v), this build reads \(version)") }
        guard get(152, UInt32.self) == ck_crc32c(0, p, 152) else { throw IndexError.corruptSnapshot(path: path, reason: "header checksum mismatch") }
        var h = SnapshotHeader()
        h.dims = get(16, UInt32.self); h.metric = get(20, UInt8.self); h.storage = get(21, UInt8.self)
        h.M = get(24, UInt32.self); h.efConstruction = get(28, UInt32.self)
        h.nodeCount = get(32, UInt64.self); h.deletedCount = get(40, UInt64.self)
        h.entryPoint = get(48, Int32.self); h.maxLevel = get(52, Int32.self)
        h.changeSequence = get(56, UInt64.self); h.sizePerElement = get(64, UInt64.self)
        h.level0Offset = get(72, UInt64.self); h.labelsOffset = get(80, UInt64.self)
        h.levelsOffset = get(88, UInt64.self); h.flagsOffset = get(96, UInt64.self)
        h.upperOffset = get(104, UInt64.self); h.upperLength = get(112, UInt64.self)
        h.fileLength = get(120, UInt64.self); h.seed = get(128, UInt64.self)
        h.ef = get(136, UInt32.self); h.bodyCRC = get(140, UInt32.self)
        return h
    }
}

@inline(__always) private func align8(_ x: Int) -> Int { (x + 7) & ~7 }

extension HNSWIndex {
    /// Writes the index atomically to `url` (temp file + fsync + rename + directory fsync),
    /// recording `changeSequence` (the store change the index reflects; default: the index's own).
    /// Inserts wait while it runs; a crash mid-write leaves the previous snapshot intact.
    public func writeSnapshot(to url: URL, changeSequence seq: UInt64? = nil) throws {
        pthread_rwlock_wrlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        let path = url.path
        let n = elementCount
        if let seq { changeSequence = seq }
        var h = SnapshotHeader()
        h.dims = UInt32(space.dimensions); h.metric = space.metric.rawValue; h.storage = space.storage.rawValue
        h.M = UInt32(parameters.M); h.efConstruction = UInt32(parameters.efConstruction)
        h.nodeCount = UInt64(n); h.deletedCount = UInt64(deletedCount)
        h.entryPoint = entryPoint; h.maxLevel = maxLevel; h.changeSequence = changeSequence
        h.sizePerElement = UInt64(sizePerElement); h.seed = rngState; h.ef = UInt32(ef)
        h.level0Offset = UInt64(SnapshotHeader.level0Offset)
        h.labelsOffset = UInt64(align8(SnapshotHeader.level0Offset + n * sizePerElement))
        h.levelsOffset = h.labelsOffset + UInt64(n * 8)
        h.flagsOffset = h.levelsOffset + UInt64(n * 4)
        h.upperOffset = UInt64(align8(Int(h.flagsOffset) + n))
        var upperLength = 0
        for i in 0..<n where levels[i] > 0 { upperLength += Int(levels[i]) * sizeLinksUpper }
        h.upperLength = UInt64(upperLength)
        h.fileLength = h.upperOffset + h.upperLength

        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = Foundation.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IndexError.io(path: tmp, operation: "create", errno: errno) }
        var ok = false
        defer { if !ok { close(fd); unlink(tmp) } }

        var crc: UInt32 = 0
        var offset = SnapshotHeader.size
        func write(_ p: UnsafeRawPointer, _ count: Int) throws {
            crc = ck_crc32c(crc, p, count)
            var done = 0
            while done < count {
                let w = pwrite(fd, p + done, min(count - done, 1 << 30), off_t(offset + done))
                if w < 0 { if errno == EINTR { continue }; throw IndexError.io(path: tmp, operation: "write", errno: errno) }
                done += w
            }
            offset += count
        }
        func pad(to target: Int) throws {
            let zeros = [UInt8](repeating: 0, count: target - offset)
            if !zeros.isEmpty { try zeros.withUnsafeBytes { try write($0.baseAddress!, zeros.count) } }
        }
        try pad(to: SnapshotHeader.level0Offset)
        try write(level0, n * sizePerElement)
        try pad(to: Int(h.labelsOffset))
        try write(labels, n * 8)
        try write(levels, n * 4)
        try write(deletedFlags, n)
        try pad(to: Int(h.upperOffset))
        for i in 0..<n where levels[i] > 0 { try write(upperLinks[i]!, Int(levels[i]) * sizeLinksUpper) }
        h.bodyCRC = crc
        let header = h.encode()
        try header.withUnsafeBytes { b in
            guard pwrite(fd, b.baseAddress!, b.count, 0) == b.count else { throw IndexError.io(path: tmp, operation: "write header", errno: errno) }
        }
        guard fsync(fd) == 0 else { throw IndexError.io(path: tmp, operation: "fsync", errno: errno) }
        close(fd)
        guard rename(tmp, path) == 0 else { unlink(tmp); ok = true; throw IndexError.io(path: path, operation: "rename", errno: errno) }
        ok = true
        let dfd = Foundation.open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Opens a snapshot written by `writeSnapshot`. The level-0 block (vectors + links) is used
    /// in place through mmap, not copied. A corrupt, truncated or foreign file throws
    /// `IndexError.corruptSnapshot` (rebuild from the store); `changeSequence` says which store
    /// changes to replay on top.
    public static func open(snapshot url: URL, verification: SnapshotVerification = .full) throws -> HNSWIndex {
        let path = url.path
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IndexError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io(path: path, operation: "stat", errno: errno) }
        let size = Int(st.st_size)
        guard size >= SnapshotHeader.size else { throw IndexError.corruptSnapshot(path: path, reason: "file is \(size) bytes, shorter than the header") }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw IndexError.io(path: path, operation: "mmap", errno: errno)
        }
        var keepMapping = false
        defer { if !keepMapping { munmap(base, size) } }

        let h = try SnapshotHeader.decode(base, path: path)
        func bad(_ r: String) -> IndexError { .corruptSnapshot(path: path, reason: r) }
        guard h.fileLength == UInt64(size) else { throw bad("file is \(size) bytes, header says \(h.fileLength) (truncated or extended)") }
        guard let metric = Metric(rawValue: h.metric) else { throw bad("unknown metric \(h.metric)") }
        guard let storage = VectorStorage(rawValue: h.storage) else { throw bad("unknown storage \(h.storage)") }
        guard h.dims > 0, h.M >= 2, h.M <= 2048 else { throw bad("dims \(h.dims) / M \(h.M) out of range") }
        var p = HNSWParameters(M: Int(h.M), efConstruction: Int(h.efConstruction), ef: Int(max(h.ef, 1)), storage: storage)
        p.seed = h.seed
        let n = Int(h.nodeCount)
        let index = try HNSWIndex(dimensions: Int(h.dims), metric: metric, parameters: p, capacity: 1)
        let spe = index.sizePerElement
        guard h.sizePerElement == UInt64(spe), h.level0Offset == UInt64(SnapshotHeader.level0Offset),
              h.labelsOffset == UInt64(align8(SnapshotHeader.level0Offset + n * spe)),
              h.levelsOffset == h.labelsOffset + UInt64(n * 8), h.flagsOffset == h.levelsOffset + UInt64(n * 4),
              h.upperOffset == UInt64(align8(Int(h.flagsOffset) + n)), h.upperOffset + h.upperLength == h.fileLength
        else { throw bad("section layout does not match the header") }
        guard (n == 0 && h.entryPoint == -1) || (h.entryPoint >= 0 && Int(h.entryPoint) < n) else { throw bad("entry point \(h.entryPoint) out of range") }
        if verification == .full {
            guard ck_crc32c(0, base + SnapshotHeader.size, size - SnapshotHeader.size) == h.bodyCRC else {
                throw bad("body checksum mismatch")
            }
        }

        // Small arrays are copied (they are needed to answer anything); level 0 stays mapped.
        index.freeStorage()
        // Capacity is exactly n: the mapping holds n rows, so the next insert grows (and copies out).
        let cap = n
        index.capacity = cap
        index.level0 = base + SnapshotHeader.level0Offset
        index.labels = .allocate(capacity: cap)
        index.labels.update(from: (base + Int(h.labelsOffset)).assumingMemoryBound(to: UInt64.self), count: n)
        index.levels = .allocate(capacity: cap)
        index.levels.update(from: (base + Int(h.levelsOffset)).assumingMemoryBound(to: Int32.self), count: n)
        index.deletedFlags = .allocate(capacity: cap)
        index.deletedFlags.update(from: (base + Int(h.flagsOffset)).assumingMemoryBound(to: UInt8.self), count: n)
        index.upperLinks = .allocate(capacity: cap)
        index.upperLinks.initialize(repeating: nil, count: cap)
        index.linkLocks = .allocate(capacity: cap)
        for i in 0..<cap { pthread_mutex_init(index.linkLocks + i, nil) }
        index.mapping = (base, size)
        keepMapping = true
        // From here the index owns the mapping and arrays; a throw frees them in deinit.
        index.elementCount = n
        var upper = Int(h.upperOffset)
        var lookup = [UInt64: UInt32](minimumCapacity: n)
        var deleted = 0
        for i in 0..<n {
            let lv = Int(index.levels[i])
            guard lv >= 0 && lv <= Int(h.maxLevel) else { throw bad("node \(i) has level \(lv), max level is \(h.maxLevel)") }
            if lv > 0 {
                let bytes = lv * index.sizeLinksUpper
                guard upper + bytes <= size else { throw bad("upper-level links run past the end of the file") }
                let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
                block.copyMemory(from: base + upper, byteCount: bytes)
                index.upperLinks[i] = block
                upper += bytes
            }
            if index.deletedFlags[i] != 0 { deleted += 1; index.deletedSlots.insert(UInt32(i)) }
            lookup[index.labels[i]] = UInt32(i)
        }
        guard n == 0 || Int(index.levels[Int(h.entryPoint)]) == Int(h.maxLevel) else {
            throw bad("entry point level \(index.levels[Int(h.entryPoint)]) is not the max level \(h.maxLevel)")
        }
        guard deleted == Int(h.deletedCount) else { throw bad("deleted count \(h.deletedCount) disagrees with flags (\(deleted))") }
        if verification == .full { try index.validateLinks(path: path) }
        index.labelLookup = lookup
        index.deletedCount = deleted
        index.entryPoint = h.entryPoint
        index.maxLevel = h.maxLevel
        index.changeSequence = h.changeSequence
        index.rngState = h.seed
        return index
    }

    /// Checks every link points at an existing node (so a bad file can never send a search out of bounds).
    func validateLinks(path: String) throws {
        let n = elementCount
        for i in 0..<n {
            for level in 0...Int(levels[i]) {
                let ll = linkList(UInt32(i), level)
                let c = Int(ll[0])
                guard c <= (level == 0 ? maxM0 : maxM) else {
                    throw IndexError.corruptSnapshot(path: path, reason: "node \(i) level \(level) has \(c) links")
                }
                for j in 0..<c where Int(ll[1 + j]) >= n || Int(levels[Int(ll[1 + j])]) < level {
                    throw IndexError.corruptSnapshot(path: path, reason: "node \(i) level \(level) links to invalid node \(ll[1 + j])")
                }
            }
        }
    }
}
