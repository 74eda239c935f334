import GRDB

/// The history database's tables, created and evolved by numbered migrations (never edit a shipped one;
/// add the next).
///
/// - `exchange`: one slim row per exchange, what lists and usage reports scan.
/// - `exchange_detail`: everything else about it: previews, the answer's text (searchable), the full
///   record as zlib-compressed JSON (bodies aside), the layout that rebuilds the request body from parts
///   (the parts and chains it names are what pruning keeps), and the response body exactly as received
///   (zlib-wrapped on disk when that makes it smaller; kept last in the row, so reading the rest never
///   touches its overflow pages).
/// - `part`: each distinct piece of a request body (a system block, a tools array, a message, the rest)
///   stored once, by SHA-256.
/// - `chain`: conversations as linked lists of message parts, so a turn that resends the whole
///   conversation adds only its new messages.
/// - `session`: titles and first prompts of agent sessions.
/// - `usage_bucket` (v2): finished exchanges' usage summed per 15 minutes, provider, client, session and
///   model, kept by triggers on `exchange`, so usage reports read thousands of rows, not millions.
///   15 minutes divides every time zone's offset, so a bucket never straddles a local day.
enum HistorySchema {
    /// Seconds per `usage_bucket` row.
    static let usageBucket = 900
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE exchange (
                    id TEXT PRIMARY KEY NOT NULL,
                    started_at REAL NOT NULL,
                    phase TEXT NOT NULL,
                    pid INTEGER,
                    provider TEXT NOT NULL,
                    client TEXT NOT NULL,
                    session_key TEXT NOT NULL,
                    session_id TEXT,
                    run_id TEXT,
                    method TEXT NOT NULL,
                    target TEXT NOT NULL,
                    format TEXT,
                    request_model TEXT,
                    response_model TEXT,
                    status INTEGER,
                    outcome TEXT,
                    error_type TEXT,
                    error_message TEXT,
                    has_usage INTEGER NOT NULL DEFAULT 0,
                    input_tokens INTEGER NOT NULL DEFAULT 0,
                    output_tokens INTEGER NOT NULL DEFAULT 0,
                    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
                    cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
                    cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
                    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
                    cost_usd REAL,
                    priced_as TEXT,
                    ttft REAL,
                    duration REAL,
                    overhead REAL,
                    request_bytes INTEGER NOT NULL DEFAULT 0,
                    response_bytes INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE INDEX exchange_started ON exchange(started_at);
                CREATE INDEX exchange_session ON exchange(session_key, started_at);
                CREATE INDEX exchange_phase ON exchange(phase) WHERE phase != 'finished';

                CREATE TABLE exchange_detail (
                    id TEXT PRIMARY KEY NOT NULL REFERENCES exchange(id) ON DELETE CASCADE,
                    prompt_preview TEXT,
                    tool_names TEXT,
                    error_message TEXT,
                    response_text TEXT,
                    request_layout TEXT,
                    request_headers_part INTEGER,
                    record BLOB,
                    response_body_deflated INTEGER NOT NULL DEFAULT 0,
                    response_body BLOB
                );

                CREATE TABLE part (
                    id INTEGER PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    bytes BLOB NOT NULL
                );

                CREATE TABLE chain (
                    id INTEGER PRIMARY KEY,
                    parent INTEGER NOT NULL,
                    part INTEGER NOT NULL,
                    UNIQUE(parent, part)
                );

                CREATE TABLE session (
                    key TEXT PRIMARY KEY NOT NULL,
                    client TEXT,
                    first_prompt TEXT,
                    title TEXT,
                    title_source TEXT,
                    started_at REAL NOT NULL,
                    last_at REAL NOT NULL
                );

                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                INSERT INTO meta(key, value) VALUES ('generation', '0');
                """)
        }
        migrator.registerMigration("v2 usage buckets") { db in
            try db.execute(sql: bucketTable(sums: v2Sums) + bucketTriggers(sums: v2Sums) + bucketRefill(sums: v2Sums))
        }
        // Parts zlib-compressed where that saves a tenth; a request's headers kept as the changes from
        // an earlier request's of its session (Content-Length alone makes every request's headers new).
        migrator.registerMigration("v3 compact parts and headers") { db in
            try db.execute(sql: """
                ALTER TABLE part ADD COLUMN deflated INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE exchange_detail ADD COLUMN request_headers_changes TEXT;
                """)
        }
        // Subscription traffic's cost is the API-equivalent: kept apart so reports can say so. Every
        // earlier exchange was per token, so the buckets' new sum starts at 0 and needs no refill.
        migrator.registerMigration("v4 api-equivalent cost") { db in
            try db.execute(sql: """
                ALTER TABLE exchange ADD COLUMN api_equivalent INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE usage_bucket ADD COLUMN api_equivalent_usd REAL NOT NULL DEFAULT 0;
                DROP TRIGGER usage_bucket_insert; DROP TRIGGER usage_bucket_update_old;
                DROP TRIGGER usage_bucket_update_new; DROP TRIGGER usage_bucket_delete;
                """ + bucketTriggers(sums: sums))
        }
        // Each response's rate-limit windows, one row per window, for the latest state of every window
        // and its pace. Earlier exchanges keep their headers but are not read back into rows.
        migrator.registerMigration("v5 rate limits") { db in
            try db.execute(sql: """
                CREATE TABLE rate_limit (
                    exchange_id TEXT NOT NULL REFERENCES exchange(id) ON DELETE CASCADE,
                    window TEXT NOT NULL,
                    at REAL NOT NULL,
                    provider TEXT NOT NULL,
                    account TEXT NOT NULL,
                    used REAL,
                    resets_at REAL,
                    status TEXT,
                    limit_value REAL,
                    remaining REAL,
                    seconds REAL,
                    binding INTEGER NOT NULL DEFAULT 0,
                    rejected INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (exchange_id, window)
                ) WITHOUT ROWID;
                CREATE INDEX rate_limit_window ON rate_limit(provider, account, window, at);
                """)
        }
        // Which agent sent each request (Claude Code's subagents) and what for (turn, compaction, …,
        // Codex's request kinds), for per-agent usage. Earlier rows stay main agent, kind unknown.
        migrator.registerMigration("v6 agents and request kinds") { db in
            try db.execute(sql: """
                ALTER TABLE exchange ADD COLUMN agent_id TEXT;
                ALTER TABLE exchange ADD COLUMN parent_agent_id TEXT;
                ALTER TABLE exchange ADD COLUMN request_kind TEXT;
                CREATE INDEX exchange_agent ON exchange(session_key, agent_id) WHERE agent_id IS NOT NULL;
                """)
        }
        // Auto mode's review of tool calls: the mode that asked for it, and how many calls it flagged
        // (blocked), counted per session. Earlier rows asked none. Compactions are indexed for the same
        // per-session counts.
        migrator.registerMigration("v7 auto mode reviews") { db in
            try db.execute(sql: """
                ALTER TABLE exchange ADD COLUMN review_mode TEXT;
                ALTER TABLE exchange ADD COLUMN flagged_calls INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX exchange_flagged ON exchange(session_key) WHERE flagged_calls > 0;
                CREATE INDEX exchange_compaction ON exchange(session_key) WHERE request_kind LIKE 'compaction%';
                """)
        }
        return migrator
    }

    /// A total kept per bucket: its column, and what one finished exchange `row` (`new`, `old` or
    /// `exchange`) adds to it, as SQL. Readers sum raw rows with these same expressions, so buckets and
    /// rows always agree; changing one needs a migration that recreates the triggers and refills the buckets.
    struct Sum: Sendable {
        let name: String
        let value: @Sendable (String) -> String
        var isMoney: Bool { name.hasSuffix("_usd") }
    }

    /// The sums as migration v2 made them; never changed (a shipped migration replays them).
    static let v2Sums: [Sum] = [
        Sum(name: "requests") { _ in "1" },
        Sum(name: "errors") { "CASE WHEN \($0).outcome = 'ok' THEN 0 ELSE 1 END" },
        Sum(name: "input_tokens") { "\($0).input_tokens" },
        Sum(name: "output_tokens") { "\($0).output_tokens" },
        Sum(name: "cache_read_tokens") { "\($0).cache_read_tokens" },
        Sum(name: "cache_write_5m_tokens") { "\($0).cache_write_5m_tokens" },
        Sum(name: "cache_write_1h_tokens") { "\($0).cache_write_1h_tokens" },
        Sum(name: "reasoning_tokens") { "\($0).reasoning_tokens" },
        Sum(name: "cost_usd") { "coalesce(\($0).cost_usd, 0)" },
        Sum(name: "unpriced") { "CASE WHEN \($0).cost_usd IS NULL AND \($0).has_usage THEN 1 ELSE 0 END" },
    ]

    /// Today's sums, in the order readers fetch them.
    static let sums = v2Sums + [
        Sum(name: "api_equivalent_usd") { "CASE WHEN \($0).api_equivalent THEN coalesce(\($0).cost_usd, 0) ELSE 0 END" },
    ]

    /// A bucket's key and today's sums for one exchange `row`.
    static func contribution(_ row: String) -> (key: [String], values: [String]) {
        (key: bucketKeyValues(row), values: sums.map { $0.value(row) })
    }

    static func bucketKeyValues(_ row: String) -> [String] {
        ["CAST(\(row).started_at / \(usageBucket) AS INTEGER) * \(usageBucket)", "\(row).provider", "\(row).client",
         "\(row).session_key", model(row)]
    }

    /// The model an exchange is reported under: the one that answered, else the one asked for.
    static func model(_ row: String) -> String {
        "coalesce(\(row).response_model, \(row).request_model, '(none)')"
    }

    static let bucketKey = ["bucket", "provider", "client", "session_key", "model"]
    static var bucketSums: [String] { sums.map(\.name) }

    private static func bucketTable(sums: [Sum]) -> String {
        let columns = sums.map { "\($0.name) \($0.isMoney ? "REAL" : "INTEGER") NOT NULL" }
        return """
            CREATE TABLE usage_bucket (
                bucket INTEGER NOT NULL, provider TEXT NOT NULL, client TEXT NOT NULL, session_key TEXT NOT NULL,
                model TEXT NOT NULL, \(columns.joined(separator: ", ")),
                PRIMARY KEY (\(bucketKey.joined(separator: ", ")))
            ) WITHOUT ROWID;

            """
    }

    /// The triggers that keep `usage_bucket` equal to the sums of finished exchanges.
    private static func bucketTriggers(sums: [Sum]) -> String {
        let names = sums.map(\.name)
        let add = """
            INSERT INTO usage_bucket(\(bucketKey.joined(separator: ", ")), \(names.joined(separator: ", ")))
            VALUES (\((bucketKeyValues("new") + sums.map { $0.value("new") }).joined(separator: ", ")))
            ON CONFLICT(\(bucketKey.joined(separator: ", "))) DO UPDATE SET
                \(names.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "));
            """
        let match = zip(bucketKey, bucketKeyValues("old")).map { "\($0) = \($1)" }.joined(separator: " AND ")
        let subtract = """
            UPDATE usage_bucket SET \(sums.map { "\($0.name) = \($0.name) - \($0.value("old"))" }.joined(separator: ", "))
            WHERE \(match);
            DELETE FROM usage_bucket WHERE \(match) AND requests <= 0;
            """
        return """
            CREATE TRIGGER usage_bucket_insert AFTER INSERT ON exchange WHEN new.phase = 'finished'
            BEGIN \(add) END;
            CREATE TRIGGER usage_bucket_update_old AFTER UPDATE ON exchange WHEN old.phase = 'finished'
            BEGIN \(subtract) END;
            CREATE TRIGGER usage_bucket_update_new AFTER UPDATE ON exchange WHEN new.phase = 'finished'
            BEGIN \(add) END;
            CREATE TRIGGER usage_bucket_delete AFTER DELETE ON exchange WHEN old.phase = 'finished'
            BEGIN \(subtract) END;

            """
    }

    private static func bucketRefill(sums: [Sum]) -> String {
        let values = sums.map { $0.name == "requests" ? "COUNT(*)" : "SUM(\($0.value("exchange")))" }
        return """
            INSERT INTO usage_bucket(\(bucketKey.joined(separator: ", ")), \(sums.map(\.name).joined(separator: ", ")))
            SELECT \(bucketKeyValues("exchange").joined(separator: ", ")), \(values.joined(separator: ", "))
            FROM exchange WHERE phase = 'finished' GROUP BY 1, 2, 3, 4, 5;
            """
    }
}
