import Exporters
import Foundation
import Proxy

/// The read-only tools `ccglass mcp` offers an agent over its own request history. Each answers in
/// compact text, capped so it never floods the model's context.
package struct HistoryTools: Sendable {
    let store: HistoryStore
    let prices: PriceTable
    /// The session "my requests" means when the caller names none.
    let currentSession: @Sendable () throws -> String?
    /// The user's budgets, read at each call (so an edit of config.json shows at once).
    let budgets: @Sendable () throws -> Budgets
    static let cap = 12_000

    package init(store: HistoryStore, prices: PriceTable, budgets: @escaping @Sendable () throws -> Budgets = { Budgets() },
                currentSession: @escaping @Sendable () throws -> String?) {
        self.store = store
        self.prices = prices
        self.budgets = budgets
        self.currentSession = currentSession
    }

    /// A tool failure the agent should read (unknown id, empty history).
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    package func recentRequests(session: String?, limit: Int, allSessions: Bool) throws -> String {
        let scope = allSessions ? nil : try session ?? currentSession()
        let rows = try store.recent(limit: clamp(limit, 1, 50), session: scope)
        guard !rows.isEmpty else {
            throw Failure(scope == nil ? "No requests recorded yet. Traffic appears here once it goes through ccglass."
                                       : "No requests recorded for session \(scope!).")
        }
        var lines = ["Requests \(scope.map { "of session \($0)" } ?? "across all sessions"), newest first (\(rows.count)):"]
        for (index, row) in rows.enumerated() { lines += Self.describe(row, number: index + 1) }
        return capped(lines)
    }

    package func requestDetail(id: String) throws -> String {
        let full = try resolve(id)
        guard let exchange = try store.exchange(id: full) else {
            throw Failure("Request \(full) has no stored body (it was cut off before it finished).")
        }
        return capped(RequestDetail.render(exchange))
    }

    package func listSessions(limit: Int) throws -> String {
        let sessions = try store.sessions(limit: clamp(limit, 1, 100), titles: SessionTitles())
        guard !sessions.isEmpty else { throw Failure("No sessions recorded yet.") }
        let current = try? currentSession()
        var lines = ["Sessions, most recently active first:"]
        for s in sessions {
            let hit = s.inputTokens > 0 ? String(format: "%.0f%%", Double(s.cacheReadTokens) / Double(s.inputTokens) * 100) : "-"
            lines.append("- \(s.key)\(s.key == current ? " (current)" : "") · \"\(PromptText.preview(s.title ?? "(untitled)", limit: 80))\" · \(s.client ?? "?") · \(s.requests) requests\(s.errors > 0 ? " (\(s.errors) failed)" : "") · in \(Self.tokens(s.inputTokens)) (cache hit \(hit)) · out \(Self.tokens(s.outputTokens)) · \(Self.usd(s.costUSD, apiEquivalent: s.apiEquivalentUSD)) · last active \(Self.time(s.lastAt))\(s.subagents > 0 ? " · \(s.subagents) subagent\(s.subagents == 1 ? "" : "s")" : "")\(s.compactions > 0 ? " · \(s.compactions) compaction\(s.compactions == 1 ? "" : "s")" : "")\(s.flaggedCalls > 0 ? " · \(s.flaggedCalls) tool call\(s.flaggedCalls == 1 ? "" : "s") flagged by auto mode" : "")")
        }
        return capped(lines)
    }

    package func usageSummary(by: String, since: String?) throws -> String {
        guard let grouping = UsageGrouping(rawValue: by) else {
            throw Failure("`by` must be one of: \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let sinceDate = try since.map(Self.date)
        let rows = try store.usage(by: grouping, since: sinceDate)
        guard !rows.isEmpty else { throw Failure("No requests recorded\(since.map { " since \($0)" } ?? "").") }
        var lines = ["Usage by \(grouping.rawValue)\(since.map { " since \($0)" } ?? ""):"]
        for row in rows + [UsageRow.sum(rows, group: "TOTAL")] {
            lines.append("- \(row.group): \(row.requests) requests\(row.errors > 0 ? " (\(row.errors) failed)" : "") · in \(Self.tokens(row.inputTokens)) · out \(Self.tokens(row.outputTokens)) · cache read \(Self.tokens(row.cacheReadTokens)), write \(Self.tokens(row.cacheWrite5mTokens + row.cacheWrite1hTokens)) · hit \(row.cacheHitRate.map { String(format: "%.0f%%", $0 * 100) } ?? "-") · \(Self.usd(row.costUSD, apiEquivalent: row.apiEquivalentUSD))\(row.unpricedRequests > 0 ? " (+\(row.unpricedRequests) unpriced)" : "")")
        }
        return capped(lines)
    }

    package func searchRequests(query: String, limit: Int) throws -> String {
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { throw Failure("`query` must not be empty.") }
        let rows = try store.search(query, limit: clamp(limit, 1, 50))
        guard !rows.isEmpty else { throw Failure("No request or answer contains \"\(query)\".") }
        var lines = ["Requests containing \"\(query)\", newest first (\(rows.count)):"]
        for (index, row) in rows.enumerated() { lines += Self.describe(row, number: index + 1) }
        return capped(lines)
    }

    package func cacheReport(session: String?) throws -> String {
        guard let key = try session ?? currentSession() else { throw Failure("No sessions recorded yet.") }
        let report = try store.cacheReport(session: key, prices: prices)
        guard report.exchanges > 0 else { throw Failure("No requests with usage in session \(key).") }
        var lines = ["Cache report for session \(key): \(report.exchanges) requests",
                     String(format: "efficiency %.1f%% (read %@, written %@, uncached %@)", (report.efficiency ?? 0) * 100,
                            Self.tokens(report.cacheReadTokens), Self.tokens(report.cacheWriteTokens), Self.tokens(report.uncachedTokens)),
                     "lost to misses: \(Self.tokens(report.lostTokens)) tokens, \(Self.usd(report.lostUSD, apiEquivalent: report.lostAPIEquivalentUSD))\(report.unpricedMisses > 0 ? " (+\(report.unpricedMisses) unpriced)" : "")"]
        if !report.topCauses.isEmpty {
            lines.append("top causes:")
            for cause in report.topCauses.prefix(5) {
                lines.append("- \(cause.kind.rawValue)\(cause.block.map { " at \($0)" } ?? ""): \(cause.misses) miss\(cause.misses == 1 ? "" : "es"), \(Self.tokens(cause.lostTokens)) tokens, \(Self.usd(cause.lostUSD, apiEquivalent: cause.lostAPIEquivalentUSD))")
            }
        }
        let misses = report.events.filter { $0.verdict == "miss" }
        if !misses.isEmpty {
            lines.append("misses (newest last):")
            for event in misses.suffix(20) {
                lines.append("- \(Self.time(event.startedAt)) id \(event.exchangeID) · \(event.model ?? "?") · expected \(Self.tokens(event.expectedReadTokens)) read, got \(Self.tokens(event.cacheReadTokens)) · \(event.lostUSD.map { Self.usd($0, apiEquivalent: event.apiEquivalent ? $0 : 0) } ?? "unpriced") · \(event.cause?.detail ?? "")")
            }
        }
        return capped(lines)
    }

    package func limits(now: Date = Date()) throws -> String {
        let report = try store.limitReport(now: now, budgets: try budgets())
        guard !report.windows.isEmpty || !report.budgets.isEmpty else {
            throw Failure("No rate-limit readings yet: they arrive in the headers of each response through ccglass. No budgets are set either (\"budgets\" in config.json).")
        }
        var lines = ["Rate-limit windows, as last reported (\(Self.time(now)) now):"]
        if report.windows.isEmpty { lines.append("- none reported yet") }
        for window in report.windows {
            var line = "- \(window.provider) \(window.account) \(window.reading.name)\(window.binding ? " (binds now)" : ""): "
            line += window.reading.used.map { String(format: "%.0f%% used", $0 * 100) } ?? "utilization not reported"
            if let remaining = window.reading.remaining { line += ", \(Self.tokens(Int(remaining))) left" }
            if let reset = window.reading.resetsAt { line += reset > now ? ", resets \(Self.time(reset)) (in \(Projection.duration(reset.timeIntervalSince(now))))" : ", reset passed" }
            if let status = window.reading.status { line += ", status \(status)" }
            if window.rejections > 0 { line += ", refused \(window.rejections) request\(window.rejections == 1 ? "" : "s") this week" }
            lines.append(line + "; " + window.projection.note)
        }
        if !report.budgets.isEmpty {
            lines.append("Budgets the user set (they only warn; nothing is blocked):")
            for budget in report.budgets {
                lines.append("- \(budget.summary)\(budget.crossed ? " — CROSSED" : "")\(budget.resetsAt.map { "; a new period starts \(Self.time($0))" } ?? "")")
            }
        }
        return capped(lines)
    }

    package func agentBreakdown(session: String?) throws -> String {
        guard let key = try session ?? currentSession() else { throw Failure("No sessions recorded yet.") }
        let tree = try store.agentTree(session: key)
        guard tree.agents.contains(where: { $0.requests > 0 }) else { throw Failure("No requests in session \(key).") }
        let total = tree.agents.reduce(0) { $0 + $1.costUSD }
        var lines = ["Agents of session \(key): the main agent and \(tree.agents.count - 1) subagent\(tree.agents.count == 2 ? "" : "s"), costliest first"]
        for agent in tree.agents.sorted(by: { ($0.costUSD, $0.inputTokens) > ($1.costUSD, $1.inputTokens) }) {
            var line = "- " + (agent.id.map { "subagent \($0)" } ?? "main agent")
            if let type = agent.type { line += " (\(type))" }
            if let description = agent.description { line += " \"\(description)\"" }
            if let parent = agent.parent { line += ", started by subagent \(parent)" }
            if agent.background == true { line += ", in the background" }
            line += ": \(agent.requests) request\(agent.requests == 1 ? "" : "s"), \(Self.tokens(agent.inputTokens)) in, \(Self.tokens(agent.outputTokens)) out, "
            line += Self.usd(agent.costUSD, apiEquivalent: agent.apiEquivalentUSD)
            if total > 0 { line += String(format: " (%.0f%% of the session)", agent.costUSD / total * 100) }
            if agent.compactions > 0 { line += ", \(agent.compactions) compaction\(agent.compactions == 1 ? "" : "s")" }
            if agent.flaggedCalls > 0 { line += ", \(agent.flaggedCalls) tool call\(agent.flaggedCalls == 1 ? "" : "s") flagged by auto mode" }
            lines.append(line)
        }
        for c in tree.compactions {
            var line = "- \(c.kind.replacingOccurrences(of: "_", with: " ")) at \(Self.time(c.startedAt)) by \(c.agent.map { "subagent \($0)" } ?? "the main agent"): "
            line += c.costUSD.map { Self.usd($0, apiEquivalent: c.apiEquivalent ? $0 : 0) } ?? "unpriced"
            line += ", summarised \(c.contextBefore.map(Self.tokens) ?? "?") tokens of context into \(c.summaryTokens.map(Self.tokens) ?? "?")"
            if c.nextExchangeID != nil {
                line += "; the next request started from \(c.contextAfter.map(Self.tokens) ?? "?") tokens and paid "
                line += "\(c.nextCacheWriteTokens.map(Self.tokens) ?? "?") tokens of cache writes (\(c.nextCacheWriteUSD.map { Self.usd($0, apiEquivalent: c.apiEquivalent ? $0 : 0) } ?? "unpriced"))"
            }
            lines.append(line)
        }
        return capped(lines)
    }

    package func contextBreakdown(id: String) throws -> String {
        let full = try resolve(id)
        guard let exchange = try store.exchange(id: full) else { throw Failure("Request \(full) has no stored body.") }
        let breakdown = ContextBreakdown.of(exchange)
        var lines = ["Context of request \(full): \(breakdown.inputTokens) input tokens\(breakdown.estimated ? " (estimated)" : "")"]
        for part in breakdown.parts {
            let share = Double(part.tokens) / Double(max(breakdown.inputTokens, 1)) * 100
            lines.append("- \(part.kind.rawValue)\(part.tool.map { " \($0)" } ?? ""): \(part.tokens) tokens (\(String(format: "%.1f", share))%, \(part.pieces) piece\(part.pieces == 1 ? "" : "s"))")
        }
        return capped(lines)
    }

    func resolve(_ id: String) throws -> String {
        let trimmed = id.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Failure("`id` must not be empty.") }
        let matches = try store.resolve(idPrefix: trimmed) + (trimmed.count < 36 ? try store.recent(limit: 5000).map(\.id).filter { $0.hasSuffix(trimmed) } : [])
        let unique = Array(Set(matches))
        guard let first = unique.first else { throw Failure("No request with id \(trimmed). Use recent_requests to list ids.") }
        guard unique.count == 1 else { throw Failure("\(trimmed) matches \(unique.count) requests; give more of the id.") }
        return first
    }

    static func describe(_ row: ExchangeRow, number: Int) -> [String] {
        var head = "\(number). \(time(row.startedAt)) · \(row.model ?? "?") · "
        head += row.status.map { "\($0)" } ?? "no status"
        if let outcome = row.outcome, outcome != "ok" { head += " \(outcome)" }
        if row.phase != "finished" { head += " (in flight)" }
        if let usage = row.usage {
            head += " · in \(tokens(usage.inputTokens)) (cache read \(tokens(usage.cacheReadTokens)), write \(tokens(usage.cacheWriteTokens))) · out \(tokens(usage.outputTokens))"
        }
        head += " · " + (row.costUSD.map { usd($0, apiEquivalent: row.apiEquivalent ? $0 : 0) } ?? (row.usage == nil ? "no usage" : "unpriced"))
        head += " · id \(row.id)"
        if let agent = row.agentID { head += " · subagent \(agent)" + (row.parentAgentID.map { " (started by \($0))" } ?? "") }
        if let kind = row.requestKind, kind != "turn" { head += " · \(kind.replacingOccurrences(of: "_", with: " "))" }
        var lines = [head]
        if let prompt = row.prompt { lines.append("   prompt: \"\(PromptText.preview(prompt, limit: 240))\"") }
        if !row.toolNames.isEmpty {
            lines.append("   tool calls: \(row.toolNames.joined(separator: ", "))"
                         + (row.flaggedCalls > 0 ? " (\(row.flaggedCalls) flagged by auto mode's review and not run)" : ""))
        }
        if let error = row.errorMessage, row.outcome != "ok" { lines.append("   error: \(PromptText.preview(error, limit: 200))") }
        return lines
    }

    static func tokens(_ n: Int) -> String { n >= 10_000 ? String(format: "%.1fk", Double(n) / 1000) : "\(n)" }
    static func usd(_ v: Double) -> String { String(format: "$%.4f", v) }
    /// Spelled out for the model: a subscription's cost is what the API would charge, not a charge.
    static func usd(_ v: Double, apiEquivalent: Double) -> String {
        switch Billing.share(of: v, apiEquivalent: apiEquivalent) {
        case .none: return usd(v)
        case .all: return usd(v) + " API-equivalent (signed in, not billed per token)"
        case .part: return usd(v) + " (\(usd(apiEquivalent)) of it API-equivalent)"
        }
    }
    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = .current
        return formatter.string(from: date)
    }

    static func date(_ text: String) throws -> Date {
        if let unit = text.last, let amount = Double(text.dropLast()), "dhm".contains(unit) {
            return Date().addingTimeInterval(-amount * (unit == "d" ? 86_400 : unit == "h" ? 3_600 : 60))
        }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        if let date = day.date(from: text) ?? ISO8601DateFormatter().date(from: text) { return date }
        throw Failure("Cannot read the date \"\(text)\": use YYYY-MM-DD or an age like 7d.")
    }

    private func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }

    private func capped(_ lines: [String]) -> String {
        var text = lines.joined(separator: "\n")
        if text.count > Self.cap {
            text = String(text.prefix(Self.cap)) + "\n… (cut at \(Self.cap) characters; ask for fewer results)"
        }
        return text
    }
}
