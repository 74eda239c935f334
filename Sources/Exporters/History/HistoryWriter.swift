import Foundation
import GRDB
import Proxy

extension HistoryStore {
    /// A placeholder row while the exchange is in flight, so a crash leaves it marked incomplete.
    func insertStarted(_ exchange: Exchange, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO exchange(id, started_at, phase, pid, provider, client, session_key, session_id, run_id, method, target, format)
            VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [exchange.id, exchange.startedAt.timeIntervalSince1970, ProcessInfo.processInfo.processIdentifier,
                             exchange.provider, exchange.client, try sessionKey(exchange, db), exchange.sessionID,
                             exchange.runID, exchange.method, exchange.target, exchange.format?.rawValue])
    }

    func insertFinished(_ exchange: Exchange, split: RequestBodySplit, _ db: Database) throws {
        let key = try sessionKey(exchange, db)
        let usage = exchange.usage
        try db.cachedStatement(sql: """
            INSERT INTO exchange(id, started_at, phase, pid, provider, client, session_key, session_id, run_id, method, target,
                format, request_model, response_model, status, outcome, error_type, has_usage, input_tokens, output_tokens,
                cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, reasoning_tokens, cost_usd, priced_as, api_equivalent,
                ttft, duration, overhead, request_bytes, response_bytes, agent_id, parent_agent_id, request_kind, review_mode, flagged_calls)
            VALUES (?, ?, 'finished', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET phase = 'finished', pid = NULL, session_key = excluded.session_key,
                session_id = excluded.session_id, request_model = excluded.request_model, response_model = excluded.response_model,
                status = excluded.status, outcome = excluded.outcome, error_type = excluded.error_type, has_usage = excluded.has_usage,
                input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
                cache_write_5m_tokens = excluded.cache_write_5m_tokens, cache_write_1h_tokens = excluded.cache_write_1h_tokens,
                reasoning_tokens = excluded.reasoning_tokens, cost_usd = excluded.cost_usd, priced_as = excluded.priced_as,
                api_equivalent = excluded.api_equivalent, ttft = excluded.ttft, duration = excluded.duration, overhead = excluded.overhead,
                request_bytes = excluded.request_bytes, response_bytes = excluded.response_bytes, agent_id = excluded.agent_id,
                parent_agent_id = excluded.parent_agent_id, request_kind = excluded.request_kind,
                review_mode = excluded.review_mode, flagged_calls = excluded.flagged_calls
            """).execute(arguments: [
                exchange.id, exchange.startedAt.timeIntervalSince1970, exchange.provider, exchange.client, key, exchange.sessionID,
                exchange.runID, exchange.method, exchange.target, exchange.format?.rawValue, exchange.request.model,
                exchange.response.model, exchange.status, exchange.outcome?.rawValue, exchange.errorType, usage != nil,
                usage?.inputTokens ?? 0, usage?.outputTokens ?? 0, usage?.cacheReadTokens ?? 0, usage?.cacheWrite5mTokens ?? 0,
                usage?.cacheWrite1hTokens ?? 0, usage?.reasoningTokens ?? 0, exchange.cost?.total, exchange.cost?.pricedAs,
                exchange.billing?.apiEquivalent ?? false, exchange.timings.firstByte, exchange.timings.end, exchange.timings.overhead, exchange.requestBytes, exchange.responseBytes,
                exchange.agent?.id, exchange.agent?.parent, exchange.requestKind, exchange.request.reviewMode,
                exchange.response.flaggedCalls,
            ])

        try insertRateLimits(exchange, db)
        let layout = try storeParts(split, db)
        let headers = try parts.headers(exchange.requestHeaders, session: key, db)
        let body = RecordCoding.storable(exchange.responseBody)
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO exchange_detail(id, prompt_preview, tool_names, error_message, response_text, request_layout,
                request_headers_part, request_headers_changes, record, response_body_deflated, response_body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                exchange.id, exchange.request.lastPrompt,
                exchange.response.toolCalls.isEmpty ? nil : exchange.response.toolCalls.map(\.name).joined(separator: ","),
                exchange.errorMessage, exchange.response.text.isEmpty ? nil : String(exchange.response.text.prefix(Self.textCap)),
                layout.json, headers.part, headers.changes.isEmpty ? nil : HeaderChange.json(headers.changes),
                try RecordCoding.encode(Self.recordOnly(exchange)), body.deflated, body.bytes,
            ])
        let started = exchange.startedAt.timeIntervalSince1970
        // A naming request's prompt is the session quoted back, not something the user typed.
        let naming = exchange.requestKind == ClaudeCodeStructure.Purpose.title.rawValue
        let first = naming ? nil : exchange.request.firstPrompt
        try db.cachedStatement(sql: """
            INSERT INTO session(key, client, first_prompt, title, title_source, started_at, last_at)
            VALUES (?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE 'first-prompt' END, ?, ?)
            ON CONFLICT(key) DO UPDATE SET last_at = max(last_at, excluded.last_at), started_at = min(started_at, excluded.started_at),
                first_prompt = coalesce(first_prompt, excluded.first_prompt),
                title = coalesce(title, excluded.title), title_source = coalesce(title_source, excluded.title_source)
            """).execute(arguments: [key, exchange.client, first, first, first, started, started + (exchange.timings.end ?? 0)])
        // Claude Code's own name for the session; one read from its transcript (`claude-code`) still wins.
        if naming, let title = ClaudeCodeStructure.title(reply: exchange.response.text) {
            try db.cachedStatement(sql: """
                UPDATE session SET title = ?, title_source = 'claude-code-request' WHERE key = ? AND coalesce(title_source, '') != 'claude-code'
                """).execute(arguments: [title, key])
        }
    }

    /// One row per window the response reported. A refusal (429, or a `rejected` window) is marked on
    /// the windows that refused it, so hitting the wall is counted per window.
    private func insertRateLimits(_ exchange: Exchange, _ db: Database) throws {
        guard let reading = exchange.rateLimits, !reading.windows.isEmpty else { return }
        let at = exchange.respondedAt.timeIntervalSince1970
        for window in reading.windows {
            let binding = window.name == reading.binding
            let rejected = reading.refused(by: window, status: exchange.status)
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO rate_limit(exchange_id, window, at, provider, account, used, resets_at, status, limit_value,
                    remaining, seconds, binding, rejected)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [exchange.id, window.name, at, exchange.provider, exchange.account, window.used,
                                         window.resetsAt?.timeIntervalSince1970, window.status, window.limit, window.remaining,
                                         window.seconds, binding, rejected])
        }
    }

    /// Stores the pieces and returns the layout that names them.
    private func storeParts(_ split: RequestBodySplit, _ db: Database) throws -> RequestBodyLayout {
        var layout = RequestBodyLayout()
        if let raw = split.raw {
            layout.raw = try parts.id(of: raw, db)
            return layout
        }
        layout.skeleton = try parts.id(of: split.skeleton!, db)
        for slot in split.slots {
            var stored = RequestBodyLayout.Slot(at: slot.at, key: slot.key)
            switch slot.shape {
            case .whole(let piece):
                stored.part = try parts.id(of: piece, db)
            case .array(let elements, let separators, let chained):
                let ids = try elements.map { try parts.id(of: $0, db) }
                if chained {
                    stored.chain = try parts.chain(ids, db)
                    stored.count = ids.count
                } else {
                    stored.items = ids
                }
                stored.separators = separators == .compact ? nil : separators
            }
            layout.slots.append(stored)
        }
        return layout
    }

    /// The exchange's own `sessionKey`; else the client's latest session-less exchange within 30
    /// minutes (of any ccglass process sharing this history); else a new group.
    func sessionKey(_ exchange: Exchange, _ db: Database) throws -> String {
        if let key = exchange.sessionKey { return key }
        let recent = try String.fetchOne(try db.cachedStatement(sql: """
            SELECT session_key FROM exchange
            WHERE client = ? AND session_id IS NULL AND run_id IS NULL AND started_at > ? AND started_at <= ? AND id != ?
            ORDER BY started_at DESC LIMIT 1
            """), arguments: [exchange.client, exchange.startedAt.timeIntervalSince1970 - Self.sessionGap,
                             exchange.startedAt.timeIntervalSince1970, exchange.id])
        return recent ?? "auto:" + exchange.id
    }

    /// Characters of an answer's text kept for search and previews (the raw body has all of it).
    static let textCap = 16_384

    /// The exchange without what is stored in its own columns (bodies, request headers, text).
    static func recordOnly(_ exchange: Exchange) -> Exchange {
        var record = exchange
        record.requestBody = Data()
        record.responseBody = Data()
        record.requestHeaders = []
        record.response.text = ""
        record.response.thinking = String(record.response.thinking.prefix(4_096))
        return record
    }

    /// Key order follows declaration order, so equal values encode to equal bytes (headers are
    /// content-addressed) without paying for sorting.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}
