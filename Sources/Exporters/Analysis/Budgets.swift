import Foundation
import GRDB
import Proxy

/// Spending limits the user sets, in USD per local day, per week (from Monday) and per session.
/// Observed only: ccglass never holds back or changes a request because of one.
package struct Budgets: Sendable, Codable, Equatable {
    package var daily: Double?
    package var weekly: Double?
    package var session: Double?

    package init(daily: Double? = nil, weekly: Double? = nil, session: Double? = nil) {
        self.daily = daily
        self.weekly = weekly
        self.session = session
    }

    package var isEmpty: Bool { daily == nil && weekly == nil && session == nil }

    /// The budgets of `<home>/config.json` (`{"budgets": {"daily": 5, "weekly": 25, "session": 2}}`);
    /// none when the file does not exist. A file that is there but wrong is an error that says where.
    package static func load(home: URL) throws -> Budgets {
        let url = home.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return Budgets() }
        struct File: Decodable { var budgets: [String: Double]? }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError("\(url.path): \"budgets\" must map daily, weekly or session to US dollars (\(error))")
        }
        var result = Budgets()
        for (key, value) in file.budgets ?? [:] {
            guard let period = BudgetState.Period(rawValue: key) else {
                throw ConfigError("\(url.path): unknown budget \"\(key)\" (daily, weekly, session)")
            }
            guard value > 0, value.isFinite else { throw ConfigError("\(url.path): budgets.\(key) must be a positive number of US dollars") }
            result[period] = value
        }
        return result
    }

    /// The budget of one period, in US dollars.
    package subscript(period: BudgetState.Period) -> Double? {
        get {
            switch period {
            case .daily: daily
            case .weekly: weekly
            case .session: session
            }
        }
        set {
            switch period {
            case .daily: daily = newValue
            case .weekly: weekly = newValue
            case .session: session = newValue
            }
        }
    }

    /// These budgets with each one `other` sets taking its place (flags over the file).
    package func overridden(by other: Budgets) -> Budgets {
        Budgets(daily: other.daily ?? daily, weekly: other.weekly ?? weekly, session: other.session ?? session)
    }

    package struct ConfigError: Error, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }
}

/// How much of one budget is spent.
package struct BudgetState: Sendable, Codable, Equatable {
    package enum Period: String, Sendable, Codable, CaseIterable {
        case daily, weekly, session
    }

    package let period: Period
    package let limitUSD: Double
    /// Everything priced in the period, signed-in traffic at its API-equivalent included.
    package let spentUSD: Double
    /// The part of `spentUSD` that is signed-in traffic's API-equivalent, not a charge.
    package let apiEquivalentUSD: Double
    /// Where the period started: local midnight, Monday's, or the session's first request.
    package let since: Date
    /// When a new period starts (none for a session).
    package let resetsAt: Date?
    /// The session a session budget is about: today's costliest.
    package let session: String?
    /// `spentUSD / limitUSD`, and whether it reached 1: kept so the JSON says them.
    package let used: Double
    package let crossed: Bool

    package init(period: Period, limitUSD: Double, spentUSD: Double, apiEquivalentUSD: Double, since: Date, resetsAt: Date?, session: String?) {
        self.period = period
        self.limitUSD = limitUSD
        self.spentUSD = spentUSD
        self.apiEquivalentUSD = apiEquivalentUSD
        self.since = since
        self.resetsAt = resetsAt
        self.session = session
        self.used = spentUSD / limitUSD
        self.crossed = spentUSD >= limitUSD
    }

    /// "daily budget: $5.21 of $5.00 (104%)", marked ≈ when signed-in traffic makes up the spend.
    package var summary: String {
        let share = Billing.share(of: spentUSD, apiEquivalent: apiEquivalentUSD)
        let spent = (share == .all ? "≈" : "") + Self.usd(spentUSD)
        var text = "\(period.rawValue) budget: \(spent) of \(Self.usd(limitUSD)) (\(Int((used * 100).rounded()))%)"
        if share == .part { text += ", \(Self.usd(apiEquivalentUSD)) of it API-equivalent" }
        if let session { text += " in session \(session)" }
        return text
    }

    /// Cents, or to the millionth below a dollar as the dashboard shows (a request costs fractions of a cent).
    package static func usd(_ value: Double) -> String { String(format: value >= 1 || value == 0 ? "$%.2f" : "$%.6f", value) }
}

/// Where the budget periods start and end, in the user's time zone.
package struct BudgetCalendar: Sendable {
    package var calendar: Calendar

    package init(timeZone: TimeZone = .current) {
        var calendar = Calendar(identifier: .iso8601)  // weeks start on Monday
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    package func day(of date: Date) -> DateInterval { calendar.dateInterval(of: .day, for: date)! }
    package func week(of date: Date) -> DateInterval { calendar.dateInterval(of: .weekOfYear, for: date)! }
}

extension HistoryStore {
    /// Each budget set, as spent by `now`. `sessions` picks the sessions a session budget is about
    /// (a wrapper's own); by default, today's costliest.
    package func budgetStates(_ budgets: Budgets, now: Date = Date(), calendar: BudgetCalendar = BudgetCalendar(),
                             sessions: [String]? = nil) throws -> [BudgetState] {
        let day = calendar.day(of: now), week = calendar.week(of: now)
        return try pool.read { db in
            func spent(_ filter: String, _ arguments: StatementArguments) throws -> (Double, Double, Date?) {
                let row = try Row.fetchOne(db, sql: """
                    SELECT coalesce(sum(cost_usd), 0), coalesce(sum(CASE WHEN api_equivalent THEN cost_usd ELSE 0 END), 0), min(started_at)
                    FROM exchange WHERE phase = 'finished' AND \(filter)
                    """, arguments: arguments)!
                return (row[0], row[1], (row[2] as Double?).map { Date(timeIntervalSince1970: $0) })
            }
            var states: [BudgetState] = []
            for (period, limit, interval) in [(BudgetState.Period.daily, budgets.daily, day), (.weekly, budgets.weekly, week)] {
                guard let limit else { continue }
                let (total, apiEquivalent, _) = try spent("started_at >= ? AND started_at < ?",
                                                          [interval.start.timeIntervalSince1970, interval.end.timeIntervalSince1970])
                states.append(BudgetState(period: period, limitUSD: limit, spentUSD: total, apiEquivalentUSD: apiEquivalent,
                                          since: interval.start, resetsAt: interval.end, session: nil))
            }
            if let limit = budgets.session {
                let keys = try sessions ?? String.fetchAll(db, sql: """
                    SELECT session_key FROM exchange WHERE phase = 'finished' AND session_key != '' AND started_at >= ?
                    GROUP BY session_key ORDER BY sum(coalesce(cost_usd, 0)) DESC LIMIT 1
                    """, arguments: [day.start.timeIntervalSince1970])
                for key in keys {
                    let (total, apiEquivalent, first) = try spent("session_key = ?", [key])
                    states.append(BudgetState(period: .session, limitUSD: limit, spentUSD: total, apiEquivalentUSD: apiEquivalent,
                                              since: first ?? now, resetsAt: nil, session: key))
                }
            }
            return states
        }
    }
}
