/// Splits a batch's sequences into length groups, each padded only to its own longest sequence, so
/// short texts (format C's queries) are not padded to the long ones' length: the rows sorted by length
/// are cut where the padded cost, Σ count·seqLen·(per-token work + seqLen·per-key work) plus a fixed
/// cost per group, is minimal (dynamic programming over the cut points, exact for contiguous groups).
struct LengthGroups {
    /// Per group, the rows of the batch it holds (ascending length; ties keep batch order).
    let groups: [[Int]]

    /// - Parameters:
    ///   - lengths: real tokens per row.
    ///   - tokenCost: work per padded token independent of the length (the linear layers: 2·hidden + intermediate).
    ///   - keyCost: work per padded token and attended key (attention), relative to `tokenCost`'s unit.
    ///   - groupCost: fixed work per extra group (smaller matrices, more calls), in the same unit.
    init(lengths: [Int], tokenCost: Double, keyCost: Double = 1, groupCost: Double) {
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] < lengths[$1] : $0 < $1 }
        let n = order.count
        guard n > 1 else { groups = n == 0 ? [] : [order]; return }
        func cost(_ count: Int, _ seqLen: Int) -> Double {
            Double(count) * Double(seqLen) * (tokenCost + keyCost * Double(seqLen)) + groupCost
        }
        // best[i]: minimal cost of the first i sorted rows; cut[i]: where its last group starts.
        var best = [Double](repeating: .infinity, count: n + 1), cut = [Int](repeating: 0, count: n + 1)
        best[0] = 0
        for i in 1...n {
            let seqLen = lengths[order[i - 1]]
            for j in 0..<i {
                let c = best[j] + cost(i - j, seqLen)
                if c < best[i] { best[i] = c; cut[i] = j }
            }
        }
        var groups = [[Int]](), end = n
        while end > 0 {
            groups.append(Array(order[cut[end]..<end]))
            end = cut[end]
        }
        self.groups = groups.reversed()
    }
}
