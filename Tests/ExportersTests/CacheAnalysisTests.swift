import Foundation
import Logging
import Proxy
import Testing
@testable import Exporters

/// A Claude Code session grown from the real fixture, turn by turn, with the usage a provider would report.
struct SessionBuilder {
    var body: [String: Any]
    var clock = Date(timeIntervalSince1970: 1_800_000_000)
    var exchanges: [Exchange] = []
    var cached = 0
    let session = "fixture-session"

    init() throws {
        let url = StoreFixtures.root.appendingPathComponent("Fixtures/claude-code/messages-tool-result-turn.json")
        body = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["body"] as! [String: Any]
    }

    /// Appends a tool call and its result, as each Claude Code turn does, moving the cache mark to the end.
    mutating func grow(_ turn: Int) {
        var messages = (body["messages"] as! [[String: Any]]).map { message -> [String: Any] in
            var message = message
            if var blocks = message["content"] as? [[String: Any]] {
                for i in blocks.indices { blocks[i].removeValue(forKey: "cache_control") }
                message["content"] = blocks
            }
            return message
        }
        messages.append(["role": "assistant", "content": [["type": "tool_use", "id": "toolu_\(turn)", "name": "Bash", "input": ["command": "make test \(turn)"]]]])
        messages.append(["role": "user", "content": [["type": "tool_result", "tool_use_id": "toolu_\(turn)", "content": String(repeating: "test output line \(turn)\n", count: 40),
                                                      "cache_control": ["type": "ephemeral"]]]])
        body["messages"] = messages
    }

    /// Sends the current body: `read` tokens come from cache, `write` are written (5-minute TTL).
    mutating func send(read: Int, write: Int, model: String = "claude-opus-5-5", after gap: TimeInterval = 20) {
        clock = clock.addingTimeInterval(gap)
        var copy = body
        copy["model"] = model
        let data = try! JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys])
        var exchange = StoreFixtures.exchange(body: data, session: session, at: clock,
                                              usage: Usage(inputTokens: 3 + read + write, outputTokens: 200, cacheReadTokens: read, cacheWrite5mTokens: write))
        exchange.request = WireFormatKind.anthropicMessages.prompt(request: copy, path: "/v1/messages").summary
        exchange.response.model = model
        exchange.timings.end = 4
        exchanges.append(exchange)
        clock = clock.addingTimeInterval(4)
    }
}

@Suite(.temporaryFolder) struct CacheAnalysisTests {
    static let prices: PriceTable = {
        let url = StoreFixtures.root.appendingPathComponent("../data/pricing.json").standardized
        return try! PriceTable(json: Data(contentsOf: url))
    }()

    func report(_ builder: SessionBuilder) throws -> CacheReport {
        let store = try StoreFixtures.tempStore()
        store.write(builder.exchanges.map { .finished($0) }, failures: FailureLog(logger: Logger(label: "t")))
        return try store.cacheReport(session: builder.session, prices: Self.prices)
    }

    @Test func eachDeliberateChangeIsNamedAtItsExchangeAndPriced() throws {
        var s = try SessionBuilder()
        s.send(read: 0, write: 20_000)                     // 0: cold
        s.grow(1); s.send(read: 20_000, write: 2_000)      // 1: hit
        // 2: a system block edited: everything from it on is written again
        var system = s.body["system"] as! [[String: Any]]
        system[1]["text"] = (system[1]["text"] as! String) + " (edited)"
        s.body["system"] = system
        s.grow(2); s.send(read: 0, write: 24_000)
        s.grow(3); s.send(read: 24_000, write: 2_000)      // 3: hit
        // 4: a tool added
        var tools = s.body["tools"] as! [[String: Any]]
        tools.append(["name": "Deploy", "description": "ship it", "input_schema": ["type": "object"]])
        s.body["tools"] = tools
        s.grow(4); s.send(read: 0, write: 28_000)
        s.grow(5); s.send(read: 28_000, write: 2_000)      // 5: hit
        s.grow(6); s.send(read: 0, write: 32_000, after: 6 * 60)  // 6: six minutes later, 5-minute cache gone
        s.grow(7); s.send(read: 0, write: 34_000, model: "claude-sonnet-4-5")  // 7: model switch

        let r = try report(s)
        #expect(r.events.map(\.verdict) == ["cold", "hit", "miss", "hit", "miss", "hit", "miss", "miss"])
        let causes = r.events.map { $0.cause.map { "\($0.kind.rawValue) \($0.block ?? "")" } }
        #expect(causes[2] == "prefix_changed system block 2")
        #expect(causes[4] == "prefix_changed tool Deploy")
        #expect(causes[6] == "ttl_expired ")
        #expect(causes[7] == "model_changed ")
        #expect(r.events[6].cause?.detail.contains("6m00s") == true)

        // Lost tokens: what the previous request left in the cache; dollars: written again (5m write) instead of read.
        #expect(r.events[2].lostTokens == 22_000)
        #expect(abs(r.events[2].lostUSD! - 22_000 * (5.0 - 0.2) / 1e6) < 1e-9)       // Opus 5.5: $5 write, $0.20 read
        #expect(r.events[4].lostTokens == 26_000)
        #expect(abs(r.events[4].lostUSD! - 26_000 * (5.0 - 0.2) / 1e6) < 1e-9)
        #expect(r.events[6].lostTokens == 30_000)
        #expect(abs(r.events[6].lostUSD! - 30_000 * (5.0 - 0.2) / 1e6) < 1e-9)
        #expect(r.events[7].lostTokens == 32_000)
        #expect(abs(r.events[7].lostUSD! - 32_000 * (3.75 - 0.3) / 1e6) < 1e-9)      // Sonnet 4.5 rates
        let total = (22_000 + 26_000 + 30_000) * 4.8 / 1e6 + 32_000 * 3.45 / 1e6
        #expect(abs(r.lostUSD - total) < 1e-9)
        #expect(r.lostTokens == 110_000)
        // efficiency: read / (read + write + uncached)
        let read = 20_000 + 24_000 + 28_000, written = 20_000 + 2_000 + 24_000 + 2_000 + 28_000 + 2_000 + 32_000 + 34_000
        #expect(abs(r.efficiency! - Double(read) / Double(read + written + 8 * 3)) < 1e-12)
        #expect(r.topCauses.first?.kind == .ttlExpired)  // 30,000 × $4.80/M beats 32,000 × $3.45/M
        #expect(r.topCauses.count == 4)
    }

