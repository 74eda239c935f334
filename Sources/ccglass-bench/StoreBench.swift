import Crypto
import Exporters
import Foundation
import Logging
import Proxy

/// `ccglass-bench store`: the history's size on a long Claude Code-shaped session, its insert rate, and
/// report latency over 100,000 exchanges.
enum StoreBench {
    static func run(quick: Bool) throws {
        let fixture = try Fixture.load()
        try sessionSize(fixture, turns: 200, shape: .long)
        try sessionSize(fixture, turns: 200, shape: .short)
        if CommandLine.arguments.contains("--size-only") { return }
        try insertRate(fixture, exchanges: quick ? 1000 : 5000)
        try reportLatency(exchanges: quick ? 20_000 : 100_000)
    }

    /// A 200-turn session: every request resends the whole conversation, as Claude Code does. Counted
    /// as the database file and its WAL after a checkpoint.
    static func sessionSize(_ fixture: Fixture, turns: Int, shape: Fixture.Shape) throws {
        let store = try temporaryStore()
        let failures = FailureLog(logger: Logger(label: "bench"))
        var distinct = Set<[UInt8]>()
        var distinctBytes = 0
        var naive = 0
        func count(_ bytes: [UInt8]) {
            if distinct.insert(Array(SHA256.hash(data: bytes))).inserted { distinctBytes += bytes.count }
        }
        var messages = fixture.firstMessages
        for turn in 0..<turns {
            if turn > 0 { messages += fixture.turn(turn, shape: shape) }
            let body = fixture.body(messages: messages)
            let exchange = fixture.exchange(body: body, session: "bench-session", turn: turn)
            naive += body.count + exchange.responseBody.count
            // What is genuinely new each turn: the pieces a content-addressed store must keep.
            for piece in fixture.pieces(of: body) { count(piece) }
            distinctBytes += exchange.responseBody.count
            store.write([.finished(exchange)], failures: failures)
        }
        try store.checkpoint()
        let stored = store.fileSize()
        print("History size, \(turns)-turn Claude Code-shaped session, \(shape.description) (real fixture system prompt and tools, growing conversation)")
        print(String(format: "  naive (every body whole): %@; distinct content: %@; stored: %@ = %.2f× distinct, %.1f%% of naive",
                     mb(naive), mb(distinctBytes), mb(Int(stored)), Double(stored) / Double(distinctBytes),
                     Double(stored) / Double(naive) * 100))
        print("  by table: " + (try store.spaceByTable()).map { "\($0.name) \(mb($0.bytes))" }.joined(separator: ", "))
        print("  failures: \(failures.count(.store))\n")
    }

    static func insertRate(_ fixture: Fixture, exchanges: Int) throws {
        let store = try temporaryStore()
        let failures = FailureLog(logger: Logger(label: "bench"))
        var batches: [[ExchangeEvent]] = []
        var messages = fixture.firstMessages
        var batch: [ExchangeEvent] = []
        for i in 0..<exchanges {
            if i % 20 == 0 { messages = fixture.firstMessages } else { messages += fixture.turn(i) }
            let exchange = fixture.exchange(body: fixture.body(messages: messages), session: "s\(i / 20)", turn: i)
            batch += [.started(exchange), .finished(exchange)]
            if batch.count == 100 { batches.append(batch); batch = [] }
        }
        if !batch.isEmpty { batches.append(batch) }
        let start = ContinuousClock.now
        for batch in batches { store.write(batch, failures: failures) }
        let seconds = (ContinuousClock.now - start).seconds
        print("Insert rate (Claude Code-sized bodies, 20-turn sessions, batches of 50 exchanges)")
        print(String(format: "  %d exchanges in %.2f s = %.0f exchanges/s; failures: %d\n", exchanges, seconds,
                     Double(exchanges) / seconds, failures.count(.store)))
    }

