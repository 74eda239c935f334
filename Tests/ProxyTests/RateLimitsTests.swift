import Foundation
import Proxy
import Testing

@Suite struct RateLimitsTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    func read(_ headers: [(String, String)]) -> RateLimitReading? {
        RateLimitReading(headers: headers.map { HeaderField($0.0, $0.1) }, at: now)
    }

    @Test func aClaudePlanReportsEachWindowAndTheOneThatBinds() throws {
        let reading = try #require(read([
            ("anthropic-ratelimit-unified-status", "allowed_warning"),
            ("anthropic-ratelimit-unified-reset", "1780003600"),
            ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
            ("anthropic-ratelimit-unified-5h-utilization", "0.83"),
            ("anthropic-ratelimit-unified-5h-reset", "1780003600"),
            ("anthropic-ratelimit-unified-5h-status", "allowed_warning"),
            ("anthropic-ratelimit-unified-7d-utilization", "1.04"),  // a plan's window can pass 1
            ("anthropic-ratelimit-unified-7d-reset", "1780400000"),
            ("anthropic-ratelimit-unified-7d_opus-utilization", "0.2"),
            ("anthropic-ratelimit-unified-7d_opus-surpassed-threshold", "0.75"),
            ("anthropic-ratelimit-unified-overage-status", "rejected"),
            ("anthropic-ratelimit-unified-overage-disabled-reason", "org_level_disabled"),
            ("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
            ("Content-Type", "text/event-stream"),
        ]))
        #expect(reading.windows.map(\.name) == ["five_hour", "seven_day", "seven_day_opus"])
        #expect(reading.status == "allowed_warning" && reading.binding == "five_hour")
        let five = try #require(reading.window("five_hour"))
        #expect(five.used == 0.83 && five.resetsAt == Date(timeIntervalSince1970: 1_780_003_600) && five.seconds == 5 * 3600)
        #expect(five.status == "allowed_warning" && !five.exhausted)
        #expect(reading.window("seven_day")?.exhausted == true && reading.window("seven_day")?.seconds == 7 * 86400)
        #expect(reading.notes == ["overage-status": "rejected", "overage-disabled-reason": "org_level_disabled",
                                  "fallback-percentage": "0.5", "seven_day_opus-surpassed-threshold": "0.75"])
    }

    @Test func aRejectionMayCarryOnlyTheBindingWindow() throws {
        let reading = try #require(read([
            ("anthropic-ratelimit-unified-status", "rejected"),
            ("anthropic-ratelimit-unified-representative-claim", "seven_day"),
            ("anthropic-ratelimit-unified-7d-utilization", "1.0"),
            ("retry-after", "3600"),
        ]))
        #expect(reading.status == "rejected" && reading.binding == "seven_day" && reading.retryAfter == 3600)
        #expect(reading.windows.count == 1 && reading.window("seven_day")?.exhausted == true)
        #expect(reading.refused(by: reading.window("seven_day")!, status: 429))
        #expect(!reading.refused(by: RateLimitWindow(name: "five_hour", used: 0.4), status: 429))  // not the wall it hit
    }

    @Test func anAPIKeysLimitsAreCountsWithRFC3339Resets() throws {
        let reading = try #require(read([
            ("anthropic-ratelimit-requests-limit", "4000"), ("anthropic-ratelimit-requests-remaining", "3999"),
            ("anthropic-ratelimit-requests-reset", "2026-05-28T20:27:00Z"),
            ("anthropic-ratelimit-input-tokens-limit", "2000000"), ("anthropic-ratelimit-input-tokens-remaining", "1500000"),
            ("anthropic-ratelimit-input-tokens-reset", "2026-05-28T20:26:41.500Z"),
        ]))
        let input = try #require(reading.window("input_tokens"))
        #expect(input.used == 0.25 && input.limit == 2_000_000 && input.remaining == 1_500_000)
        #expect(input.resetsAt == Date(timeIntervalSince1970: 1_780_000_001.5))
        #expect(reading.window("requests")?.resetsAt == Date(timeIntervalSince1970: 1_780_000_020))
        #expect(reading.binding == "input_tokens")
    }

    @Test func openAIResetsAreDurationsFromTheResponse() throws {
        let reading = try #require(read([
            ("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "499"), ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "30000"), ("x-ratelimit-remaining-tokens", "12000"), ("x-ratelimit-reset-tokens", "1m30.5s"),
        ]))
        #expect(reading.window("tokens")?.used == 0.6)
        #expect(reading.window("tokens")?.resetsAt == now.addingTimeInterval(90.5))
        #expect(reading.window("requests")?.resetsAt == now.addingTimeInterval(0.12))
    }

    @Test func codexOnAChatGPTPlanReportsPercentAndMinutes() throws {
        let reading = try #require(read([
            ("x-codex-primary-used-percent", "42.5"), ("x-codex-primary-window-minutes", "300"), ("x-codex-primary-reset-at", "1780010000"),
            ("x-codex-secondary-used-percent", "12"), ("x-codex-secondary-window-minutes", "10080"),
            ("x-codex-secondary-reset-after-seconds", "86400"),
            ("x-codex-bengalfox-primary-used-percent", "80"), ("x-codex-active-limit", "codex"),
            ("x-codex-turn-state", "opaque"),
        ]))
        #expect(reading.windows.map(\.name) == ["codex_bengalfox.primary", "primary", "secondary"])
        #expect(reading.window("primary")?.used == 0.425 && reading.window("primary")?.seconds == 300 * 60)
        #expect(reading.window("secondary")?.resetsAt == now.addingTimeInterval(86400))
        #expect(reading.binding == "codex_bengalfox.primary" && reading.notes == ["active-limit": "codex"])
    }

    @Test func codexOverWebSocketSendsAnEventInstead() throws {
        let event = try #require(JSON.object(Array("""
            {"type":"codex.rate_limits","plan_type":"pro","rate_limits":{"primary":{"used_percent":40.0,"window_minutes":300,"reset_at":1780009000},
             "secondary":{"used_percent":5.0,"window_minutes":10080,"reset_at":1780600000}}}
            """.utf8)))
        let reading = try #require(RateLimitReading(codexEvent: event, at: now))
        #expect(reading.window("primary")?.used == 0.4 && reading.window("secondary")?.resetsAt == Date(timeIntervalSince1970: 1_780_600_000))
        #expect(reading.binding == "primary" && reading.notes["plan-type"] == "pro")
        // Laid over a header reading, the event's windows win.
        let headers = try #require(read([("x-codex-primary-used-percent", "10")]))
        #expect(headers.merged(with: reading).window("primary")?.used == 0.4)
    }

    @Test func aResponseWithoutLimitsHasNoReadingAndJunkIsIgnored() {
        #expect(read([("content-type", "application/json"), ("request-id", "req_1")]) == nil)
        let junk = read([("anthropic-ratelimit-unified-5h-utilization", "lots"), ("x-codex-primary-used-percent", "nan"),
                         ("x-ratelimit-reset-tokens", "soon"), ("anthropic-ratelimit-unified-7d-utilization", "nan")])
        #expect(junk?.windows.allSatisfy { $0.used == nil || $0.used!.isFinite } == true)
        #expect(junk?.window("tokens")?.resetsAt == nil)
    }
}