    @Test func sideRequestsOfAnotherConversationAreNotCountedAsMisses() throws {
        var s = try SessionBuilder()
        s.send(read: 0, write: 20_000)
        // Claude Code's own side request (a title, a quota check): a different first message.
        var side = s
        side.body["messages"] = [["role": "user", "content": "Summarize this conversation in five words."]]
        side.send(read: 0, write: 0, after: 10)
        s.exchanges.append(side.exchanges.last!)
        s.grow(1); s.send(read: 20_000, write: 2_000)
        let r = try report(s)
        #expect(r.events.map(\.verdict) == ["cold", "cold", "hit"])
        #expect(r.lostTokens == 0)
    }
}

@Suite struct ContextBreakdownTests {
    @Test func aSessionsToolCallsAndResultsAreAttributedToTheirTool() throws {
        var s = try SessionBuilder()
        s.send(read: 0, write: 20_000)
        for turn in 1...5 { s.grow(turn); s.send(read: 20_000 + (turn - 1) * 2_000, write: 2_000) }
        for exchange in s.exchanges {
            let breakdown = ContextBreakdown.of(exchange)
            #expect(breakdown.parts.reduce(0) { $0 + $1.tokens } == exchange.usage!.inputTokens)
            #expect(breakdown.inputTokens == exchange.usage!.inputTokens && !breakdown.estimated)
        }
        let last = ContextBreakdown.of(s.exchanges.last!)
        let bashResults = try #require(last.parts.first { $0.kind == .toolResult && $0.tool == "Bash" })
        let fixtureBashCalls = s.exchanges[0].prompt!.pieces.filter { $0.kind == .toolResult && $0.tool == "Bash" }.count
        #expect(bashResults.pieces == fixtureBashCalls + 5)
        #expect(last.parts.contains { $0.kind == .toolSchema && $0.tool == "Bash" })
        #expect(last.parts.contains { $0.kind == .system })
        #expect(last.parts.contains { $0.kind == .thinking })
        // the first turn's tool_use (Read in the fixture) is attributed to its tool
        #expect(last.parts.contains { $0.kind == .toolUse && $0.tool == "Bash" })
    }

    /// Each part gets tokens in proportion to its size: a system prompt four times the size of the tool
    /// result gets four times its tokens.
    @Test func tokensFollowTheSizeOfEachPiece() {
        let system = String(repeating: "s", count: 4000), result = String(repeating: "r", count: 1000), ask = String(repeating: "q", count: 1000)
        let body = #"{"system":"\#(system)","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"\#(result)"},{"type":"text","text":"\#(ask)"}]}]}"#
        let exchange = StoreFixtures.exchange(body: Data(body.utf8), usage: Usage(inputTokens: 6_000, outputTokens: 1))
        let parts = Dictionary(uniqueKeysWithValues: ContextBreakdown.of(exchange).parts.map { ($0.kind, $0.tokens) })
        #expect(parts[.system]! > 3_900 && parts[.system]! < 4_000)
        #expect(parts[.userText]! > 950 && parts[.userText]! < 1_000)
        // the tool result's JSON is a little larger than its text
        #expect(parts[.toolResult]! > 950 && parts[.toolResult]! < 1_050)
        #expect(parts[.toolUse]! < 60)
    }

    @Test func apportionIsExactAndProportional() {
        #expect(ContextBreakdown.apportion(10, by: [1, 1, 1]) == [4, 3, 3])
        #expect(ContextBreakdown.apportion(100, by: [3, 1]) == [75, 25])
        #expect(ContextBreakdown.apportion(7, by: [0, 0]) == [0, 0])
        #expect(ContextBreakdown.apportion(1_000_003, by: [5, 7, 11, 13]).reduce(0, +) == 1_000_003)
    }

    @Test func withoutUsageTheTotalIsMarkedEstimated() {
        let exchange = StoreFixtures.exchange(body: Data(#"{"messages":[{"role":"user","content":"\#(String(repeating: "a", count: 400))"}]}"#.utf8), usage: nil)
        let breakdown = ContextBreakdown.of(exchange)
        #expect(breakdown.estimated && breakdown.inputTokens == 100)
        #expect(breakdown.parts.map(\.kind) == [.userText])
    }
}
