import ArgumentParser
import Exporters
import Foundation
import Proxy

/// A session named on the command line, or the most recent one; and whether to answer in JSON.
struct SessionSelection: ParsableArguments {
    @OptionGroup var history: HistoryOptions
    @Argument(help: "Session (default: the most recent one).") var session: String?
    @Flag(help: "JSON for scripts.") var json = false

    func open() throws -> (HistoryStore, String) {
        let store = try history.open()
        guard let key = try session ?? store.latestSessionKey() else { throw ValidationError("no sessions recorded yet") }
        return (store, key)
    }
}

/// `ccglass cache [SESSION]`: why the prompt cache missed, and what it cost.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Explain a session's prompt-cache misses and what they cost.")

    @OptionGroup var selection: SessionSelection

    func run() throws {
        let (store, key) = try selection.open()
        let json = selection.json
        let (prices, _) = PriceTable.load(home: Home.directory(override: selection.history.dataDir))
        let report = try store.cacheReport(session: key, prices: prices)
        if json { return try printJSON(report) }
        guard report.exchanges > 0 else { return print("No exchanges with usage in session \(key).") }
        print("Session \(key): \(report.exchanges) requests")
        print(String(format: "cache efficiency %.1f%%  (read %@ · written %@ · uncached %@)", (report.efficiency ?? 0) * 100,
                     Format.tokens(report.cacheReadTokens), Format.tokens(report.cacheWriteTokens), Format.tokens(report.uncachedTokens)))
        let misses = report.events.filter { $0.verdict == "miss" }
        print("misses: \(misses.count) · \(Format.tokens(report.lostTokens)) tokens not read from cache · lost \(Format.usd(report.lostUSD, apiEquivalent: report.lostAPIEquivalentUSD))"
              + (report.unpricedMisses > 0 ? " (+\(report.unpricedMisses) unpriced)" : ""))
        if !report.topCauses.isEmpty {
            print("\ntop causes:")
            var table = TextTable(["cause", "where", "misses", "tokens", "lost"])
            for cause in report.topCauses {
                table.add([cause.kind.rawValue, cause.block ?? "-", "\(cause.misses)", Format.tokens(cause.lostTokens), Format.usd(cause.lostUSD, apiEquivalent: cause.lostAPIEquivalentUSD)])
            }
            print(table.render())
        }
        if !misses.isEmpty {
            print("\nmisses:")
            var table = TextTable(["time", "id", "model", "expected", "read", "written", "lost", "cause"])
            for event in misses {
                table.add([Format.time(event.startedAt), String(event.exchangeID.suffix(12)), event.model ?? "-",
                           Format.tokens(event.expectedReadTokens), Format.tokens(event.cacheReadTokens), Format.tokens(event.cacheWriteTokens),
                           event.lostUSD.map { Format.usd($0, apiEquivalent: event.apiEquivalent ? $0 : 0) } ?? "unpriced", event.cause?.detail ?? ""])
            }
            print(table.render())
        }
    }
}

/// `ccglass context ID`: where one request's input tokens go.
struct ContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context", abstract: "Split one request's input tokens by what fills the context.")

    @OptionGroup var history: HistoryOptions
    @Argument(help: "Exchange id (or its last characters).") var id: String
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        let store = try history.open()
        let full = try ExchangeLookup.resolve(id, in: store)
        guard let exchange = try store.exchange(id: full) else { throw ValidationError("exchange \(full) has no stored body") }
        let breakdown = ContextBreakdown.of(exchange)
        if json { return try printJSON(breakdown) }
        print("\(full): \(Format.tokens(breakdown.inputTokens)) input tokens\(breakdown.estimated ? " (estimated: no usage reported)" : "")")
        var table = TextTable(["what", "tool", "tokens", "share", "pieces"])
        for part in breakdown.parts {
            table.add([part.kind.rawValue, part.tool ?? "", Format.tokens(part.tokens),
                       String(format: "%.1f%%", Double(part.tokens) / Double(max(breakdown.inputTokens, 1)) * 100), "\(part.pieces)"])
        }
        print(table.render())
    }
}

/// `ccglass agents [SESSION]`: a Claude Code session's agents, as a tree, with what each spent.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agents", abstract: "Show a session's main agent and subagents, with the tokens and cost of each.")

    @OptionGroup var selection: SessionSelection

    func run() throws {
        let (store, key) = try selection.open()
        let tree = try store.agentTree(session: key)
        if selection.json { return try printJSON(tree) }
        print("Session \(key): \(tree.agents.count - 1) subagent\(tree.agents.count == 2 ? "" : "s")")
        var table = TextTable(["agent", "type", "description", "requests", "in", "out", "cache read", "cost"])
        for agent in Self.depthFirst(tree.agents) {
            let indent = String(repeating: "  ", count: agent.depth)
            let name = agent.agent.id.map { "\(indent)└ \($0)" } ?? "main"
            table.add([name + (agent.agent.background == true ? " (background)" : ""), agent.agent.type ?? "-",
                       PromptText.preview(agent.agent.description ?? "", limit: 40), "\(agent.agent.requests)",
                       Format.tokens(agent.agent.inputTokens), Format.tokens(agent.agent.outputTokens), Format.tokens(agent.agent.cacheReadTokens),
                       Format.usd(agent.agent.costUSD, apiEquivalent: agent.agent.apiEquivalentUSD)
                       + (agent.agent.compactions > 0 ? " · \(agent.agent.compactions) compaction\(agent.agent.compactions == 1 ? "" : "s")" : "")
                       + (agent.agent.flaggedCalls > 0 ? " · ⚑ \(agent.agent.flaggedCalls) flagged" : "")])
        }
        print(table.render())
        guard !tree.compactions.isEmpty else { return }
        print("")
        var compactions = TextTable(["compaction", "agent", "cost", "context before", "summary", "context after", "next cache write"])
        for c in tree.compactions {
            let usd = { (v: Double?) in v.map { Format.usd($0, apiEquivalent: c.apiEquivalent ? $0 : 0) } ?? "-" }
            compactions.add(["\(Format.time(c.startedAt)) \(c.kind.replacingOccurrences(of: "_", with: " "))", c.agent.map { String($0.prefix(9)) } ?? "main",
                             usd(c.costUSD), c.contextBefore.map(Format.tokens) ?? "-", c.summaryTokens.map(Format.tokens) ?? "-",
                             c.nextExchangeID == nil ? "-" : c.contextAfter.map(Format.tokens) ?? "-",
                             c.nextExchangeID == nil ? "-" : "\(c.nextCacheWriteTokens.map(Format.tokens) ?? "-") · \(usd(c.nextCacheWriteUSD))"])
        }
        print(compactions.render())
    }

    /// Each agent under the one that started it.
    static func depthFirst(_ agents: [AgentTree.Agent]) -> [(agent: AgentTree.Agent, depth: Int)] {
        var out: [(AgentTree.Agent, Int)] = []
        func visit(_ parent: String?, _ depth: Int) {
            for agent in agents where agent.id != nil && agent.parent == parent {
                out.append((agent, depth))
                visit(agent.id, depth + 1)
            }
        }
        if let main = agents.first(where: { $0.id == nil }) { out.append((main, 0)) }
        visit(nil, 1)
        // Subagents whose parent ccglass never saw still show, at the top level.
        for agent in agents where agent.id != nil && !out.contains(where: { $0.0.id == agent.id }) { out.append((agent, 1)) }
        return out
    }
}
