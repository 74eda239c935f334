import Foundation
import Logging
import Proxy
import Testing
@testable import Exporters

@Suite(.temporaryFolder) struct LimitReportTests {
    let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    func reading(_ minutes: Double, _ used: Double, reset: Date?) -> (at: Date, window: RateLimitWindow) {
        (t0.addingTimeInterval(minutes * 60), RateLimitWindow(name: "five_hour", used: used, resetsAt: reset, seconds: 5 * 3600))
    }

    @Test func aSteadyPaceRunsOutBeforeTheReset() throws {
        // 20% → 40% in an hour: 20 points an hour, so the last 60% take 3 hours, one before the reset.
        let reset = t0.addingTimeInterval(5 * 3600)
        let projection = Projection.of(readings: [reading(0, 0.20, reset: reset), reading(30, 0.31, reset: reset), reading(60, 0.40, reset: reset)],
                                       now: t0.addingTimeInterval(3600))
        #expect(projection.kind == .runsOut)
        #expect(projection.exhaustsAt == t0.addingTimeInterval(4 * 3600))
        #expect(abs(projection.perHour! - 0.2) < 1e-12)
        #expect(projection.note.hasSuffix("1 h 0 min before it resets"))
    }

    @Test func aSlowPaceLastsAndSaysWhereItEnds() throws {
        let reset = t0.addingTimeInterval(3 * 3600)
        let projection = Projection.of(readings: [reading(0, 0.20, reset: reset), reading(60, 0.40, reset: reset)], now: t0.addingTimeInterval(3600))
        #expect(projection.kind == .lasts)
        #expect(abs(projection.usedAtReset! - 0.80) < 1e-12)  // 40% + 2 h × 20%/h
    }

    @Test func tooFewReadingsOrAnotherPeriodSaySoInsteadOfGuessing() throws {
        let reset = t0.addingTimeInterval(5 * 3600)
        #expect(Projection.of(readings: [reading(0, 0.5, reset: reset)], now: t0).kind == .unknown)
        #expect(Projection.of(readings: [reading(0, 0.5, reset: reset), reading(2, 0.505, reset: reset)], now: t0).kind == .unknown)
        // A burst: 10 points in 2 minutes is a pace (5 points a minute, so 40 points take 8 more).
        let burst = Projection.of(readings: [reading(0, 0.5, reset: reset), reading(2, 0.6, reset: reset)], now: t0)
        #expect(burst.kind == .runsOut && abs(burst.exhaustsAt!.timeIntervalSince(t0.addingTimeInterval(10 * 60))) < 1e-6)
        // The earlier reading belongs to the period before the last reset: it sets no pace.
        let earlier = reading(0, 0.9, reset: t0)
        let unknown = Projection.of(readings: [earlier, reading(60, 0.1, reset: reset)], now: t0.addingTimeInterval(3600))
        #expect(unknown.kind == .unknown && unknown.note.contains("not enough data"))
        #expect(Projection.of(readings: [reading(60, 1.02, reset: reset)], now: t0).kind == .exhausted)
        #expect(Projection.of(readings: [reading(0, 0.4, reset: t0)], now: t0.addingTimeInterval(1)).kind == .reset)
    }

    @Test func theHistoryKeepsEachWindowAndCountsRefusals() throws {
        let store = try StoreFixtures.tempStore()
        let failures = FailureLog(logger: Logger(label: "test"))
        let reset = t0.addingTimeInterval(5 * 3600)
        func plan(_ minutes: Double, five: Double, status: Int = 200) -> Exchange {
            var exchange = StoreFixtures.exchange(body: Data("{}".utf8), at: t0.addingTimeInterval(minutes * 60),
                                                  headers: [HeaderField("authorization", "Bearer …oatX")])
            exchange.status = status
            exchange.responseHeaders = [
                HeaderField("anthropic-ratelimit-unified-status", status == 429 ? "rejected" : "allowed"),
                HeaderField("anthropic-ratelimit-unified-representative-claim", "five_hour"),
                HeaderField("anthropic-ratelimit-unified-5h-utilization", String(five)),
                HeaderField("anthropic-ratelimit-unified-5h-reset", String(Int(reset.timeIntervalSince1970))),
            ] + (status == 429 ? [] : [HeaderField("anthropic-ratelimit-unified-7d-utilization", "0.3"),
                                      HeaderField("anthropic-ratelimit-unified-7d-reset", String(Int(t0.timeIntervalSince1970) + 86400))])
            exchange.readRateLimits()  // as the recorder does when the exchange finishes
            return exchange
        }
        store.write([.finished(plan(0, five: 0.2)), .finished(plan(60, five: 0.4)), .finished(plan(70, five: 1.0, status: 429))], failures: failures)
        let rows = try store.rateLimits(since: t0.addingTimeInterval(-LimitReport.span))
        let report = LimitReport.of(latest: rows.latest, history: rows.history, rejections: rows.rejections, now: t0.addingTimeInterval(4200))
        #expect(report.windows.map(\.reading.name) == ["five_hour", "seven_day"])
        let five = report.windows[0]
        #expect(five.account == "…oatX" && five.reading.used == 1.0 && five.binding && five.rejections == 1 && five.projection.kind == .exhausted)
        #expect(report.windows[1].reading.used == 0.3 && report.windows[1].rejections == 0)
        #expect(report.windows[1].seenAt == t0.addingTimeInterval(3600))  // the refusal did not report it
        #expect(failures.count(.store) == 0)
    }
}
