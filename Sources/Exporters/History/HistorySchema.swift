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
            try db.execute(sql: usageBuckets)
        }
        // Parts zlib-compressed where that saves a tenth; a request's headers kept as the changes from
        // an earlier request's of its session (Content-Length alone makes every request's headers new).
        migrator.registerMigration("v3 compact parts and headers") { db in
            try db.execute(sql: """
                ALTER TABLE part ADD COLUMN deflated INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE exchange_detail ADD COLUMN request_headers_changes TEXT;
                """)
        }
        return migrator
    }

    /// What one finished exchange adds to its bucket (`bucketKey`, `bucketSums`), as SQL over `row`
    /// (`new`, `old` or `exchange`). Readers sum raw rows with these same expressions, so buckets and rows
    /// always agree; changing them needs a migration that recreates the triggers and refills the buckets.
    static func contribution(_ row: String) -> (key: [String], values: [String]) {
        (key: ["CAST(\(row).started_at / \(usageBucket) AS INTEGER) * \(usageBucket)", "\(row).provider", "\(row).client",
               "\(row).session_key", model(row)],
         values: ["1", "CASE WHEN \(row).outcome = 'ok' THEN 0 ELSE 1 END", "\(row).input_tokens", "\(row).output_tokens",
                  "\(row).cache_read_tokens", "\(row).cache_write_5m_tokens", "\(row).cache_write_1h_tokens",
                  "\(row).reasoning_tokens", "coalesce(\(row).cost_usd, 0)",
                  "CASE WHEN \(row).cost_usd IS NULL AND \(row).has_usage THEN 1 ELSE 0 END"])
    }

    /// The model an exchange is reported under: the one that answered, else the one asked for.
    static func model(_ row: String) -> String {
        "coalesce(\(row).response_model, \(row).request_model, '(none)')"
    }

    static let bucketKey = ["bucket", "provider", "client", "session_key", "model"]
    static let bucketSums = ["requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                             "cache_write_1h_tokens", "reasoning_tokens", "cost_usd", "unpriced"]

    private static var usageBuckets: String {
        let new = contribution("new"), old = contribution("old"), existing = contribution("exchange")
        let add = """
            INSERT INTO usage_bucket(\(bucketKey.joined(separator: ", ")), \(bucketSums.joined(separator: ", ")))
            VALUES (\((new.key + new.values).joined(separator: ", ")))
            ON CONFLICT(\(bucketKey.joined(separator: ", "))) DO UPDATE SET
                \(bucketSums.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "));
            """
        let match = zip(bucketKey, old.key).map { "\($0) = \($1)" }.joined(separator: " AND ")
        let subtract = """
            UPDATE usage_bucket SET \(zip(bucketSums, old.values).map { "\($0) = \($0) - \($1)" }.joined(separator: ", "))
            WHERE \(match);
            DELETE FROM usage_bucket WHERE \(match) AND requests <= 0;
            """
        let sumsSchema = bucketSums.map { $0 == "cost_usd" ? "cost_usd REAL NOT NULL" : "\($0) INTEGER NOT NULL" }
        return """
            CREATE TABLE usage_bucket (
                bucket INTEGER NOT NULL, provider TEXT NOT NULL, client TEXT NOT NULL, session_key TEXT NOT NULL,
                model TEXT NOT NULL, \(sumsSchema.joined(separator: ", ")),
                PRIMARY KEY (\(bucketKey.joined(separator: ", ")))
            ) WITHOUT ROWID;

            CREATE TRIGGER usage_bucket_insert AFTER INSERT ON exchange WHEN new.phase = 'finished'
            BEGIN \(add) END;
            CREATE TRIGGER usage_bucket_update_old AFTER UPDATE ON exchange WHEN old.phase = 'finished'
            BEGIN \(subtract) END;
            CREATE TRIGGER usage_bucket_update_new AFTER UPDATE ON exchange WHEN new.phase = 'finished'
            BEGIN \(add) END;
            CREATE TRIGGER usage_bucket_delete AFTER DELETE ON exchange WHEN old.phase = 'finished'
            BEGIN \(subtract) END;

            INSERT INTO usage_bucket(\(bucketKey.joined(separator: ", ")), \(bucketSums.joined(separator: ", ")))
            SELECT \(existing.key.joined(separator: ", ")),
                \(existing.values.map { $0 == "1" ? "COUNT(*)" : "SUM(\($0))" }.joined(separator: ", "))
            FROM exchange WHERE phase = 'finished' GROUP BY 1, 2, 3, 4, 5;
            """
    }
}
