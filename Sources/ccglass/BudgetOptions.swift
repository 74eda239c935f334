import ArgumentParser
import Exporters
import Foundation

/// Budget flags, over `<data dir>/config.json`'s `budgets`.
struct BudgetOptions: ParsableArguments {
    @Option(name: .customLong("budget-daily"), help: ArgumentHelp("US dollars a day (local midnight to midnight) before ccglass warns.", valueName: "USD"))
    var daily: Double?

    @Option(name: .customLong("budget-weekly"), help: ArgumentHelp("US dollars a week (from Monday) before ccglass warns.", valueName: "USD"))
    var weekly: Double?

    @Option(name: .customLong("budget-session"), help: ArgumentHelp("US dollars a session before ccglass warns.", valueName: "USD"))
    var session: Double?

    func validate() throws {
        for (flag, value) in [("--budget-daily", daily), ("--budget-weekly", weekly), ("--budget-session", session)] {
            if let value, !(value > 0) || !value.isFinite { throw ValidationError("\(flag) must be a positive number of US dollars") }
        }
    }

    /// The file's budgets with these flags over them.
    func budgets(home: URL) throws -> Budgets {
        do {
            return try Budgets.load(home: home).overridden(by: Budgets(daily: daily, weekly: weekly, session: session))
        } catch let error as Budgets.ConfigError {
            throw ValidationError(error.description)
        }
    }
}
