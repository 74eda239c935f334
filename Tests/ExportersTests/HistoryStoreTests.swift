import Foundation
import GRDB
import Logging
import Proxy
import Testing
@testable import Exporters

@Suite(.temporaryFolder) struct HistoryStoreTests {
    let failures = FailureLog(logger: Logger(label: "test"))

    @Test(arguments: ["messages-first-turn.json", "messages-tool-result-turn.json", "messages-mcp-tool-result-turn.json",
                      "messages-bare-mode.json", "count-tokens.json"])
    func claudeCodeBodiesComeBackByteForByte(fixture: String) throws {
        let store = try StoreFixtures.tempStore()
        let (headers, body, _) = try StoreFixtures.claudeCodeFixture(fixture)
        let exchange = StoreFixtures.exchange(body: body, session: "s1", headers: SecretRedaction.redact(headers))
        store.write([.started(exchange), .finished(exchange)], failures: failures)
        let stored = try #require(try store.exchange(id: exchange.id))
        #expect(stored.requestBody == body)
        #expect(stored.requestHeaders == SecretRedaction.redact(headers))
        #expect(stored.responseBody == exchange.responseBody)
        #expect(stored.usage == exchange.usage)
    }

    /// Each session's header base is remembered up to a bound, and a session whose base was forgotten
    /// still gets its headers back whole.
    @Test func headerBasesAreBoundedAndHeadersSurviveForgetting() throws {
        let store = try StoreFixtures.tempStore()
        var first: Exchange?
        for n in 0..<(PartStore.headerBaseLimit + 5) {
            let exchange = StoreFixtures.exchange(body: Data("{}".utf8), session: "session-\(n)",
                                                  headers: [HeaderField("x-api-key", "…wxyz"), HeaderField("x-request", "\(n)")])
            if n == 0 { first = exchange }
            store.write([.finished(exchange)], failures: failures)
        }
        #expect(store.parts.rememberedHeaderBases <= PartStore.headerBaseLimit)
        let again = StoreFixtures.exchange(body: Data("{}".utf8), session: "session-0",
                                           headers: [HeaderField("x-api-key", "…wxyz"), HeaderField("x-request", "again")])
        store.write([.finished(again)], failures: failures)
        #expect(try store.exchange(id: again.id)?.requestHeaders == again.requestHeaders)
        #expect(try store.exchange(id: first!.id)?.requestHeaders == first!.requestHeaders)
        #expect(failures.count(.store) == 0)
    }

    @Test(arguments: [
        #"{"model": "x",  "messages" : [ {"role":"user","content":"a"} ,  {"role":"assistant","content":"b"} ] , "system":"s"}"#,
        "{\n  \"messages\": [],\n  \"tools\": [\n  ]\n}",
        #"{"messages":[{"role":"user","content":"caf\u00e9 \"quoted\" ]}["}]}"#,
        "not json at all {",
        "[1,2,3]",
        "",
        #"{"messages":[1,2,3]} trailing"#,
    ])
    func oddBodiesComeBackByteForByte(text: String) throws {
        let store = try StoreFixtures.tempStore()
        let exchange = StoreFixtures.exchange(body: Data(text.utf8))
        store.write([.finished(exchange)], failures: failures)
        #expect(try store.exchange(id: exchange.id)?.requestBody == Data(text.utf8))
        #expect(failures.count(.store) == 0)
    }

