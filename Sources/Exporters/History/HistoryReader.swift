import Foundation
import GRDB
import Proxy

extension HistoryStore {
    /// Newest first, optionally narrowed to a session, model, client, or to exchanges older than `before`
    /// (an id, for paging).
    package func recent(limit: Int = 20, session: String? = nil, model: String? = nil, client: String? = nil,
                       before: String? = nil) throws -> [ExchangeRow] {
        try pool.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let session { conditions.append("e.session_key = ?"); arguments.append(session) }
            if let model { conditions.append("coalesce(e.response_model, e.request_model) = ?"); arguments.append(model) }
            if let client { conditions.append("e.client = ?"); arguments.append(client) }
            if let before { conditions.append("e.id < ?"); arguments.append(before) }
            arguments.append(limit)
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: """
                \(Self.rowColumns) LEFT JOIN exchange_detail d ON d.id = e.id \(filter)
                ORDER BY e.id DESC LIMIT ?
                """, arguments: StatementArguments(arguments)).map(Self.exchangeRow)
        }
    }

    /// One session with its totals.
    package func session(_ key: String, titles: SessionTitles? = nil) throws -> SessionRow? {
        let found = try sessionTotals(of: "SELECT * FROM session WHERE key = ?", arguments: [key]).first
        guard var row = found, let titles, row.titleSource != "claude-code", let title = titles.title(session: key) else { return found }
        try setTitle(session: key, title: title, source: "claude-code")
        row.title = title
        row.titleSource = "claude-code"
        return row
    }

    /// The models and clients seen, for filters.
    package func facets() throws -> (models: [String], clients: [String]) {
        try pool.read { db in
            (try String.fetchAll(db, sql: "SELECT DISTINCT coalesce(response_model, request_model) AS m FROM exchange WHERE m IS NOT NULL ORDER BY m"),
             try String.fetchAll(db, sql: "SELECT DISTINCT client FROM exchange ORDER BY client"))
        }
    }

    /// The session of the newest finished exchange (of `run`, when given): where an agent asking about
    /// "my session" most likely is. A row still in flight is passed over while a finished one exists: its
    /// session may not be known yet (Claude Code names it in the body, read at the end), so it carries
    /// a provisional key.
    package func latestSessionKey(run: String? = nil) throws -> String? {
        try pool.read { db in
            let order = "ORDER BY phase = 'finished' DESC, id DESC LIMIT 1"
            if let run {
                return try String.fetchOne(db, sql: "SELECT session_key FROM exchange WHERE run_id = ? \(order)", arguments: [run])
            }
            return try String.fetchOne(db, sql: "SELECT session_key FROM exchange \(order)")
        }
    }

    /// Exchanges of one wrapper run, oldest first.
    package func exchanges(run: String) throws -> [ExchangeRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                \(Self.rowColumns) LEFT JOIN exchange_detail d ON d.id = e.id WHERE e.run_id = ? ORDER BY e.id
                """, arguments: [run]).map(Self.exchangeRow)
        }
    }

    /// One exchange, whole: its request body rebuilt byte for byte, its response body as received, and
    /// the conversation before it when it continues earlier responses (`earlier`).
    package func exchange(id: String) throws -> Exchange? {
        try pool.read { db in
            guard var exchange = try Self.loadExchange(id: id, db) else { return nil }
            if exchange.continues != nil { try Self.rebuildEarlier(of: &exchange, db) }
            return exchange
        }
    }

    /// Ids of exchanges whose id starts with `prefix` (for short ids on the command line).
    package func resolve(idPrefix prefix: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM exchange WHERE id >= ? AND id < ? ORDER BY id LIMIT 5",
                                arguments: [prefix, prefix + "\u{10FFFF}"])
        }
    }

    /// Token, cost and request totals per group, for finished exchanges started in `since..<until`.
    /// Whole 15-minute buckets inside the range are read from `usage_bucket`; the slivers at either end,
    /// from `exchange` itself.
    package func usage(by grouping: UsageGrouping, since: Date? = nil, until: Date? = nil) throws -> [UsageRow] {
        let (bucketGroup, exchangeGroup): (String, String)
        switch grouping {
        case .day: (bucketGroup, exchangeGroup) = ("date(bucket, 'unixepoch', 'localtime')", "date(started_at, 'unixepoch', 'localtime')")
        case .session: (bucketGroup, exchangeGroup) = ("session_key", "session_key")
        case .model: (bucketGroup, exchangeGroup) = ("model", HistorySchema.model("exchange"))
        case .provider: (bucketGroup, exchangeGroup) = ("provider", "provider")
        case .client: (bucketGroup, exchangeGroup) = ("client", "client")
        case .agent: return try usageByAgent(since: since, until: until)
        }
        let from = since?.timeIntervalSince1970 ?? 0
        let to = until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude
        let size = Double(HistorySchema.usageBucket)
        var wholeFrom = (from / size).rounded(.up) * size
        var wholeTo = to == .greatestFiniteMagnitude ? to : (to / size).rounded(.down) * size
        if wholeFrom >= wholeTo { (wholeFrom, wholeTo) = (to, to) }
        let sums = HistorySchema.bucketSums.joined(separator: ", ")
        let sliver = """
            SELECT \(exchangeGroup), \(HistorySchema.contribution("exchange").values.joined(separator: ", ")) FROM exchange
            WHERE phase = 'finished' AND started_at >= ? AND started_at < ?
            """
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT grp, \(Self.groupTotals)
                FROM (
                    SELECT \(bucketGroup) AS grp, \(sums) FROM usage_bucket WHERE bucket >= ? AND bucket < ?
                    UNION ALL \(sliver)
                    UNION ALL \(sliver)
                )
                GROUP BY grp ORDER BY grp
                """, arguments: [wholeFrom, wholeTo, from, wholeFrom, wholeTo, to])
            .map(Self.usageRow)
        }
    }

    /// Per session and agent: the buckets do not keep the agent, so this sums the exchanges themselves.
    func usageByAgent(since: Date?, until: Date?) throws -> [UsageRow] {
        let values = HistorySchema.contribution("exchange").values
        let names = HistorySchema.bucketSums
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT grp, \(Self.groupTotals)
                FROM (
                    SELECT session_key || ' · ' || CASE WHEN agent_id IS NULL THEN 'main' ELSE 'subagent ' || agent_id END AS grp,
                        \(zip(values, names).map { "\($0) AS \($1)" }.joined(separator: ", "))
                    FROM exchange WHERE phase = 'finished' AND started_at >= ? AND started_at < ?
                )
                GROUP BY grp ORDER BY grp
                """, arguments: [since?.timeIntervalSince1970 ?? 0, until?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude])
            .map(Self.usageRow)
        }
    }

    /// The totals of one `grp` of bucket-shaped rows, in `usageRow`'s order.
    static let groupTotals = """
        SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_5m_tokens),
        SUM(cache_write_1h_tokens), SUM(reasoning_tokens), TOTAL(cost_usd), SUM(unpriced), TOTAL(api_equivalent_usd)
        """

    static func usageRow(_ row: Row) -> UsageRow {
        UsageRow(group: row[0] ?? "", requests: row[1], errors: row[2], inputTokens: row[3], outputTokens: row[4],
                 cacheReadTokens: row[5], cacheWrite5mTokens: row[6], cacheWrite1hTokens: row[7],
                 reasoningTokens: row[8], costUSD: row[9], unpricedRequests: row[10], apiEquivalentUSD: row[11])
    }

    /// Sessions, most recently active first, with their totals.
    package func sessions(limit: Int = 20) throws -> [SessionRow] {
        try sessionTotals(of: "SELECT * FROM session ORDER BY last_at DESC LIMIT ?", arguments: [limit])
    }

    /// The sessions `selection` picks from `session`, with totals: finished exchanges from `usage_bucket`,
    /// the few still in flight (or abandoned unmarked) from `exchange`.
    private func sessionTotals(of selection: String, arguments: StatementArguments) throws -> [SessionRow] {
        try pool.read { db in
            let sessions = try Row.fetchAll(db, sql: """
                WITH picked AS (\(selection)),
                totals AS (
                    SELECT session_key, \(HistorySchema.bucketSums.joined(separator: ", "))
                    FROM usage_bucket WHERE session_key IN (SELECT key FROM picked)
                    UNION ALL
                    SELECT session_key, \(HistorySchema.contribution("exchange").values.joined(separator: ", "))
                    FROM exchange INDEXED BY exchange_phase  -- else SQLite walks a big session's every row
                    WHERE phase != 'finished' AND session_key IN (SELECT key FROM picked)
                )
                SELECT s.key, s.title, s.title_source, s.client, s.started_at, s.last_at, SUM(t.requests),
                    SUM(t.errors), TOTAL(t.input_tokens), TOTAL(t.output_tokens), TOTAL(t.cache_read_tokens), TOTAL(t.cost_usd),
                    TOTAL(t.api_equivalent_usd)
                FROM picked s JOIN totals t ON t.session_key = s.key
                GROUP BY s.key ORDER BY s.last_at DESC
                """, arguments: arguments).map(Self.sessionRow)
            return try Self.withStructure(sessions, db)
        }
    }

    /// Adds each session's subagents, compactions and flagged tool calls, each counted from a partial
    /// index that holds only the exchanges that have one.
    private static func withStructure(_ sessions: [SessionRow], _ db: Database) throws -> [SessionRow] {
        guard !sessions.isEmpty else { return sessions }
        let keys = sessions.map(\.key)
        let marks = databaseQuestionMarks(count: keys.count)
        func counts(_ sql: String) throws -> [String: Int] {
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: sql, arguments: StatementArguments(keys)).map { ($0[0] as String, $0[1] as Int) })
        }
        let flagged = try counts("""
            SELECT session_key, SUM(flagged_calls) FROM exchange INDEXED BY exchange_flagged
            WHERE flagged_calls > 0 AND session_key IN (\(marks)) GROUP BY session_key
            """)
        let subagents = try counts("""
            SELECT session_key, COUNT(DISTINCT agent_id) FROM exchange INDEXED BY exchange_agent
            WHERE agent_id IS NOT NULL AND session_key IN (\(marks)) GROUP BY session_key
            """)
        let compactions = try counts("""
            SELECT session_key, COUNT(*) FROM exchange INDEXED BY exchange_compaction
            WHERE request_kind LIKE 'compaction%' AND phase = 'finished' AND session_key IN (\(marks)) GROUP BY session_key
            """)
        return sessions.map {
            var session = $0
            session.flaggedCalls = flagged[session.key] ?? 0
            session.subagents = subagents[session.key] ?? 0
            session.compactions = compactions[session.key] ?? 0
            return session
        }
    }

    static func sessionRow(_ row: Row) -> SessionRow {
        SessionRow(key: row[0], title: row[1], titleSource: row[2], client: row[3],
                   startedAt: Date(timeIntervalSince1970: row[4]), lastAt: Date(timeIntervalSince1970: row[5]),
                   requests: row[6], errors: row[7] ?? 0, inputTokens: Int(row[8] as Double),
                   outputTokens: Int(row[9] as Double), cacheReadTokens: Int(row[10] as Double), costUSD: row[11],
                   apiEquivalentUSD: row[12])
    }

    /// Replaces a session's title (from Claude Code's transcript).
    package func setTitle(session: String, title: String, source: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE session SET title = ?, title_source = ? WHERE key = ?", arguments: [title, source, session])
        }
    }

    /// Exchanges whose prompts or answers contain `text` (case-insensitive), newest first.
    package func search(_ text: String, limit: Int = 20) throws -> [ExchangeRow] {
        try pool.read { db in
            let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            return try Row.fetchAll(db, sql: """
                \(Self.rowColumns) JOIN exchange_detail d ON d.id = e.id
                WHERE d.prompt_preview LIKE ?1 ESCAPE '\\'
                   OR d.response_text LIKE ?1 ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM part p WHERE p.id = json_extract(d.request_layout, '$.raw') AND CAST(part_text(p.bytes, p.deflated) AS TEXT) LIKE ?1 ESCAPE '\\')
                   OR EXISTS (WITH RECURSIVE path(id, parent, part) AS (
                                  SELECT c.id, c.parent, c.part FROM json_each(d.request_layout, '$.slots') s
                                  JOIN chain c ON c.id = json_extract(s.value, '$.chain')
                                  UNION ALL SELECT chain.id, chain.parent, chain.part FROM chain JOIN path ON chain.id = path.parent)
                              SELECT 1 FROM path JOIN part p ON p.id = path.part WHERE CAST(part_text(p.bytes, p.deflated) AS TEXT) LIKE ?1 ESCAPE '\\')
                ORDER BY e.id DESC LIMIT ?2
                """, arguments: [pattern, limit]).map(Self.exchangeRow)
        }
    }

    static func loadExchange(id: String, _ db: Database) throws -> Exchange? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT e.phase, e.started_at, d.record, d.request_layout, d.request_headers_part, d.response_body, d.response_text,
                d.response_body_deflated, d.request_headers_changes
            FROM exchange e LEFT JOIN exchange_detail d ON d.id = e.id WHERE e.id = ?
            """, arguments: [id]) else { return nil }
        guard let record: Data = row[2] else {
            return nil  // still in flight, or cut off by a crash: only the slim row exists
        }
        var exchange = try RecordCoding.decode(record)
        exchange.response.text = row[6] ?? ""
        if let layoutText: String = row[3] {
            let layout = try decoder.decode(RequestBodyLayout.self, from: Data(layoutText.utf8))
            var chains: [Int64: [Int64]] = [:]
            for chain in layout.chainIDs { chains[chain] = try PartStore.walk(chain, db) }
            let ids = layout.partIDs + chains.values.flatMap { $0 }
            exchange.requestBody = Data(try layout.assemble(parts: try PartStore.bytes(of: Array(Set(ids)), db), chains: chains))
        }
        if let headersPart: Int64 = row[4], let bytes = try PartStore.bytes(of: [headersPart], db)[headersPart] {
            let base = try decoder.decode([HeaderField].self, from: Data(bytes))
            let changes: [HeaderChange] = try (row[8] as String?).map { try decoder.decode([HeaderChange].self, from: Data($0.utf8)) } ?? []
            exchange.requestHeaders = try HeaderChange.apply(changes, to: base)
        }
        exchange.responseBody = try RecordCoding.received(row[5] ?? Data(), deflated: row[7] ?? false)
        return exchange
    }

    /// What a listed row reads. The detail's error message has a name of its own: `exchange` has an
    /// `error_message` column too, never written, and GRDB reads the leftmost of two equal names.
    static let rowColumns = "SELECT e.*, d.prompt_preview, d.tool_names, d.error_message AS detail_error_message FROM exchange e"

    static func exchangeRow(_ row: Row) -> ExchangeRow {
        let hasUsage: Bool = row["has_usage"] ?? false
        return ExchangeRow(
            id: row["id"], startedAt: Date(timeIntervalSince1970: row["started_at"]), phase: row["phase"],
            provider: row["provider"], client: row["client"], sessionKey: row["session_key"],
            model: row["response_model"] ?? row["request_model"], status: row["status"], outcome: row["outcome"],
            errorType: row["error_type"], errorMessage: row["detail_error_message"],
            usage: hasUsage ? Usage(inputTokens: row["input_tokens"], outputTokens: row["output_tokens"],
                                    cacheReadTokens: row["cache_read_tokens"], cacheWrite5mTokens: row["cache_write_5m_tokens"],
                                    cacheWrite1hTokens: row["cache_write_1h_tokens"], reasoningTokens: row["reasoning_tokens"]) : nil,
            costUSD: row["cost_usd"], apiEquivalent: row["api_equivalent"] ?? false, ttft: row["ttft"], duration: row["duration"],
            requestBytes: row["request_bytes"], responseBytes: row["response_bytes"], prompt: row["prompt_preview"],
            toolNames: (row["tool_names"] as String?)?.split(separator: ",").map(String.init) ?? [],
            agentID: row["agent_id"], parentAgentID: row["parent_agent_id"], requestKind: row["request_kind"],
            reviewMode: row["review_mode"], flaggedCalls: row["flagged_calls"] ?? 0)
    }
}