    static func reportLatency(exchanges: Int) throws {
        let store = try temporaryStore()
        let failures = FailureLog(logger: Logger(label: "bench"))
        let models = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-4.1-mini"]
        let origin = Date().addingTimeInterval(-90 * 86400)
        var batch: [ExchangeEvent] = []
        for i in 0..<exchanges {
            let date = origin.addingTimeInterval(Double(i) * 90 * 86400 / Double(exchanges))
            // Sessions of 50 exchanges, each on one provider and main model, with Claude Code-style small
            // side requests on a second model.
            let session = i / 50
            let openAI = session % 5 >= 3
            var exchange = Exchange(id: ExchangeID.make(at: date), startedAt: date, provider: Provider.presets[openAI ? 1 : 0],
                                    method: "POST", target: "/v1/messages", format: .anthropicMessages,
                                    userAgent: "claude-cli/2.1", requestHeaders: [])
            exchange.sessionID = "session-\(session)"
            exchange.requestBody = Data(#"{"model":"m","messages":[{"role":"user","content":"request \#(i)"}]}"#.utf8)
            exchange.response.model = i % 4 == 3 ? (openAI ? "gpt-4.1-mini" : "claude-haiku-4-5") : models[session % models.count]
            exchange.response.usage = Usage(inputTokens: 1000 + i % 500, outputTokens: 50, cacheReadTokens: 800)
            exchange.cost = Cost(input: 0.001, output: 0.002, cacheRead: 0.0001, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "x")
            exchange.outcome = .ok
            exchange.status = 200
            exchange.phase = .finished
            batch.append(.finished(exchange))
            if batch.count == 1000 {
                store.write(batch, failures: failures)
                batch = []
            }
        }
        store.write(batch, failures: failures)
        try store.checkpoint()
        let buckets = try store.usageBucketCount()
        print("Report latency over \(exchanges) stored exchanges in \(exchanges / 50) sessions (\(buckets) usage buckets), 50 runs each")
        for (name, query) in [
            ("usage --by day", { _ = try store.usage(by: .day) }),
            ("usage --by model", { _ = try store.usage(by: .model) }),
            ("usage --by session", { _ = try store.usage(by: .session) }),
            ("usage --since 7d", { _ = try store.usage(by: .day, since: Date().addingTimeInterval(-7 * 86400)) }),
            ("requests --limit 20", { _ = try store.recent(limit: 20) }),
            ("requests --session", { _ = try store.recent(limit: 20, session: "session-7") }),
        ] as [(String, () throws -> Void)] {
            var samples = Samples()
            for _ in 0..<50 {
                let start = ContinuousClock.now
                try query()
                samples.add((ContinuousClock.now - start).seconds)
            }
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) p50 \(ms(samples.p50))  p95 \(ms(samples.percentile(95)))")
        }
        print()
    }

    /// A history of `count` small exchanges in one session (what the dashboard lists, not what the bodies weigh).
    static func seed(home: URL, session: String, count: Int) throws {
        let store = try HistoryStore(url: HistoryStore.defaultURL(home: home))
        let failures = FailureLog(logger: Logger(label: "seed"))
        var batch: [ExchangeEvent] = []
        let start = Date().addingTimeInterval(-Double(count))
        for turn in 0..<count {
            let date = start.addingTimeInterval(Double(turn))
            var exchange = Exchange(id: ExchangeID.make(at: date), startedAt: date, provider: Provider.presets[0], method: "POST",
                                    target: "/v1/messages", format: .anthropicMessages, userAgent: "claude-cli/2.1.332", requestHeaders: [])
            exchange.sessionID = session
            exchange.requestBody = Data(#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"seeded prompt \#(turn)"}]}"#.utf8)
            exchange.request.model = "claude-sonnet-4-5"
            exchange.request.lastPrompt = "seeded prompt \(turn)"
            exchange.response.model = "claude-sonnet-4-5-20250929"
            exchange.response.usage = Usage(inputTokens: 20_000 + turn, outputTokens: 150, cacheReadTokens: 19_000)
            exchange.cost = Cost(input: 0.003, output: 0.00225, cacheRead: 0.0057, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "anthropic:claude-sonnet-4-5")
            exchange.status = 200
            exchange.outcome = .ok
            exchange.phase = .finished
            exchange.timings.firstByte = 0.9
            exchange.timings.end = 2.5
            batch.append(.finished(exchange))
            if batch.count == 500 {
                store.write(batch, failures: failures)
                batch = []
            }
        }
        store.write(batch, failures: failures)
        print("seeded \(count) exchanges in session \(session) at \(store.url.path)")
    }

    static func temporaryStore() throws -> HistoryStore {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ccglass-store-bench-\(UUID().uuidString)/history.sqlite")
        return try HistoryStore(url: url)
    }

    static func mb(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1_000_000) }
}

/// The real Claude Code request of `Tests/Fixtures`, grown turn by turn with tool calls and results.
struct Fixture {
    let base: [String: Any]
    let headers: [HeaderField]
    let firstMessages: [[String: Any]]
    let assistant: [String: Any]
    let toolResult: [String: Any]

