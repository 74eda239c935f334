import Foundation
import Proxy

/// Every rate-limit window ccglass has seen, per provider and account: its latest reading, how often it
/// refused a request, and when it would run out at the pace of its recent readings; and the state of
/// the budgets the user set.
package struct LimitReport: Sendable, Codable, Equatable {
    package struct Window: Sendable, Codable, Equatable {
        package var provider: String
        package var account: String
        /// Its latest reading.
        package var reading: RateLimitWindow
        /// It bound the account's newest response.
        package var binding: Bool
        /// When the latest reading arrived.
        package var seenAt: Date
        /// Requests it refused in the report's span (a week).
        package var rejections: Int
        package var projection: Projection
    }

    package var generatedAt: Date
    package var windows: [Window]
    package var budgets: [BudgetState]

    package init(generatedAt: Date, windows: [Window] = [], budgets: [BudgetState] = []) {
        self.generatedAt = generatedAt
        self.windows = windows
        self.budgets = budgets
    }

    /// How long a window's history is kept in view: the longest window a plan has.
    package static let span: TimeInterval = 7 * 86400

    package static func of(latest: [RateLimitRow], history: [RateLimitRow], rejections: [String: Int], now: Date) -> LimitReport {
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
package struct Projection: Sendable, Codable, Equatable {
    package enum Kind: String, Sendable, Codable {
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

    package var kind: Kind
    /// When it would run out (`runs_out`).
    package var exhaustsAt: Date?
    /// Its utilization when it resets, at this pace (`lasts`).
    package var usedAtReset: Double?
    /// Utilization gained per hour over the readings used.
    package var perHour: Double?
    /// The window's reset, as its latest reading gave it.
    package var resetsAt: Date?
    /// Why the kind is `unknown`, when it is.
    var unknownBecause: String?

    /// The same in words, for people. Made when read: `/metrics` projects every response and needs no
    /// words (formatting a time is the costliest step of a projection).
    package var note: String {
        switch kind {
        case .unknown: return unknownBecause ?? "not enough data"
        case .reset: return "reset \(Self.clock(resetsAt ?? Date())); the next response starts a new window"
        case .exhausted: return "used up" + (resetsAt.map { "; resets \(Self.clock($0))" } ?? "")
        case .lasts:
            guard let usedAtReset else { return "" }
            if let perHour, perHour <= 0 { return "not rising; stays at \(Self.percent(usedAtReset)) until it resets" }
            return "at this pace it reaches \(Self.percent(usedAtReset)) when it resets" + (resetsAt.map { " \(Self.clock($0))" } ?? "")
        case .runsOut:
            guard let exhaustsAt else { return "" }
            let before = resetsAt.map { " \(Self.duration($0.timeIntervalSince(exhaustsAt))) before it resets" } ?? ""
            return "at this pace it runs out \(Self.clock(exhaustsAt))\(before)"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, exhaustsAt, usedAtReset, perHour, resetsAt, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        exhaustsAt = try c.decodeIfPresent(Date.self, forKey: .exhaustsAt)
        usedAtReset = try c.decodeIfPresent(Double.self, forKey: .usedAtReset)
        perHour = try c.decodeIfPresent(Double.self, forKey: .perHour)
        resetsAt = try c.decodeIfPresent(Date.self, forKey: .resetsAt)
        unknownBecause = kind == .unknown ? try c.decodeIfPresent(String.self, forKey: .note) : nil
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(exhaustsAt, forKey: .exhaustsAt)
        try c.encodeIfPresent(usedAtReset, forKey: .usedAtReset)
        try c.encodeIfPresent(perHour, forKey: .perHour)
        try c.encodeIfPresent(resetsAt, forKey: .resetsAt)
        try c.encode(note, forKey: .note)
    }

    /// A pace needs two readings at least this far apart, or that far apart in utilization (beyond the
    /// providers' rounding: a burst of parallel requests moves it in seconds).
    package static let minimumSpan: TimeInterval = 5 * 60
    package static let minimumRise = 0.02

    /// `readings` oldest first, the latest last.
    package static func of(readings: [(at: Date, window: RateLimitWindow)], now: Date) -> Projection {
        guard let last = readings.last else { return Projection(kind: .unknown, unknownBecause: "no readings") }
        let reset = last.window.resetsAt
        if let reset, reset <= now { return Projection(kind: .reset, resetsAt: reset) }
        guard let used = last.window.used else {
            return Projection(kind: .unknown, resetsAt: reset, unknownBecause: "the provider reports no utilization for this window")
        }
        if last.window.exhausted { return Projection(kind: .exhausted, resetsAt: reset) }
        // The current period only: a window's readings before its last reset belong to another period.
        let period = readings.filter { reading in
            reading.window.used != nil && sameReset(reading.window.resetsAt, reset)
        }
        guard let first = period.first, last.at > first.at,
              last.at.timeIntervalSince(first.at) >= minimumSpan || abs(used - first.window.used!) >= minimumRise else {
            return Projection(kind: .unknown, resetsAt: reset,
                              unknownBecause: "not enough data: a pace needs two readings of this window 5 minutes or 2 points apart")
        }
        let hours = last.at.timeIntervalSince(first.at) / 3600
        let perHour = (used - first.window.used!) / hours
        guard perHour > 0 else { return Projection(kind: .lasts, usedAtReset: used, perHour: perHour, resetsAt: reset) }
        let exhaustsAt = last.at.addingTimeInterval((1 - used) / perHour * 3600)
        if let reset, exhaustsAt >= reset {
            return Projection(kind: .lasts, usedAtReset: used + perHour * reset.timeIntervalSince(last.at) / 3600, perHour: perHour, resetsAt: reset)
        }
        return Projection(kind: .runsOut, exhaustsAt: exhaustsAt, perHour: perHour, resetsAt: reset)
    }

    init(kind: Kind, exhaustsAt: Date? = nil, usedAtReset: Double? = nil, perHour: Double? = nil, resetsAt: Date? = nil, unknownBecause: String? = nil) {
        self.kind = kind
        self.exhaustsAt = exhaustsAt
        self.usedAtReset = usedAtReset
        self.perHour = perHour
        self.resetsAt = resetsAt
        self.unknownBecause = unknownBecause
    }

    /// Resets a minute apart are one period (providers round them differently from response to response).
    package static func sameReset(_ a: Date?, _ b: Date?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a.timeIntervalSince(b)) <= 60
    }

    static func percent(_ used: Double) -> String { "\(Int((used * 100).rounded()))%" }

    static func clock(_ date: Date) -> String {
        "at " + date.formatted(Date.FormatStyle(date: .omitted, time: .shortened))
    }

    package static func duration(_ seconds: TimeInterval) -> String {
        let minutes = Int((seconds / 60).rounded())
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) d \(minutes % 1440 / 60) h"
    }
}

extension HistoryStore {
    /// The limit report as of `now`, from the last week of readings, with `budgets`' state.
    package func limitReport(now: Date = Date(), budgets: Budgets = Budgets(), calendar: BudgetCalendar = BudgetCalendar()) throws -> LimitReport {
        let rows = try rateLimits(since: now.addingTimeInterval(-LimitReport.span))
        var report = LimitReport.of(latest: rows.latest, history: rows.history, rejections: rows.rejections, now: now)
        report.budgets = try budgetStates(budgets, now: now, calendar: calendar)
        return report
    }
}
