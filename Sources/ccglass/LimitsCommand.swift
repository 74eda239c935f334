import ArgumentParser
import Exporters
import Foundation
import Proxy

/// `ccglass limits`: each account's rate-limit windows as the providers last reported them, and
/// whether the current pace runs out before the reset.
struct LimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "limits",
                                                    abstract: "Show each rate-limit window: how much is used, when it resets, and when it runs out at this pace.")

    @OptionGroup var history: HistoryOptions
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        let report = try history.open().limitReport()
        if json { return try printJSON(report) }
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
