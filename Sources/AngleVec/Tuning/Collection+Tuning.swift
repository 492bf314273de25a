import Foundation

extension Collection {
    /// Measures coarse-to-fine settings on this collection (see `CoarseTuner`).
    public func tune(_ options: TuningOptions = TuningOptions(), progress: ((String) -> Void)? = nil) throws -> TuningReport {
        try CoarseTuner(collection: self, options: options).run(progress: progress)
    }

    /// What `applyTuning` changed.
    public struct AppliedTuning: Sendable, Equatable {
        /// The indexed view before and after (`full` or `L<l>d<d>`).
        public var previousView: String
        public var view: String
        /// The vector generation made active, when the view changed (the previous one is kept for rollback).
        public var generation: UInt32?
        public var rerank: Int?
        public var efSearch: Int?
    }

    /// Stores `setting` as the collection's default and returns the collection reopened with it
    /// (its graph built and saved). Collections already open elsewhere keep their settings until reopened.
    ///
    /// - The same view: only the stored defaults (k', ef) change.
    /// - Another dims-only view (or full vectors): a new vector generation whose coarse vectors are
    ///   the stored full vectors truncated and renormalized (no re-embedding), filled and made
    ///   active; the previous generation is kept.
    /// - A layer-truncated view: documents must be re-embedded, which is `anglevec reindex`'s job
    ///   (this throws, naming the command).
    @discardableResult
    public static func applyTuning(_ setting: TunedSetting, at url: URL,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Collection, AppliedTuning) {
        let collection = try Collection.open(at: url, environment: environment)
        let store = collection.store
        var config = try store.config
        let L = config.layers, D = config.fullDims
        let previousView = config.extensions[Key.indexedView]?.stringValue ?? VectorView.fullName
        var view = setting.view
        if let v = view, v.layer == L, v.dims == D { view = nil }
        let targetName = view?.name ?? VectorView.fullName
        if let v = view {
            guard v.layer >= 1, v.layer <= L, v.dims >= 1, v.dims <= D else {
                throw CollectionError.invalidOption("coarse view (layer \(v.layer), \(v.dims) dims) is outside the model's \(L) layers × \(D) dims")
            }
        }
        if let r = setting.rerank, r < 1 { throw CollectionError.invalidOption("rerank must be at least 1, got \(r)") }
        if let e = setting.efSearch, e < 1 { throw CollectionError.invalidOption("efSearch must be at least 1, got \(e)") }
        func setDefaults(_ c: inout CollectionConfig) {
            if let r = setting.rerank { c.extensions[Key.rerank] = .number(Double(r)) } else if view == nil { c.extensions[Key.rerank] = nil }
            if let e = setting.efSearch { c.extensions[Key.efSearch] = .number(Double(e)) }
        }
        var generation: UInt32? = nil
        if targetName == previousView {
            setDefaults(&config)
            try store.updateConfig(config)
        } else {
            if let v = view, v.layer != L {
                throw CollectionError.invalidOption("the coarse view (layer \(v.layer), \(v.dims) dims) needs every document re-embedded: run `anglevec reindex \(url.path) --coarse-layer \(v.layer) --coarse-dims \(v.dims)`, then `anglevec query --rerank \(setting.rerank ?? 40)` (or tune --apply again to store k')")
            }
            var target = config
            target.coarseViews = view.map { [VectorView(name: $0.name, layer: $0.layer, dims: $0.dims)] } ?? []
            target.extensions[Key.indexedView] = .string(targetName)
            setDefaults(&target)
            let g = try store.createGeneration(config: target)
            try fillTruncated(store: store, generation: g, fullDims: D, view: view)
            try store.setActiveGeneration(g)
            generation = g
        }
        // Reopen: the new defaults (and graph, built and saved by a writer) take effect.
        let reopened = try Collection.open(at: url, environment: environment)
        return (reopened, AppliedTuning(previousView: previousView, view: targetName, generation: generation,
                                        rerank: reopened.defaultRerank, efSearch: reopened.efSearch))
    }

    /// Copies every document's full vector of the active generation into `generation`, with the
    /// coarse view as its truncation. Loops until no document lacks a vector there (documents
    /// added meanwhile). A document added between the last check and the switch has no vector in
    /// the new generation: the reindex engineer's `activateGenerationIfComplete` closes that gap.
    private static func fillTruncated(store: CollectionStore, generation: UInt32, fullDims: Int, view: CoarseView?) throws {
        while true {
            var after: UInt64? = nil
            var wrote = 0
            while true {
                let missing = try store.documentsMissingVectors(generation: generation, after: after, limit: 1024)
                guard let last = missing.last else { break }
                let idsList = missing.map(\.internalID)
                let got = try store.vectors(internalIDs: idsList, view: VectorView.fullName)
                var items: [(internalID: UInt64, vectors: [String: [Float]])] = []
                for (i, id) in idsList.enumerated() where got.present[i] {
                    let v = Array(got.vectors[(i * got.dims)..<((i + 1) * got.dims)])
                    var vectors = [VectorView.fullName: v]
                    if let view { vectors[view.name] = CoarseTuner.truncated(v, from: fullDims, to: view.dims) }
                    items.append((id, vectors))
                }
                wrote += try store.putVectors(generation: generation, items)
                after = last.internalID
            }
            if wrote == 0 { return }
        }
    }
}
