import ArgumentParser
import Exporters
import Foundation
import Proxy

/// `ccglass limits`: each account's rate-limit windows as the providers last reported them, and
/// whether the current pace runs out before the reset.
struct LimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "limits",
                                                    abstract: "Show each rate-limit window (how much is used, when it resets, when it runs out at this pace) and your budgets.")

    @OptionGroup var history: HistoryOptions
    @OptionGroup(title: "Budgets (over <data dir>/config.json)") var budgetOptions: BudgetOptions
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        let budgets = try budgetOptions.budgets(home: Home.directory(override: history.dataDir))
        let report = try history.open().limitReport(budgets: budgets)
        if json { return try printJSON(report) }
        printWindows(report)
        printBudgets(report)
    }

    func printWindows(_ report: LimitReport) {
        guard !report.windows.isEmpty else {
            return print("No rate-limit readings yet: they arrive with each response (Claude plans, API keys, OpenAI, Codex).")
        }
        var table = TextTable(["provider", "account", "window", "used", "resets", "status", "refused 7d", "at this pace"])
        for window in report.windows {
            table.add([window.provider, window.account, window.reading.name + (window.binding ? " *" : ""), Self.used(window),
                       window.reading.resetsAt.map { Self.reset($0, now: report.generatedAt) } ?? "-", window.reading.status ?? "-",
                       "\(window.rejections)", window.projection.note])
        }
        print(table.render())
        print("* binds now. Read from the providers' rate-limit headers; \"used\" can pass 100% on a plan's window.")
    }

    func printBudgets(_ report: LimitReport) {
        guard !report.budgets.isEmpty else {
            return print("\nNo budgets set: add {\"budgets\": {\"daily\": 5, \"weekly\": 25, \"session\": 2}} (US dollars) to config.json in the data directory, or pass --budget-daily.")
        }
        var table = TextTable(["budget", "spent", "of", "used", "since", "resets"])
        for budget in report.budgets {
            let share = Billing.share(of: budget.spentUSD, apiEquivalent: budget.apiEquivalentUSD)
            table.add([budget.period.rawValue + (budget.session.map { " (\($0))" } ?? ""), (share == .none ? "" : "≈") + BudgetState.usd(budget.spentUSD),
                       BudgetState.usd(budget.limitUSD), String(format: "%.0f%%", budget.used * 100) + (budget.crossed ? " CROSSED" : ""),
                       Format.time(budget.since), budget.resetsAt.map { Self.reset($0, now: report.generatedAt) } ?? "-"])
        }
        print("")
        print(table.render())
        if report.budgets.contains(where: { $0.apiEquivalentUSD > 0 }) {
            print("≈ counts signed-in (subscription) traffic at its API-equivalent cost. Budgets only warn: no request is held back.")
        }
    }

    static func used(_ window: LimitReport.Window) -> String {
        if let used = window.reading.used {
            let remaining = window.reading.remaining.map { " (\(Format.tokens(Int($0))) left)" } ?? ""
            return String(format: "%.0f%%", used * 100) + remaining
        }
        return window.reading.remaining.map { "\(Format.tokens(Int($0))) left" } ?? "-"
    }

    static func reset(_ date: Date, now: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        guard seconds > 0 else { return "passed" }
        return "\(Format.time(date)) (in \(Projection.duration(seconds)))"
    }
}
