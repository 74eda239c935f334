import ArgumentParser
import Exporters
import Foundation
import Proxy

/// Options of every command that reads the history.
struct HistoryOptions: ParsableArguments {
    @Option(help: "Data directory (default $CCGLASS_HOME or ~/.ccglass).")
    var dataDir: String?

    func open() throws -> HistoryStore {
        let url = HistoryStore.defaultURL(home: Home.directory(override: dataDir))
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("no history at \(url.path) yet: run `ccglass serve` (or `ccglass claude`) and send some traffic")
        }
        let store = try HistoryStore(url: url)
        try store.markAbandoned()
        return store
    }
}

/// `ccglass usage`: tokens, cache-hit rate and cost, grouped.
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Tokens, cache-hit rate and cost from the history.")

    @OptionGroup var history: HistoryOptions
    @Option(help: "Group by day, session, model, provider, client, or agent (main and each subagent, per session; then per subagent type across sessions).") var by: String = "day"
    @Option(help: "Only exchanges from this date on (YYYY-MM-DD, ISO 8601, or 7d / 12h ago).") var since: String?
    @Option(help: "Only exchanges before this date.") var until: String?
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        guard let grouping = UsageGrouping(rawValue: by) else {
            throw ValidationError("--by must be one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let store = try history.open()
        let since = try since.map(DateArgument.parse), until = try until.map(DateArgument.parse)
        let rows = try store.usage(by: grouping, since: since, until: until)
        let total = UsageRow.sum(rows, group: "total")
        let types = grouping == .agent ? try store.usageByAgentType(since: since, until: until) : nil
        if json {
            try printJSON(UsageReport(by: grouping.rawValue, rows: rows, total: total, types: types))
            return
        }
        guard !rows.isEmpty else { return print("No exchanges in that range.") }
        let titles = grouping == .session
            ? Dictionary(try store.sessions(limit: 100_000, titles: SessionTitles()).map { ($0.key, $0.title ?? "") }) { a, _ in a }
            : [:]
        var table = TextTable(["\(grouping.rawValue)", "requests", "errors", "input", "output", "cache read", "cache write", "hit %", "cost"])
        for (index, row) in (rows + [total]).enumerated() {
            let label = titles[row.group].map { "\(PromptText.preview($0, limit: 40)) [\(row.group.prefix(8))]" } ?? row.group
            table.add([index == rows.count ? "TOTAL" : label, "\(row.requests)", "\(row.errors)", Format.tokens(row.inputTokens), Format.tokens(row.outputTokens),
                       Format.tokens(row.cacheReadTokens), Format.tokens(row.cacheWrite5mTokens + row.cacheWrite1hTokens),
                       row.cacheHitRate.map { String(format: "%.1f", $0 * 100) } ?? "-",
                       Format.usd(row.costUSD, apiEquivalent: row.apiEquivalentUSD)
                           + (row.unpricedRequests > 0 ? " (+\(row.unpricedRequests) unpriced)" : "")])
        }
        print(table.render())
        if let types, types.contains(where: { $0.group != "main" }) {
            var byType = TextTable(["agent type", "requests", "input", "output", "cache read", "hit %", "cost"])
            for row in types {
                byType.add([row.group, "\(row.requests)", Format.tokens(row.inputTokens), Format.tokens(row.outputTokens), Format.tokens(row.cacheReadTokens),
                            row.cacheHitRate.map { String(format: "%.1f", $0 * 100) } ?? "-", Format.usd(row.costUSD, apiEquivalent: row.apiEquivalentUSD)])
            }
            print("\nBy subagent type, across sessions:")
            print(byType.render())
        }
        if total.apiEquivalentUSD > 0 { print(Format.apiEquivalentNote) }
    }
}

/// `usage --json`: the groups and their total.
struct UsageReport: Encodable {
    var by: String
    var rows: [UsageRow]
    var total: UsageRow
    /// With `--by agent`: per subagent type across sessions, and `main`.
    var types: [UsageRow]?
}

