/// HF's `TemplateProcessing` for a single sequence (`"single"`: e.g. `[CLS]:0 $A:0 [SEP]:0`);
/// `BertProcessing` (`cls`, `sep`) is the template `[CLS] $A [SEP]` with type id 0.
/// Special tokens get the empty span 0..<0, as in HF's `offset_mapping`.
struct TemplateProcessing: PostProcessor {
    enum Piece: Equatable, Sendable {
        case special(ids: [Int32], typeId: Int32)
        case sequence(typeId: Int32)
    }
    let pieces: [Piece]

    var addedTokenCount: Int {
        pieces.reduce(0) { count, piece in
            if case .special(let ids, _) = piece { return count + ids.count }
            return count
        }
    }

    func process(_ tokens: TokenSequence) -> Encoding {
        let total = tokens.count + addedTokenCount
        var ids: [Int32] = [], typeIds: [Int32] = [], offsets: [Range<Int>] = []
        ids.reserveCapacity(total); typeIds.reserveCapacity(total); offsets.reserveCapacity(total)
        for piece in pieces {
            switch piece {
            case .special(let specialIds, let typeId):
                for id in specialIds { ids.append(id); typeIds.append(typeId); offsets.append(0..<0) }
            case .sequence(let typeId):
                ids.append(contentsOf: tokens.ids)
                offsets.append(contentsOf: tokens.offsets)
                typeIds.append(contentsOf: repeatElement(typeId, count: tokens.count))
            }
        }
        return Encoding(ids: ids, typeIds: typeIds, offsets: offsets)
    }
}
