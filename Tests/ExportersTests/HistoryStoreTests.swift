import Foundation
import Logging
import Proxy
import Testing
@testable import Exporters

@Suite struct HistoryStoreTests {
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

    @Test func searchFindsPromptsAndAnswers() throws {
        let store = try StoreFixtures.tempStore()
        var exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"where is the flux capacitor?"},{"role":"assistant","content":"ok"},{"role":"user","content":"thanks"}]}"#.utf8))
        exchange.response.text = "It is in the DeLorean."
        store.write([.finished(exchange)], failures: failures)
        #expect(try store.search("FLUX capacitor").map(\.id) == [exchange.id])
        #expect(try store.search("delorean").map(\.id) == [exchange.id])
        #expect(try store.search("100%").isEmpty)
    }

    @Test func writeFailuresAreCountedNotThrown() throws {
        let store = try StoreFixtures.tempStore()
        try store.pool.write { try $0.execute(sql: "DROP TABLE exchange_detail") }
        let exchange = StoreFixtures.exchange(body: Data("{}".utf8))
        store.write([.finished(exchange)], failures: failures)
        #expect(failures.count(.store) == 1)
    }
}

@Suite struct SessionTitleTests {
    @Test func customTitleWinsOverSummary() throws {
        let projects = FileManager.default.temporaryDirectory.appendingPathComponent("claude-\(UUID().uuidString)/projects/-home-dev-project")
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

    @Test func storedSessionsPickUpTheClaudeCodeTitle() throws {
        let store = try StoreFixtures.tempStore()
        let projects = FileManager.default.temporaryDirectory.appendingPathComponent("claude-\(UUID().uuidString)/projects/p")
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