    static func load() throws -> Fixture {
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Tests/Fixtures").path) {
            guard directory.path != "/" else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "run from the repository"]) }
            directory.deleteLastPathComponent()
        }
        let url = directory.appendingPathComponent("Tests/Fixtures/claude-code/messages-tool-result-turn.json")
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let body = fixture["body"] as! [String: Any]
        let messages = body["messages"] as! [[String: Any]]
        return Fixture(base: body, headers: (fixture["headers"] as! [[String]]).map { HeaderField($0[0], $0[1]) },
                       firstMessages: Array(messages.prefix(2)), assistant: messages[2], toolResult: messages[3])
    }

    /// How much each turn adds.
    enum Shape: CustomStringConvertible {
        /// A tool result of 40 grep lines (about 3.5 KB).
        case long
        /// About 2 KB per message, as a chatty session looks.
        case short

        var description: String { self == .long ? "long turns (~3.5 KB tool results)" : "short turns (~2 KB per message)" }
    }

    /// Turn `n`'s new messages: the model's tool call and its result, with turn-specific content.
    func turn(_ n: Int, shape: Shape = .long) -> [[String: Any]] {
        var call = assistant
        var blocks = call["content"] as! [[String: Any]]
        for i in blocks.indices where blocks[i]["type"] as? String == "tool_use" {
            blocks[i]["id"] = "toolu_bench_\(n)"
            blocks[i]["input"] = ["command": "grep -rn 'pattern\(n)' Sources/", "description": "search step \(n)"]
        }
        call["content"] = blocks
        var result = toolResult
        let lines = shape == .long ? 40 : 22
        let output = (0..<lines).map { "Sources/Module\(n % 7)/File\($0).swift:\($0 * 3 + n): let value\($0) = compute(\(n), \($0)) // match" }
            .joined(separator: "\n")
        result["content"] = [["type": "tool_result", "tool_use_id": "toolu_bench_\(n)", "content": output]]
        return [call, result]
    }

    func body(messages: [[String: Any]]) -> Data {
        var body = base
        body["messages"] = messages
        return try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The pieces a content-addressed store needs: system blocks, tools, each message, and the rest.
    func pieces(of body: Data) -> [[UInt8]] {
        let object = try! JSONSerialization.jsonObject(with: body) as! [String: Any]
        var pieces: [[UInt8]] = []
        func bytes(_ value: Any) -> [UInt8] {
            Array(try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]))
        }
        for block in object["system"] as? [Any] ?? [] { pieces.append(bytes(block)) }
        pieces.append(bytes(object["tools"] ?? []))
        for message in object["messages"] as? [Any] ?? [] { pieces.append(bytes(message)) }
        var rest = object
        rest.removeValue(forKey: "system"); rest.removeValue(forKey: "tools"); rest.removeValue(forKey: "messages")
        pieces.append(bytes(rest))
        pieces.append(bytes(headers.map { [$0.name, $0.value] }))
        return pieces
    }

    func exchange(body: Data, session: String, turn: Int, at date: Date = Date()) -> Exchange {
        // As on the wire: Content-Length follows the body, so no two requests' headers are equal.
        let sent = headers.map { $0.name.lowercased() == "content-length" ? HeaderField($0.name, String(body.count)) : $0 }
        var exchange = Exchange(id: ExchangeID.make(at: date), startedAt: date, provider: Provider.presets[0], method: "POST",
                                target: "/v1/messages?beta=true", format: .anthropicMessages,
                                userAgent: "claude-cli/2.1.332 (external, sdk-cli)", requestHeaders: SecretRedaction.redact(sent))
        exchange.sessionID = session
        exchange.requestBody = body
        exchange.requestBytes = body.count
        exchange.responseHeaders = [HeaderField("content-type", "text/event-stream"), HeaderField("request-id", "req_\(turn)_\(UUID().uuidString)")]
        let text = "Looking at step \(turn): the search found 40 matches; next I will check Module\(turn % 7)."
        exchange.responseBody = Data((["event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_\(turn)\",\"model\":\"claude-opus-5-5\",\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":\(12000 + turn * 900),\"cache_creation_input_tokens\":900,\"output_tokens\":1}}}\n\n"]
            + text.split(separator: " ").map { "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\($0) \"}}\n\n" }
            + ["event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":180}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"]).joined().utf8)
        exchange.responseBytes = exchange.responseBody.count
        exchange.response.text = text
        exchange.response.model = "claude-opus-5-5"
        exchange.response.usage = Usage(inputTokens: 12903 + turn * 900, outputTokens: 180, cacheReadTokens: 12000 + turn * 900, cacheWrite5mTokens: 900)
        exchange.status = 200
        exchange.outcome = .ok
        exchange.phase = .finished
        exchange.timings.firstByte = 0.8
        exchange.timings.end = 3.2
        return exchange
    }
}
