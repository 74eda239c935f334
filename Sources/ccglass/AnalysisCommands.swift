import ArgumentParser
import Exporters
import Foundation
import Proxy

/// `ccglass cache [SESSION]`: why the prompt cache missed, and what it cost.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Explain a session's prompt-cache misses and what they cost.")

    @OptionGroup var history: HistoryOptions
    @Argument(help: "Session (default: the most recent one).") var session: String?
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
        let store = try history.open()
        guard let key = try session ?? store.latestSessionKey() else { throw ValidationError("no sessions recorded yet") }
        let (prices, _) = PriceTable.load(home: Home.directory(override: history.dataDir))
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
