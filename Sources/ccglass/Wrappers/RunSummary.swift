import Exporters
import Foundation
import Proxy

/// The paragraph printed when a wrapped agent exits: what the run sent and what it cost.
enum RunSummary {
    static func paragraph(runID: String, history: HistoryStore?, waitForDaemon: Bool, budgets: Budgets = Budgets()) async -> String {
        guard let history else { return "ccglass: no history available, so no summary for this run." }
        var rows = (try? history.exchanges(run: runID)) ?? []
        if waitForDaemon {
            // A shared daemon writes in its own time: wait until the count settles.
            for _ in 0..<20 {
                try? await Task.sleep(for: .milliseconds(100))
                let again = (try? history.exchanges(run: runID)) ?? []
                if again.count == rows.count && rows.allSatisfy({ $0.phase == "finished" }) { break }
                rows = again
            }
        }
        guard !rows.isEmpty else { return "ccglass: this run sent no requests." }
        let usages = rows.compactMap(\.usage)
        let input = usages.reduce(0) { $0 + $1.inputTokens }
        let output = usages.reduce(0) { $0 + $1.outputTokens }
        let cached = usages.reduce(0) { $0 + $1.cacheReadTokens }
        let cost = rows.compactMap(\.costUSD).reduce(0, +)
        let unpriced = rows.filter { $0.usage != nil && $0.costUSD == nil }.count
        let failed = rows.filter { $0.outcome != "ok" }.count
        var text = "ccglass: \(rows.count) request\(rows.count == 1 ? "" : "s")"
        if failed > 0 { text += " (\(failed) failed)" }
        text += " · \(tokens(input)) tokens in"
        if input > 0 { text += String(format: " (%.0f%% from cache)", Double(cached) / Double(input) * 100) }
        text += " · \(tokens(output)) out · " + String(format: "$%.4f", cost)
        let apiEquivalent = rows.filter(\.apiEquivalent).compactMap(\.costUSD).reduce(0, +)
        switch Billing.share(of: cost, apiEquivalent: apiEquivalent) {  // signed in to a plan: not billed per token
        case .none: break
        case .all: text += " API-equivalent"
        case .part: text += String(format: " ($%.4f of it API-equivalent)", apiEquivalent)
        }
        if unpriced > 0 { text += " + \(unpriced) unpriced" }
        if let slowest = rows.filter({ $0.ttft != nil }).max(by: { $0.ttft! < $1.ttft! }) {
            text += String(format: " · slowest time to first token %.2f s", slowest.ttft!) + " (\(slowest.model ?? "?"))"
        }
        if let session = rows.last?.sessionKey { text += " · session \(session)" }
        let sessions = rows.map(\.sessionKey).filter { !$0.isEmpty }
        return ([text + "."] + limitWarnings(providers: Set(rows.map(\.provider)), history: history)
                + budgetWarnings(budgets, sessions: Array(NSOrderedSet(array: sessions)) as! [String], history: history)).joined(separator: "\n")
    }

    /// One line per budget this run's spending is past: today's, this week's, or a session of the run's.
    static func budgetWarnings(_ budgets: Budgets, sessions: [String], history: HistoryStore, now: Date = Date()) -> [String] {
        guard !budgets.isEmpty, let states = try? history.budgetStates(budgets, now: now, sessions: sessions) else { return [] }
        return states.filter(\.crossed).map { "ccglass: \($0.summary) is crossed (budgets only warn; no request was held back)." }
    }

    /// One line per window of the providers this run used that is past 80 %: the wall is near.
    static func limitWarnings(providers: Set<String>, history: HistoryStore, now: Date = Date()) -> [String] {
        guard let report = try? history.limitReport(now: now) else { return [] }
        return report.windows.filter { providers.contains($0.provider) && ($0.reading.used ?? 0) >= 0.8 && ($0.reading.resetsAt.map { $0 > now } ?? true) }
            .map { window in
                var line = String(format: "ccglass: the %@ %@ window is %.0f%% used", window.provider, window.reading.name, window.reading.used! * 100)
                if let reset = window.reading.resetsAt { line += " (resets \(Format.time(reset)), in \(Projection.duration(reset.timeIntervalSince(now))))" }
                return line + "; " + window.projection.note + "."
            }
    }

    static func tokens(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}
