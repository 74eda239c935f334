import Foundation
import GRDB

/// What a deletion freed.
package struct PruneResult: Sendable, Codable, Equatable {
    package var exchanges: Int
    package var parts: Int
    package var bytesBefore: Int64
    package var bytesAfter: Int64
}

extension HistoryStore {
    /// Rows left in flight by a ccglass process that is gone (killed, crashed) become `incomplete`; with
    /// `includingOwn`, this process's too (at shutdown).
    @discardableResult
    package func markAbandoned(includingOwn: Bool = false) throws -> Int {
        let own = ProcessInfo.processInfo.processIdentifier
        return try pool.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, pid FROM exchange WHERE phase != 'finished'")
            var marked = 0
            for row in rows {
                let pid: Int32? = row["pid"]
                if let pid, pid == own ? !includingOwn : kill(pid, 0) == 0 { continue }
                try db.execute(sql: """
                    UPDATE exchange SET phase = 'finished', outcome = 'incomplete', error_type = 'incomplete', pid = NULL WHERE id = ?
                    """, arguments: [row["id"] as String])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO exchange_detail(id, error_message) VALUES (?, 'ccglass stopped before this exchange ended')
                    """, arguments: [row["id"] as String])
                marked += 1
            }
            return marked
        }
    }

    /// Deletes a session's exchanges and the parts nothing else uses.
    package func deleteSession(_ key: String) throws -> PruneResult {
        try deleting(where: "session_key = ?", arguments: [key])
    }

    /// Deletes exchanges started before `date` and the parts nothing else uses.
    package func prune(before date: Date) throws -> PruneResult {
        try deleting(where: "started_at < ? AND phase = 'finished'", arguments: [date.timeIntervalSince1970])
    }

    private func deleting(where condition: String, arguments: StatementArguments) throws -> PruneResult {
        let before = fileSize()
        let (exchanges, parts) = try pool.write { db -> (Int, Int) in
            try db.execute(sql: "DELETE FROM exchange WHERE \(condition)", arguments: arguments)
            let exchanges = db.changesCount
            guard exchanges > 0 else { return (0, 0) }
            // What the kept exchanges' layouts name, directly or along their chains, survives; the rest goes.
            try db.execute(sql: """
                CREATE TEMP TABLE live_chain AS
                WITH RECURSIVE live(id) AS (
                    SELECT json_extract(s.value, '$.chain') FROM exchange_detail d, json_each(d.request_layout, '$.slots') s
                    WHERE json_extract(s.value, '$.chain') IS NOT NULL
                    UNION SELECT chain.parent FROM chain JOIN live ON chain.id = live.id WHERE chain.parent != 0)
                SELECT id FROM live;
                DELETE FROM chain WHERE id NOT IN (SELECT id FROM live_chain);
                DROP TABLE live_chain;
                CREATE TEMP TABLE live_part AS
                    SELECT request_headers_part AS id FROM exchange_detail
                    UNION SELECT json_extract(request_layout, '$.raw') FROM exchange_detail
                    UNION SELECT json_extract(request_layout, '$.skeleton') FROM exchange_detail
                    UNION SELECT json_extract(s.value, '$.part') FROM exchange_detail d, json_each(d.request_layout, '$.slots') s
                    UNION SELECT i.value FROM exchange_detail d, json_each(d.request_layout, '$.slots') s, json_each(s.value, '$.items') i
                    UNION SELECT part FROM chain;
                """)
            try db.execute(sql: "DELETE FROM part WHERE id NOT IN (SELECT id FROM live_part WHERE id IS NOT NULL)")
            let parts = db.changesCount
            try db.execute(sql: "DROP TABLE live_part")
            try db.execute(sql: "DELETE FROM session WHERE key NOT IN (SELECT DISTINCT session_key FROM exchange)")
            try db.execute(sql: "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            return (exchanges, parts)
        }
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA incremental_vacuum")
            try db.checkpoint(.truncate)
        }
        return PruneResult(exchanges: exchanges, parts: parts, bytesBefore: before, bytesAfter: fileSize())
    }

    /// Bytes on disk per table and index (SQLite's dbstat), largest first.
    package func spaceByTable() throws -> [(name: String, bytes: Int)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").map { ($0[0], $0[1]) }
        }
    }

    /// Rows in `usage_bucket`: what a usage report over all time reads.
    package func usageBucketCount() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM usage_bucket") ?? 0 }
    }

    /// Folds the WAL back into the database file.
    package func checkpoint() throws {
        try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    /// Size of the database and its WAL on disk.
    package func fileSize() -> Int64 {
        [url.path, url.path + "-wal"].reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
        }
    }
}
