import Foundation
import Proxy

/// Every rate-limit window ccglass has seen, per provider and account: its latest reading, how often it
/// refused a request, and when it would run out at the pace of its recent readings; and the state of
/// the budgets the user set.
public struct LimitReport: Sendable, Codable, Equatable {
    public struct Window: Sendable, Codable, Equatable {
        public var provider: String
        public var account: String
        /// Its latest reading.
        public var reading: RateLimitWindow
        /// It bound the account's newest response.
        public var binding: Bool
        /// When the latest reading arrived.
        public var seenAt: Date
        /// Requests it refused in the report's span (a week).
        public var rejections: Int
        public var projection: Projection
    }

    public var generatedAt: Date
    public var windows: [Window]
    public var budgets: [BudgetState]

    public init(generatedAt: Date, windows: [Window] = [], budgets: [BudgetState] = []) {
        self.generatedAt = generatedAt
        self.windows = windows
        self.budgets = budgets
    }

    /// How long a window's history is kept in view: the longest window a plan has.
    public static let span: TimeInterval = 7 * 86400

    public static func of(latest: [RateLimitRow], history: [RateLimitRow], rejections: [String: Int], now: Date) -> LimitReport {
        var readings: [String: [RateLimitRow]] = [:]
        for row in history { readings[HistoryStore.limitKey(row.provider, row.account, row.window.name), default: []].append(row) }
        // A window binds if it bound the account's newest response; an older reading's claim is stale.
        var newest: [String: Date] = [:]
        for row in latest { newest["\(row.provider)|\(row.account)"] = max(newest["\(row.provider)|\(row.account)"] ?? row.at, row.at) }
        let windows = latest.map { row -> Window in
            let key = HistoryStore.limitKey(row.provider, row.account, row.window.name)
            return Window(provider: row.provider, account: row.account, reading: row.window,
                          binding: row.binding && row.at == newest["\(row.provider)|\(row.account)"], seenAt: row.at,
                          rejections: rejections[key] ?? 0,
                          projection: Projection.of(readings: (readings[key] ?? [row]).map { ($0.at, $0.window) }, now: now))
        }
        return LimitReport(generatedAt: now, windows: windows)
    }
}

/// When a window runs out at the current pace: from the readings of its current period (same reset
/// time), the rate its utilization rises, carried forward from the latest reading.
public struct Projection: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Already at or past its limit.
        case exhausted
        /// At this pace it runs out before it resets.
        case runsOut = "runs_out"
        /// At this pace it lasts until it resets.
        case lasts
        /// Its period is over: the next response starts a new one.
        case reset
        /// Not enough readings to tell.
        case unknown
    }

    public var kind: Kind
    /// When it would run out (`runs_out`).
    public var exhaustsAt: Date?
    /// Its utilization when it resets, at this pace (`lasts`).
    public var usedAtReset: Double?
    /// Utilization gained per hour over the readings used.
    public var perHour: Double?
    /// The same in words, for people.
    public var note: String

    /// A pace needs two readings at least this far apart, or that far apart in utilization (beyond the
    /// providers' rounding: a burst of parallel requests moves it in seconds).
    public static let minimumSpan: TimeInterval = 5 * 60
    public static let minimumRise = 0.02

    /// `readings` oldest first, the latest last.
    public static func of(readings: [(at: Date, window: RateLimitWindow)], now: Date) -> Projection {
        guard let last = readings.last else { return Projection(kind: .unknown, note: "no readings") }
        if let reset = last.window.resetsAt, reset <= now {
            return Projection(kind: .reset, note: "reset \(clock(reset)); the next response starts a new window")
        }
        guard let used = last.window.used else { return Projection(kind: .unknown, note: "the provider reports no utilization for this window") }
        if last.window.exhausted { return Projection(kind: .exhausted, note: "used up" + (last.window.resetsAt.map { "; resets \(clock($0))" } ?? "")) }
        // The current period only: a window's readings before its last reset belong to another period.
        let period = readings.filter { reading in
            reading.window.used != nil && sameReset(reading.window.resetsAt, last.window.resetsAt)
        }
        guard let first = period.first, last.at > first.at,
              last.at.timeIntervalSince(first.at) >= minimumSpan || abs(used - first.window.used!) >= minimumRise else {
            return Projection(kind: .unknown,
                              note: "not enough data: a pace needs two readings of this window 5 minutes or 2 points apart")
        }
        let hours = last.at.timeIntervalSince(first.at) / 3600
        let perHour = (used - first.window.used!) / hours
        guard perHour > 0 else {
            return Projection(kind: .lasts, usedAtReset: used, perHour: perHour, note: "not rising; stays at \(percent(used)) until it resets")
        }
        let exhaustsAt = last.at.addingTimeInterval((1 - used) / perHour * 3600)
        if let reset = last.window.resetsAt, exhaustsAt >= reset {
            let atReset = used + perHour * reset.timeIntervalSince(last.at) / 3600
            return Projection(kind: .lasts, usedAtReset: atReset, perHour: perHour,
                              note: "at this pace it reaches \(percent(atReset)) when it resets \(clock(reset))")
        }
        let before = last.window.resetsAt.map { " \(duration($0.timeIntervalSince(exhaustsAt))) before it resets" } ?? ""
        return Projection(kind: .runsOut, exhaustsAt: exhaustsAt, perHour: perHour, note: "at this pace it runs out \(clock(exhaustsAt))\(before)")
    }

    init(kind: Kind, exhaustsAt: Date? = nil, usedAtReset: Double? = nil, perHour: Double? = nil, note: String) {
        self.kind = kind
        self.exhaustsAt = exhaustsAt
        self.usedAtReset = usedAtReset
        self.perHour = perHour
        self.note = note
    }

    /// Resets a minute apart are one period (providers round them differently from response to response).
    public static func sameReset(_ a: Date?, _ b: Date?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a.timeIntervalSince(b)) <= 60
    }

    static func percent(_ used: Double) -> String { "\(Int((used * 100).rounded()))%" }

    static func clock(_ date: Date) -> String {
        "at " + date.formatted(Date.FormatStyle(date: .omitted, time: .shortened))
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        let minutes = Int((seconds / 60).rounded())
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) d \(minutes % 1440 / 60) h"
    }
}

extension HistoryStore {
    /// The limit report as of `now`, from the last week of readings, with `budgets`' state.
    public func limitReport(now: Date = Date(), budgets: Budgets = Budgets(), calendar: BudgetCalendar = BudgetCalendar()) throws -> LimitReport {
        let rows = try rateLimits(since: now.addingTimeInterval(-LimitReport.span))
        var report = LimitReport.of(latest: rows.latest, history: rows.history, rejections: rows.rejections, now: now)
        report.budgets = try budgetStates(budgets, now: now, calendar: calendar)
        return report
    }
}