    @Test func aResentConversationStoresOnlyItsNewMessages() throws {
        let store = try StoreFixtures.tempStore()
        var messages: [[String: Any]] = []
        var ids: [String] = []
        for turn in 0..<30 {
            messages.append(["role": turn % 2 == 0 ? "user" : "assistant", "content": "turn \(turn) " + String(repeating: "x", count: 500)])
            let body = try JSONSerialization.data(withJSONObject: ["model": "m", "system": [["type": "text", "text": "sys"]], "messages": messages], options: [.sortedKeys])
            let exchange = StoreFixtures.exchange(body: body, session: "grow")
            ids.append(exchange.id)
            store.write([.finished(exchange)], failures: failures)
        }
        let (messageParts, chainNodes) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM part WHERE kind = 'message'")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chain")!)
        }
        #expect(messageParts == 30)
        #expect(chainNodes == 30)
        let last = try #require(try store.exchange(id: ids.last!))
        #expect((try JSONSerialization.jsonObject(with: last.requestBody) as! [String: Any])["messages"].map { ($0 as! [Any]).count } == 30)
    }

    @Test func sessionsGroupByIdThenRunThenClientGap() throws {
        let store = try StoreFixtures.tempStore()
        let now = Date()
        let body = Data(#"{"messages":[{"role":"user","content":"hello there"}]}"#.utf8)
        let a = StoreFixtures.exchange(body: body, session: "claude-session", at: now)
        let b = StoreFixtures.exchange(body: body, run: "run-1", at: now.addingTimeInterval(1))
        let c1 = StoreFixtures.exchange(body: body, client: "curl/8", at: now.addingTimeInterval(2))
        let c2 = StoreFixtures.exchange(body: body, client: "curl/8", at: now.addingTimeInterval(600))
        let c3 = StoreFixtures.exchange(body: body, client: "curl/8", at: now.addingTimeInterval(600 + 31 * 60))
        for e in [a, b, c1, c2, c3] { store.write([.finished(e)], failures: failures) }
        let keys = try store.recent(limit: 10).reduce(into: [String: String]()) { $0[$1.id] = $1.sessionKey }
        #expect(keys[a.id] == "claude-session")
        #expect(keys[b.id] == "run:run-1")
        #expect(keys[c1.id] == "auto:\(c1.id)")
        #expect(keys[c2.id] == keys[c1.id])
        #expect(keys[c3.id] == "auto:\(c3.id)")
        let sessions = try store.sessions()
        #expect(sessions.first { $0.key == "claude-session" }?.title == "hello there")
    }

    @Test func usageTotalsAddUpByModelAndDay() throws {
        let store = try StoreFixtures.tempStore()
        let body = Data("{}".utf8)
        var priced = StoreFixtures.exchange(body: body, usage: Usage(inputTokens: 1000, outputTokens: 100, cacheReadTokens: 600, cacheWrite5mTokens: 100))
        priced.cost = Cost(input: 0.001, output: 0.002, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "x")
        var unpriced = StoreFixtures.exchange(body: body, usage: Usage(inputTokens: 50, outputTokens: 5))
        unpriced.response.model = "mystery"
        var failed = StoreFixtures.exchange(body: body, usage: nil)
        failed.outcome = .httpError
        failed.status = 529
        store.write([.finished(priced), .finished(unpriced), .finished(failed)], failures: failures)
        let byModel = try store.usage(by: .model)
        let total = UsageRow.sum(byModel, group: "total")
        #expect(total.requests == 3 && total.errors == 1)
        #expect(total.inputTokens == 1050 && total.outputTokens == 105 && total.cacheReadTokens == 600 && total.cacheWrite5mTokens == 100)
        #expect(abs(total.costUSD - 0.003) < 1e-12)
        #expect(total.unpricedRequests == 1)
        #expect(byModel.first { $0.group == "mystery" }?.unpricedRequests == 1)
        #expect(try store.usage(by: .day).count == 1)
        #expect(try store.usage(by: .day, since: Date().addingTimeInterval(3600)).isEmpty)
    }

    /// The same totals straight from the `exchange` rows: what `usage_bucket` must always agree with.
    static func rowTotals(_ store: HistoryStore, by group: String, from: Double, to: Double) throws -> [String: [Double]] {
        try store.pool.read { db in
            var totals: [String: [Double]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT \(group), COUNT(*), SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), SUM(input_tokens),
                    SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_5m_tokens), TOTAL(cost_usd),
                    SUM(CASE WHEN cost_usd IS NULL AND has_usage THEN 1 ELSE 0 END),
                    TOTAL(CASE WHEN api_equivalent THEN cost_usd END)
                FROM exchange WHERE phase = 'finished' AND started_at >= ? AND started_at < ? GROUP BY 1
                """, arguments: [from, to]) {
                totals[row[0]] = (1...9).map { (row[$0] as Double?) ?? 0 }
            }
            return totals
        }
    }

    static func reported(_ rows: [UsageRow]) -> [String: [Double]] {
        Dictionary(uniqueKeysWithValues: rows.map { row in
            (row.group, [row.requests, row.errors, row.inputTokens, row.outputTokens, row.cacheReadTokens,
                         row.cacheWrite5mTokens].map(Double.init) + [row.costUSD, Double(row.unpricedRequests), row.apiEquivalentUSD])
        })
    }

    static func expectBucketsAgree(_ store: HistoryStore, _ origin: Date, comment: String) throws {
        let t0 = origin.timeIntervalSince1970
        let ranges: [(Date?, Date?)] = [(nil, nil), (origin.addingTimeInterval(7 * 60 + 13), nil),
                                        (nil, origin.addingTimeInterval(5 * 3600 + 101)),
                                        (origin.addingTimeInterval(3 * 3600 - 1), origin.addingTimeInterval(3 * 3600 + 299)),
                                        (origin.addingTimeInterval(2 * 3600), origin.addingTimeInterval(4 * 3600))]
        let groups: [(UsageGrouping, String)] = [(.model, "coalesce(response_model, request_model, '(none)')"),
                                                 (.session, "session_key"), (.day, "date(started_at, 'unixepoch', 'localtime')"),
                                                 (.client, "client")]
        for (since, until) in ranges {
            for (grouping, sql) in groups {
                let expected = try rowTotals(store, by: sql, from: since?.timeIntervalSince1970 ?? 0,
                                             to: until?.timeIntervalSince1970 ?? .greatestFiniteMagnitude)
                let got = reported(try store.usage(by: grouping, since: since, until: until))
                #expect(Set(got.keys) == Set(expected.keys), "\(comment): \(grouping) \(String(describing: since.map { $0.timeIntervalSince1970 - t0 }))")
                for (key, values) in expected {
                    let reported = got[key] ?? []
                    #expect(reported.count == values.count && zip(reported, values).allSatisfy { abs($0 - $1) < 1e-9 },
                            "\(comment): \(grouping) \(key): \(reported) vs \(values)")
                }
            }
        }
    }

    @Test func usageFromBucketsAgreesWithTheRowsThroughWritesDeletesAndMigration() throws {
        let store = try StoreFixtures.tempStore()
        // A bucket-aligned origin a few days back, then an exchange every 7 minutes for 10 hours: buckets
        // split by time, session, model and outcome, and ranges that start and end mid-bucket.
        let origin = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400 - 3 * 86400)
        var exchanges: [Exchange] = []
        for i in 0..<86 {
            var exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"turn \#(i)"}]}"#.utf8),
                                                  session: "session-\(i % 3)", client: i % 4 == 0 ? "codex_cli_rs/0.5" : "claude-cli/2.1",
                                                  at: origin.addingTimeInterval(Double(i) * 420 + 30),
                                                  usage: Usage(inputTokens: 1000 + i, outputTokens: 10 + i, cacheReadTokens: i * 3, cacheWrite5mTokens: i % 5))
            exchange.response.model = ["claude-sonnet-4-5", "claude-opus-4-5", "mystery"][i % 3 == 0 ? 0 : i % 2 + 1]
            if exchange.response.model != "mystery" {
                exchange.cost = Cost(input: 0.001 * Double(i), output: 0.0001, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "x")
            }
            if i % 11 == 0 { exchange.outcome = .httpError; exchange.status = 529 }
            if i % 5 == 0 { exchange.billing = .subscription }  // signed in: its cost is the API-equivalent
            exchanges.append(exchange)
        }
        store.write(exchanges.map { .finished($0) }, failures: failures)
        try Self.expectBucketsAgree(store, origin, comment: "after writes")

        var refinished = exchanges[42]  // session-0, after the prune cut
        refinished.response.usage = Usage(inputTokens: 7, outputTokens: 7)
        refinished.response.model = "claude-haiku-4-5"
        var started = StoreFixtures.exchange(body: Data("{}".utf8), session: "session-9", at: origin.addingTimeInterval(3 * 3600 + 100))
        started.phase = .started
        store.write([.finished(refinished), .started(started)], failures: failures)
        try store.pool.write { try $0.execute(sql: "UPDATE exchange SET pid = 999999999 WHERE id = ?", arguments: [started.id]) }
        #expect(try store.markAbandoned() == 1)
        _ = try store.deleteSession("session-1")
        _ = try store.prune(before: origin.addingTimeInterval(3600 + 200))
        try Self.expectBucketsAgree(store, origin, comment: "after re-finish, abandon, rm and prune")
        #expect(try store.usage(by: .model).contains { $0.group == "claude-haiku-4-5" && $0.requests == 1 })

        // Session totals: finished exchanges from the buckets plus one still in flight.
        var inFlight = StoreFixtures.exchange(body: Data("{}".utf8), session: "session-2", at: origin.addingTimeInterval(9 * 3600))
        inFlight.phase = .started
        store.write([.started(inFlight)], failures: failures)
        // (session-9 holds only an abandoned exchange, so it never got a `session` row and is not listed.)
        let expectedSessions = try Self.rowTotals(store, by: "session_key", from: 0, to: .greatestFiniteMagnitude)
            .filter { $0.key != "session-9" }
        let inFlightRequests = try store.pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM exchange WHERE session_key = 'session-2' AND phase != 'finished'")
        }
        #expect(inFlightRequests == 1)
        let listed = try store.sessions(limit: 100)
        #expect(Set(listed.map(\.key)) == Set(expectedSessions.keys))
        for session in listed {
            let finished = try #require(expectedSessions[session.key])
            let extra = session.key == "session-2" ? 1 : 0
            #expect(session.requests == Int(finished[0]) + extra && session.errors == Int(finished[1]) + extra)
            #expect(session.inputTokens == Int(finished[2]) && session.outputTokens == Int(finished[3]))
            #expect(abs(session.costUSD - finished[6]) < 1e-9 && abs(session.apiEquivalentUSD - finished[8]) < 1e-9)
        }
        #expect(try store.sessions(limit: 1).count == 1)
        #expect(try store.session("session-2")?.requests == Int(expectedSessions["session-2"]![0]) + 1)

        // A history from before the buckets existed gets them filled in when it is opened.
        try store.pool.write { db in
            try db.execute(sql: """
                DROP TRIGGER usage_bucket_insert; DROP TRIGGER usage_bucket_update_old; DROP TRIGGER usage_bucket_update_new;
                DROP TRIGGER usage_bucket_delete; DROP TABLE usage_bucket; ALTER TABLE exchange DROP COLUMN api_equivalent;
                DELETE FROM grdb_migrations WHERE identifier IN ('v2 usage buckets', 'v4 api-equivalent cost');
                """)
        }
        let reopened = try HistoryStore(url: store.url)
        try Self.expectBucketsAgree(reopened, origin, comment: "after migrating an older history")
        // Written after the migration, a signed-in exchange's cost shows as API-equivalent.
        var signedIn = StoreFixtures.exchange(body: Data("{}".utf8), session: "session-new", at: origin.addingTimeInterval(3600 * 9 + 60))
        signedIn.billing = .subscription
        signedIn.cost = Cost(input: 0.25, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "x")
        reopened.write([.finished(signedIn)], failures: failures)
        try Self.expectBucketsAgree(reopened, origin, comment: "after writing to a migrated history")
        #expect(try reopened.usage(by: .session).first { $0.group == "session-new" }?.apiEquivalentUSD == 0.25)
        #expect(try reopened.recent(limit: 200).first { $0.id == signedIn.id }?.apiEquivalent == true)
    }

    @Test func removingASessionKeepsSharedPartsForTheOthers() throws {
        let store = try StoreFixtures.tempStore()
        let (_, body, _) = try StoreFixtures.claudeCodeFixture("messages-tool-result-turn.json")
        let keep = StoreFixtures.exchange(body: body, session: "keep")
        let drop = StoreFixtures.exchange(body: body, session: "drop")
        var unique = try JSONSerialization.jsonObject(with: body) as! [String: Any]
        unique["messages"] = [["role": "user", "content": "only in the dropped session"]]
        let dropUnique = StoreFixtures.exchange(body: try JSONSerialization.data(withJSONObject: unique), session: "drop")
        store.write([.finished(keep), .finished(drop), .finished(dropUnique)], failures: failures)
        let partsBefore = try store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM part")! }
        let result = try store.deleteSession("drop")
        #expect(result.exchanges == 2)
        #expect(result.parts >= 1)
        let partsAfter = try store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM part")! }
        #expect(partsAfter == partsBefore - result.parts)
        #expect(try store.exchange(id: keep.id)?.requestBody == body)
        #expect(try store.exchange(id: drop.id) == nil)
        #expect(try store.sessions().map(\.key) == ["keep"])
    }

    @Test func pruneDeletesOnlyOlderExchanges() throws {
        let store = try StoreFixtures.tempStore()
        let old = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"old"}]}"#.utf8), at: Date().addingTimeInterval(-40 * 86400))
        let recent = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"new"}]}"#.utf8))
        store.write([.finished(old), .finished(recent)], failures: failures)
        let result = try store.prune(before: Date().addingTimeInterval(-30 * 86400))
        #expect(result.exchanges == 1)
        #expect(try store.recent().map(\.id) == [recent.id])
        #expect(try store.exchange(id: recent.id)?.requestBody == recent.requestBody)
    }

    @Test func inFlightRowsOfADeadProcessBecomeIncomplete() throws {
        let store = try StoreFixtures.tempStore()
        let exchange = StoreFixtures.exchange(body: Data("{}".utf8))
        store.write([.started(exchange)], failures: failures)
        try store.pool.write { try $0.execute(sql: "UPDATE exchange SET pid = 999999999") }
        #expect(try store.markAbandoned() == 1)
        let row = try #require(try store.recent().first)
        #expect(row.outcome == "incomplete" && row.phase == "finished")
    }

    @Test func theCurrentSessionIsTheNewestFinishedExchangesNotAProvisionalOne() throws {
        let store = try StoreFixtures.tempStore()
        let finished = StoreFixtures.exchange(body: Data("{}".utf8), session: "claude-session", run: "run-1",
                                              at: Date().addingTimeInterval(-5))
        // The agent's next request, still streaming: its session is not known yet.
        var inFlight = StoreFixtures.exchange(body: Data("{}".utf8), run: "run-1")
        inFlight.phase = .started
        store.write([.finished(finished), .started(inFlight)], failures: failures)
        #expect(try store.recent(limit: 1).first?.sessionKey == "run:run-1")
        #expect(try store.latestSessionKey(run: "run-1") == "claude-session")
        #expect(try store.latestSessionKey() == "claude-session")
        #expect(try store.latestSessionKey(run: "run-2") == nil)
    }

    @Test func searchFindsPromptsAndAnswers() throws {
        let store = try StoreFixtures.tempStore()
        var exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"where is the flux capacitor?"},{"role":"assistant","content":"ok"},{"role":"user","content":"thanks"}]}"#.utf8))
        exchange.response.text = "It is in the DeLorean."
        store.write([.finished(exchange)], failures: failures)
        #expect(try store.search("FLUX capacitor").map(\.id) == [exchange.id])
        #expect(try store.search("delorean").map(\.id) == [exchange.id])
        #expect(try store.search("100%").isEmpty)
    }

    /// Content-Length grows with every turn, so no two requests' headers are equal: each is stored as
    /// the changes from the session's base, and comes back exactly as recorded.
    @Test func requestHeadersAreStoredAsChangesAndComeBackExactly() throws {
        let store = try StoreFixtures.tempStore()
        let (fixtureHeaders, _, _) = try StoreFixtures.claudeCodeFixture("messages-tool-result-turn.json")
        for turn in 0..<20 {
            var headers = SecretRedaction.redact(fixtureHeaders.map { $0.name.lowercased() == "content-length" ? HeaderField($0.name, "\(40_000 + turn * 977)") : $0 })
            if turn >= 10 { headers.append(HeaderField("x-extra", "a new name: stored whole once")) }
            let exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"turn \#(turn)"}]}"#.utf8), session: "h", headers: headers)
            store.write([.finished(exchange)], failures: failures)
            #expect(try store.exchange(id: exchange.id)?.requestHeaders == headers)
        }
        let (headerParts, changed) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM part WHERE kind = 'headers'")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exchange_detail WHERE request_headers_changes IS NOT NULL")!)
        }
        #expect(headerParts == 2)  // the first request's, and the one that added a header
        #expect(changed == 18)
    }

    /// Parts are compressed on disk; searching inside a request body still finds what was sent.
    @Test func searchFindsWordsInsideCompressedParts() throws {
        let store = try StoreFixtures.tempStore()
        let long = String(repeating: "the build log says nothing useful here. ", count: 100) + "needle-in-the-haystack"
        let exchange = StoreFixtures.exchange(body: try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": long]]]))
        store.write([.finished(exchange)], failures: failures)
        let deflated = try store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM part WHERE kind = 'message' AND deflated = 1")! }
        #expect(deflated == 1)
        #expect(try store.search("needle-in-the-haystack").map(\.id) == [exchange.id])
        #expect(try store.exchange(id: exchange.id)?.requestBody == exchange.requestBody)
    }

    /// The format says which members hold the conversation: a Responses request's `input` grows turn by
    /// turn and is stored item by item, like Anthropic's `messages`.
    @Test func aResponsesConversationIsStoredItemByItem() throws {
        let store = try StoreFixtures.tempStore()
        var input: [[String: Any]] = []
        for turn in 0..<10 {
            input.append(["type": "message", "role": turn % 2 == 0 ? "user" : "assistant", "content": [["type": "input_text", "text": "turn \(turn)"]]])
            let body = try JSONSerialization.data(withJSONObject: ["model": "gpt-5.5", "instructions": "You are Codex.", "input": input], options: [.sortedKeys])
            var exchange = Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[1], method: "POST",
                                    target: "/v1/responses", format: .openAIResponses, userAgent: "codex_exec/0.147.0", requestHeaders: [])
            exchange.requestBody = body
            exchange.phase = .finished
            store.write([.finished(exchange)], failures: failures)
            #expect(try store.exchange(id: exchange.id)?.requestBody == body)
        }
        let (items, system) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM part WHERE kind = 'message'")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM part WHERE kind = 'system'")!)
        }
        #expect(items == 10 && system == 1)
    }

    /// Codex on a WebSocket: a prewarm with the tools and instructions, a turn continuing it with the
    /// user's prompt, then the tool's output continuing the turn's function call.
    static func codexConnection(_ store: HistoryStore, failures: FailureLog) throws -> [Exchange] {
        let frames = [
            #"{"type":"response.create","model":"gpt-5.6-sol","generate":false,"input":[{"type":"additional_tools","role":"developer","tools":[{"type":"function","name":"exec_command"}]},{"type":"message","role":"developer","content":[{"type":"input_text","text":"You are Codex."}]}]}"#,
            #"{"type":"response.create","model":"gpt-5.6-sol","previous_response_id":"resp_1","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"say hi"}]}]}"#,
            #"{"type":"response.create","model":"gpt-5.6-sol","previous_response_id":"resp_2","input":[{"type":"function_call_output","call_id":"call_1","output":"hi"}]}"#,
        ]
        let replies = [
            #"{"type":"response.completed","response":{"id":"resp_1","output":[]}}"#,
            #"{"type":"response.output_item.done","item":{"type":"function_call","call_id":"call_1","name":"exec_command","arguments":"{\"cmd\":\"echo hi\"}"}}"# + "\n"
                + #"{"type":"response.completed","response":{"id":"resp_2","output":[]}}"#,
            #"{"type":"response.output_item.done","item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]}}"#,
        ]
        var exchanges: [Exchange] = []
        for (frame, reply) in zip(frames, replies) {
            var exchange = Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[1], method: "GET",
                                    target: "/v1/responses", format: .openAIResponses, userAgent: "codex_exec/0.147.0", requestHeaders: [])
            exchange.transport = .webSocket
            exchange.requestBody = Data(frame.utf8)
            exchange.responseBody = Data((reply + "\n").utf8)
            exchange.continues = exchanges.last?.id
            exchange.phase = .finished
            exchange.response.usage = Usage(inputTokens: 100, outputTokens: 10)
            store.write([.finished(exchange)], failures: failures)
            exchanges.append(exchange)
        }
        return exchanges
    }

    @Test func aContinuingWebSocketRequestIsShownWithTheConversationItStandsOn() throws {
        let store = try StoreFixtures.tempStore()
        let sent = try Self.codexConnection(store, failures: failures)
        let last = try #require(try store.exchange(id: sent[2].id))
        #expect(last.requestBody == sent[2].requestBody)  // the frame itself, untouched
        #expect(last.prompt?.messages.count == 1)
        let whole = try #require(last.conversation)
        #expect(whole.messages.map(\.role) == [.developer, .user, .assistant, .tool])
        #expect(whole.messages[2].blocks.first?.toolName == "exec_command" && whole.messages[3].blocks.first?.text == "hi")
        #expect(whole.earlierMessages == 3 && whole.earlierTools == true && whole.tools.map(\.name) == ["exec_command"])
        // The session path (cache report) rebuilds each link once and agrees.
        let all = try store.exchangesWithConversations(ids: sent.map(\.id))
        #expect(all.count == 3)
        for exchange in all { #expect(exchange.conversation == (try store.exchange(id: exchange.id)?.conversation)) }
        // Exports stay the exchange as recorded, linked, not inflated.
        let export = try JSONSerialization.jsonObject(with: ExchangeExport.json(last)) as? [String: Any]
        #expect(export?["earlier"] == nil && export?["continues"] as? String == sent[1].id)
    }

    @Test func aContinuationWhoseEarlierExchangeIsGoneShowsWhatWasSent() throws {
        let store = try StoreFixtures.tempStore()
        let sent = try Self.codexConnection(store, failures: failures)
        try store.pool.write { db in try db.execute(sql: "DELETE FROM exchange WHERE id = ?", arguments: [sent[1].id]) }
        let whole = try #require(try store.exchange(id: sent[2].id)?.conversation)
        #expect(whole.messages.count == 1 && whole.earlierMessages == nil)
    }

    @Test func listedRowsSayWhyARequestFailed() throws {
        let store = try StoreFixtures.tempStore()
        var failed = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"find the flaky test"}]}"#.utf8), run: "r1")
        failed.status = 529
        failed.outcome = .httpError
        failed.errorMessage = "Overloaded"
        store.write([.finished(failed)], failures: failures)
        #expect(try store.recent().first?.errorMessage == "Overloaded")
        #expect(try store.exchanges(run: "r1").first?.errorMessage == "Overloaded")
        #expect(try store.search("flaky test").first?.errorMessage == "Overloaded")
    }

    @Test func writeFailuresAreCountedNotThrown() throws {
        let store = try StoreFixtures.tempStore()
        try store.pool.write { try $0.execute(sql: "DROP TABLE exchange_detail") }
        let exchange = StoreFixtures.exchange(body: Data("{}".utf8))
        store.write([.finished(exchange)], failures: failures)
        #expect(failures.count(.store) == 1)
    }
}

@Suite(.temporaryFolder) struct SessionTitleTests {
    @Test func customTitleWinsOverSummary() throws {
        let projects = try TemporaryFolder.path("claude").appendingPathComponent("projects/-home-dev-project")
        try FileManager.default.createDirectory(at: projects, withIntermediateDirectories: true)
        let transcript = """
            {"type":"user","message":{"role":"user","content":"fix the summary bug"},"sessionId":"abc"}
            {"type":"summary","summary":"Fixing the parser","leafUuid":"1"}
            {"type":"custom-title","customTitle":"Parser rescue","sessionId":"abc"}
            """
        try Data(transcript.utf8).write(to: projects.appendingPathComponent("abc.jsonl"))
        let titles = SessionTitles(projects: projects.deletingLastPathComponent())
        #expect(titles.title(session: "abc") == "Parser rescue")
        #expect(titles.title(session: "missing") == nil)
        #expect(SessionTitles.title(inTranscript: Data(#"{"type":"summary","summary":"Only summary"}"#.utf8)) == "Only summary")
    }

    /// A live dashboard asks every second; the transcript is read again only once the title is stale.
    @Test func aTitleIsReadOncePerFreshnessWindow() throws {
        let projects = try TemporaryFolder.path("claude").appendingPathComponent("projects/p")
        try FileManager.default.createDirectory(at: projects, withIntermediateDirectories: true)
        let transcript = projects.appendingPathComponent("s-7.jsonl")
        try Data(#"{"type":"summary","summary":"First name"}"#.utf8).write(to: transcript)
        let titles = SessionTitles(projects: projects.deletingLastPathComponent())
        #expect(titles.title(session: "s-7") == "First name")
        try Data(#"{"type":"summary","summary":"Second name"}"#.utf8).write(to: transcript)
        #expect(titles.title(session: "s-7") == "First name")
        #expect(SessionTitles(projects: projects.deletingLastPathComponent()).title(session: "s-7") == "Second name")
    }

    @Test func storedSessionsPickUpTheClaudeCodeTitle() throws {
        let store = try StoreFixtures.tempStore()
        let projects = try TemporaryFolder.path("claude").appendingPathComponent("projects/p")
        try FileManager.default.createDirectory(at: projects, withIntermediateDirectories: true)
        try Data(#"{"type":"summary","summary":"Renamed by Claude"}"#.utf8).write(to: projects.appendingPathComponent("s-42.jsonl"))
        let exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"first prompt"}]}"#.utf8), session: "s-42")
        store.write([.finished(exchange)], failures: FailureLog(logger: Logger(label: "t")))
        #expect(try store.sessions().first?.title == "first prompt")
        let titled = try store.sessions(titles: SessionTitles(projects: projects.deletingLastPathComponent()))
        #expect(titled.first?.title == "Renamed by Claude" && titled.first?.titleSource == "claude-code")
        #expect(try store.sessions().first?.title == "Renamed by Claude")
    }
}
