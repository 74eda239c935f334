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
enum HistorySchema {
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
        return migrator
    }
}
