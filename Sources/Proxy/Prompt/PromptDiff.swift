/// What changed from one request of a conversation to a later one, and where that broke the prompt
/// cache. The one rule, used by the dashboard's Diff tab and the cache report alike: pieces in cache
/// order (`Prompt.pieces`); the cached prefix is the earlier request's pieces up to its last breakpoint
/// (all of them when it set none, as with automatic prefix caching); the cache breaks at the first
/// position of that prefix where the later request differs.
package struct PromptDiff: Sendable, Equatable, Codable {
    package struct Row: Sendable, Equatable, Codable {
        package enum State: String, Sendable, Codable {
            case same, changed, added, removed
        }
        package var label: String
        package var state: State
        /// Inside the prefix the earlier request left in the cache.
        package var cached: Bool
        /// The piece's JSON before and after (nil where it did not exist).
        package var before: String?
        package var after: String?
    }

    package struct Break: Sendable, Equatable, Codable {
        /// The piece where the cached prefix stops matching.
        package var label: String
        package var detail: String
    }

    /// The later request's pieces in order, then the earlier one's that it dropped.
    package var rows: [Row]
    /// How many pieces the earlier request left in the cache.
    package var cachedPieces: Int
    /// Where the cached prefix broke; nil when the later request repeats it whole.
    package var prefixBreak: Break?

    package init(older: Prompt, newer: Prompt) {
        self.init(older: older.pieces, newer: newer.pieces)
    }

    package init(older before: [PromptPiece], newer after: [PromptPiece]) {
        let limit = (before.lastIndex { $0.breakpoint }).map { $0 + 1 } ?? before.count
        cachedPieces = limit
        prefixBreak = Self.firstDifference(before, after, limit: limit)
        var earlier: [String: (index: Int, json: String)] = [:]
        for (index, piece) in before.enumerated() where earlier[piece.label] == nil { earlier[piece.label] = (index, piece.json) }
        var rows: [Row] = []
        var seen: Set<String> = []
        for (index, piece) in after.enumerated() {
            seen.insert(piece.label)
            guard let old = earlier[piece.label] else {
                rows.append(Row(label: piece.label, state: .added, cached: index < limit, before: nil, after: piece.json))
                continue
            }
            rows.append(Row(label: piece.label, state: old.json == piece.json ? .same : .changed, cached: old.index < limit,
                            before: old.json, after: piece.json))
        }
        for (index, piece) in before.enumerated() where !seen.contains(piece.label) {
            rows.append(Row(label: piece.label, state: .removed, cached: index < limit, before: piece.json, after: nil))
        }
        self.rows = rows
    }

    /// The first piece, among the first `limit` of `before`, that `after` does not repeat in place.
    static func firstDifference(_ before: [PromptPiece], _ after: [PromptPiece], limit: Int) -> Break? {
        for index in 0..<min(limit, before.count) {
            guard index < after.count else {
                return Break(label: before[index].label, detail: "\(before[index].label) was removed")
            }
            let old = before[index], new = after[index]
            if old.json == new.json { continue }
            if old.label == new.label {
                return Break(label: new.label, detail: "\(new.label) changed")
            }
            if !before.contains(where: { $0.label == new.label && $0.json == new.json }) {
                return Break(label: new.label, detail: "\(new.label) was added before \(old.label)")
            }
            return Break(label: old.label, detail: "\(old.label) was removed")
        }
        return nil
    }
}
