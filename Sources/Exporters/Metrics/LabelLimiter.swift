import Synchronization

/// Keeps a metric label's values bounded: the first `limit` distinct values pass, later ones become
/// `_other`, so no traffic (a client inventing model names) can grow the series count without end.
package final class LabelLimiter: Sendable {
    private let seen = Mutex<Set<String>>([])
    let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    func value(_ raw: String?) -> String {
        let value = (raw?.isEmpty ?? true) ? "unknown" : raw!
        return seen.withLock { seen in
            if seen.contains(value) { return value }
            guard seen.count < limit else { return "_other" }
            seen.insert(value)
            return value
        }
    }
}