/// `ccglass requests`: recent exchanges.
struct RequestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "requests", abstract: "Recent exchanges, newest first.")

    @OptionGroup var history: HistoryOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "How many.") var limit: Int = 20
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        let store = try history.open()
        let rows = try store.recent(limit: limit, session: session)
        if json { return try printJSON(rows) }
        guard !rows.isEmpty else { return print("No exchanges yet.") }
        // One session's subagents are named by their type and description.
        let agents = try session.map { try store.agentTree(session: $0).agents } ?? []
        let names = Dictionary(agents.compactMap { agent in
            agent.id.flatMap { id in agent.type.map { (id, $0 + (agent.description.map { " · " + PromptText.preview($0, limit: 30) } ?? "")) } }
        }) { a, _ in a }
        var table = TextTable(["time", "id", "agent", "model", "status", "in", "out", "cache read", "cost", "ttft", "prompt"])
        for row in rows {
            table.add([Format.time(row.startedAt), String(row.id.suffix(12)), Self.agent(row, names: names), row.model ?? "-",
                       row.status.map { "\($0)" + (row.outcome == "ok" ? "" : " \(row.outcome ?? "")") } ?? (row.outcome ?? row.phase),
                       row.usage.map { Format.tokens($0.inputTokens) } ?? "-", row.usage.map { Format.tokens($0.outputTokens) } ?? "-",
                       row.usage.map { Format.tokens($0.cacheReadTokens) } ?? "-", row.costUSD.map { Format.usd($0, apiEquivalent: row.apiEquivalent ? $0 : 0) } ?? (row.usage == nil ? "-" : "unpriced"),
                       row.ttft.map { String(format: "%.2fs", $0) } ?? "-",
                       (row.flaggedCalls > 0 ? "⚑ \(row.flaggedCalls) flagged · " : "") + PromptText.preview(row.prompt ?? "", limit: 60)])
        }
        print(table.render())
        if rows.contains(where: { $0.apiEquivalent && $0.costUSD != nil }) { print(Format.apiEquivalentNote) }
        if rows.contains(where: { $0.flaggedCalls > 0 }) { print("⚑ flagged: auto mode's review blocked tool calls of that answer; Claude Code did not run them.") }
    }

    /// "main", "└ a1b2c3d4" for a subagent (two marks deep for a nested one), and what a request was
    /// for when it was not an ordinary turn.
    static func agent(_ row: ExchangeRow, names: [String: String] = [:]) -> String {
        let who = row.agentID.map { (row.parentAgentID == nil ? "└ " : "  └ ") + (names[$0] ?? String($0.prefix(9))) } ?? (row.client == "claude-code" ? "main" : "-")
        guard let kind = row.requestKind, kind != "turn" else { return who }
        return "\(who) [\(kind.replacingOccurrences(of: "_", with: " "))]"
    }
}

/// `ccglass export`: one exchange as HTTP transcript, Markdown, JSON or HAR.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write one exchange as raw HTTP, Markdown, JSON or HAR 1.2.")

    @OptionGroup var history: HistoryOptions
    @Argument(help: "Exchange id (or its last characters, as `requests` shows).") var id: String
    @Option(help: "raw, md, json or har.") var format: String = "md"

    func run() throws {
        guard let format = ExchangeExport.Format(rawValue: format) else {
            throw ValidationError("--format must be raw, md, json or har")
        }
        let store = try history.open()
        let id = try ExchangeLookup.resolve(id, in: store)
        guard let exchange = try store.exchange(id: id) else {
            throw ValidationError("exchange \(id) has no stored body (it was cut off before it finished)")
        }
        FileHandle.standardOutput.write(try ExchangeExport.render(exchange, as: format))
    }
}

enum ExchangeLookup {
    /// A full id, or the unique exchange whose id ends (or starts) with `text`.
    static func resolve(_ text: String, in store: HistoryStore) throws -> String {
        if text.count == 36 { return text }
        let matches = try store.recent(limit: 100_000).map(\.id).filter { $0.hasSuffix(text) || $0.hasPrefix(text) }
        guard let first = matches.first else { throw ValidationError("no exchange matches '\(text)'") }
        guard matches.count == 1 else { throw ValidationError("'\(text)' matches \(matches.count) exchanges; give more characters") }
        return first
    }
}

/// `ccglass rm SESSION`.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a session's exchanges and reclaim the space.")

    @OptionGroup var history: HistoryOptions
    @Argument(help: "Session key, as `usage --by session` shows it.") var session: String

    func run() throws {
        let result = try history.open().deleteSession(session)
        guard result.exchanges > 0 else { throw ValidationError("no session '\(session)'") }
        print("Deleted \(result.exchanges) exchanges and \(result.parts) parts; history \(Format.bytes(result.bytesBefore)) → \(Format.bytes(result.bytesAfter)).")
    }
}

/// `ccglass prune --older-than 30d`.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Delete exchanges older than a given age and reclaim the space.")

    @OptionGroup var history: HistoryOptions
    @Option(help: "Age, e.g. 30d, 12h, 90m.") var olderThan: String

    func run() throws {
        let cutoff = try DateArgument.parse(olderThan)
        let result = try history.open().prune(before: cutoff)
        print("Deleted \(result.exchanges) exchanges and \(result.parts) parts; history \(Format.bytes(result.bytesBefore)) → \(Format.bytes(result.bytesAfter)).")
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    FileHandle.standardOutput.write(try encoder.encode(value))
    print()
}
