// A binary max-heap of (distance, node id) over manually managed memory, like the
// std::priority_queue<std::pair<dist_t, tableint>> hnswlib uses. Min-heaps store −distance
// (hnswlib's trick), so one type serves both the candidate and the result queues.
// Pairs compare by key, then by id. hnswlib's queues compare the distance only (CompareByFirst), so
// its ties come out in whatever order they were pushed; ordering by id instead makes the result
// heap evict the larger id among equal distances, so exact duplicates resolve the way
// `BruteForceIndex` (which keeps the earlier row on a tie) resolves them, whatever order the
// threads of a parallel build found them in.

/// Max-heap of (key, id) pairs. Not a class and holds no references: no ARC in search loops.
/// Memory is owned by whoever allocated it (a `SearchContext`) and reused across searches.
struct DistanceHeap {
    private(set) var keys: UnsafeMutablePointer<Float>
    private(set) var ids: UnsafeMutablePointer<UInt32>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        keys = .allocate(capacity: self.capacity)
        ids = .allocate(capacity: self.capacity)
    }

    func deallocate() { keys.deallocate(); ids.deallocate() }

    var isEmpty: Bool { @inline(__always) get { count == 0 } }
    var topKey: Float { @inline(__always) get { keys[0] } }
    var topID: UInt32 { @inline(__always) get { ids[0] } }

    @inline(__always) mutating func removeAll() { count = 0 }

    private mutating func grow() {
        let c = capacity * 2
        let k = UnsafeMutablePointer<Float>.allocate(capacity: c), i = UnsafeMutablePointer<UInt32>.allocate(capacity: c)
        k.update(from: keys, count: count); i.update(from: ids, count: count)
        keys.deallocate(); ids.deallocate()
        keys = k; ids = i; capacity = c
    }

    @inline(__always)
    mutating func push(_ key: Float, _ id: UInt32) {
        if count == capacity { grow() }
        var i = count
        count += 1
        while i > 0 {
            let p = (i - 1) >> 1
            if keys[p] > key || (keys[p] == key && ids[p] >= id) { break }
            keys[i] = keys[p]; ids[i] = ids[p]
            i = p
        }
        keys[i] = key; ids[i] = id
    }

    @inline(__always)
    mutating func pop() {
        count -= 1
        if count == 0 { return }
        let key = keys[count], id = ids[count]
        var i = 0
        let n = count
        while true {
            var c = 2 * i + 1
            if c >= n { break }
            if c + 1 < n && (keys[c + 1] > keys[c] || (keys[c + 1] == keys[c] && ids[c + 1] > ids[c])) { c += 1 }
            if keys[c] < key || (keys[c] == key && ids[c] <= id) { break }
            keys[i] = keys[c]; ids[i] = ids[c]
            i = c
        }
        keys[i] = key; ids[i] = id
    }
}
