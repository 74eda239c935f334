import Foundation
import Logging
import Proxy
import Testing
@testable import Exporters

@Suite(.temporaryFolder) struct BudgetTests {
    let utc = BudgetCalendar(timeZone: TimeZone(identifier: "UTC")!)
    /// Wednesday 2026-12-02 15:00 UTC.
    let now = Date(timeIntervalSince1970: 1_796_223_600)

    func spend(_ usd: Double, hoursAgo: Double, session: String, signedIn: Bool = false) -> ExchangeEvent {
        var exchange = StoreFixtures.exchange(body: Data("{}".utf8), session: session, at: now.addingTimeInterval(-hoursAgo * 3600),
                                              headers: [signedIn ? HeaderField("authorization", "Bearer sk-ant-oat01-…") : HeaderField("x-api-key", "…wxyz")])
        exchange.billing = signedIn ? .subscription : .perToken
        exchange.cost = Cost(input: usd, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "test")
        return .finished(exchange)
    }

    @Test func eachPeriodCountsItsOwnSpendingAndTheCostliestSessionOfToday() throws {
        let store = try StoreFixtures.tempStore()
        let failures = FailureLog(logger: Logger(label: "test"))
        store.write([
            spend(4, hoursAgo: 24 * 3, session: "sunday"),  // Sunday 15:00: last week
            spend(2, hoursAgo: 24 * 2, session: "monday"),  // Monday 15:00: this week, not today
            spend(0.5, hoursAgo: 16, session: "monday"),  // Tuesday 23:00: the same session, continued
            spend(1, hoursAgo: 14, session: "today-a"),  // Wednesday 01:00
            spend(0.25, hoursAgo: 1, session: "today-b", signedIn: true),
        ], failures: failures)
        #expect(failures.count(.store) == 0)
        let states = try store.budgetStates(Budgets(daily: 1, weekly: 10, session: 0.75), now: now, calendar: utc)
        let byPeriod = Dictionary(uniqueKeysWithValues: states.map { ($0.period, $0) })
        let daily = try #require(byPeriod[.daily]), weekly = try #require(byPeriod[.weekly]), session = try #require(byPeriod[.session])
        #expect(daily.spentUSD == 1.25 && daily.apiEquivalentUSD == 0.25 && daily.crossed && daily.used == 1.25)
        #expect(daily.since == Date(timeIntervalSince1970: 1_796_169_600) && daily.resetsAt == Date(timeIntervalSince1970: 1_796_256_000))
        // The week starts on Monday: Sunday's $4 is last week's.
        #expect(weekly.spentUSD == 3.75 && !weekly.crossed && weekly.since == Date(timeIntervalSince1970: 1_795_996_800))
        #expect(session.session == "today-a" && session.spentUSD == 1 && session.crossed)
        #expect(daily.summary == "daily budget: $1.25 of $1.00 (125%), $0.250000 of it API-equivalent")
        // A wrapper asks about its own sessions, whatever day they started.
        let mine = try store.budgetStates(Budgets(session: 2), now: now, calendar: utc, sessions: ["monday"])
        #expect(mine.map(\.spentUSD) == [2.5] && mine[0].crossed && mine[0].since == now.addingTimeInterval(-48 * 3600))
        #expect(try store.budgetStates(Budgets(), now: now, calendar: utc).isEmpty)
    }

    @Test func theConfigFileIsReadAndItsMistakesSayWhere() throws {
        let home = try TemporaryFolder.path("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let file = home.appendingPathComponent("config.json")
        #expect(try Budgets.load(home: home) == Budgets())  // no file: no budgets
        try Data(#"{"budgets": {"daily": 5, "session": 1.5}, "other": true}"#.utf8).write(to: file)
        let budgets = try Budgets.load(home: home)
        #expect(budgets == Budgets(daily: 5, session: 1.5))
        #expect(budgets.overridden(by: Budgets(daily: 8, weekly: 20)) == Budgets(daily: 8, weekly: 20, session: 1.5))
        for (text, says) in [(#"{"budgets": {"monthly": 5}}"#, #"unknown budget "monthly""#),
                             (#"{"budgets": {"daily": -1}}"#, "budgets.daily must be a positive number"),
                             (#"{"budgets": {"daily": "5"}}"#, #""budgets" must map"#),
                             ("not json", #""budgets" must map"#)] {
            try Data(text.utf8).write(to: file)
            #expect(throws: Budgets.ConfigError.self) { try Budgets.load(home: home) }
            do { _ = try Budgets.load(home: home) } catch { #expect("\(error)".contains(says) && "\(error)".contains(file.path), "\(error)") }
        }
    }
}
