import Foundation
import GRDB
import Proxy

/// One window of one response's rate-limit reading, as the history keeps it.
package struct RateLimitRow: Sendable, Codable, Equatable {
    package var exchangeID: String
    package var at: Date
    package var provider: String
    package var account: String
    package var window: RateLimitWindow
    /// The window that bound this response (Anthropic's representative claim, else the most used).
    package var binding: Bool
    /// This window refused the request.
    package var rejected: Bool
}

extension HistoryStore {
    /// The newest reading of every window of every account, then the readings of each since `since`
    /// (for its pace), oldest first; and how many times each window refused a request since `since`.
    package func rateLimits(since: Date) throws -> (latest: [RateLimitRow], history: [RateLimitRow], rejections: [String: Int]) {
        try pool.read { db in
            let latest = try Row.fetchAll(db, sql: """
                SELECT r.* FROM rate_limit r JOIN (
                    SELECT provider, account, window, max(at) AS at FROM rate_limit GROUP BY provider, account, window
                ) newest USING (provider, account, window, at)
                ORDER BY r.provider, r.account, r.window
                """).map(Self.rateLimitRow)
            let history = try Row.fetchAll(db, sql: "SELECT * FROM rate_limit WHERE at >= ? ORDER BY at",
                                           arguments: [since.timeIntervalSince1970]).map(Self.rateLimitRow)
            var rejections: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT provider, account, window, count(*) FROM rate_limit WHERE rejected AND at >= ? GROUP BY provider, account, window
                """, arguments: [since.timeIntervalSince1970]) {
                rejections[Self.limitKey(row[0], row[1], row[2])] = row[3]
            }
            return (latest, history, rejections)
        }
    }

    /// How a window is told apart: provider, account and window name.
    package static func limitKey(_ provider: String, _ account: String, _ window: String) -> String {
        "\(provider)|\(account)|\(window)"
    }

    static func rateLimitRow(_ row: Row) -> RateLimitRow {
        let window = RateLimitWindow(name: row["window"], used: row["used"],
                                     resetsAt: (row["resets_at"] as Double?).map { Date(timeIntervalSince1970: $0) },
                                     status: row["status"], limit: row["limit_value"], remaining: row["remaining"], seconds: row["seconds"])
        return RateLimitRow(exchangeID: row["exchange_id"], at: Date(timeIntervalSince1970: row["at"]), provider: row["provider"],
                            account: row["account"], window: window, binding: row["binding"], rejected: row["rejected"])
    }
}
