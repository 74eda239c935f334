import Foundation
import Proxy

/// Why the prompt cache missed in one agent session, and what it cost.
///
/// Each exchange is compared with the previous one of the same conversation (same first message): when it
/// reads less from the cache than the previous one left there, the cause is the first of: a model change
/// (caches are per model), where the prompt left the cached prefix (`PromptDiff`'s rule), or a gap
/// longer than the cache's TTL (5 minutes, or 1 hour for 1-hour writes).
package struct CacheReport: Sendable, Codable, Equatable {
    package var session: String
    package var exchanges: Int
    /// Prompt tokens read from cache / all prompt tokens (read + written + uncached).
    package var efficiency: Double?
    package var cacheReadTokens: Int
    package var cacheWriteTokens: Int
    package var uncachedTokens: Int
    /// Tokens that should have been read from cache but were written again or sent uncached.
    package var lostTokens: Int
    /// What those cost beyond a cache read, at each model's rates.
    package var lostUSD: Double
    /// The part of `lostUSD` lost on signed-in traffic: its API-equivalent, not money billed.
    package var lostAPIEquivalentUSD: Double = 0
    /// Misses whose model has no price (their dollars are not in `lostUSD`).
    package var unpricedMisses: Int
    package var events: [Event]
    package var topCauses: [CauseTotal]

    package struct Event: Sendable, Codable, Equatable {
        package var exchangeID: String
        package var startedAt: Date
        package var model: String?
        /// `cold` (first of its conversation), `hit`, or `miss`.
        package var verdict: String
        package var cacheReadTokens: Int
        package var cacheWriteTokens: Int
        package var uncachedTokens: Int
        /// What the previous request of the conversation left in the cache.
        package var expectedReadTokens: Int
        package var lostTokens: Int
        package var lostUSD: Double?
        /// Signed-in traffic: `lostUSD` is its API-equivalent.
        package var apiEquivalent: Bool = false
        package var cause: Cause?
    }

    package struct Cause: Sendable, Codable, Equatable {
        package enum Kind: String, Sendable, Codable {
            case modelChanged = "model_changed"
            case prefixChanged = "prefix_changed"
            case ttlExpired = "ttl_expired"
            /// The agent rewrote its conversation into a summary (Claude Code's compaction): the prompt
            /// after it shares no prefix with the one before.
            case compaction
            case unknown
        }
        package var kind: Kind
        /// The piece that differs (`system block 2`, `tool Grep`), for prefix changes.
        package var block: String?
        package var detail: String
    }

    package struct CauseTotal: Sendable, Codable, Equatable {
        package var kind: Cause.Kind
        package var block: String?
        package var misses: Int
        package var lostTokens: Int
        package var lostUSD: Double
        package var lostAPIEquivalentUSD: Double = 0
    }

    /// Analyses `exchanges` (one session, any order).
    package static func analyse(session: String, exchanges: [Exchange], prices: PriceTable) -> CacheReport {
        let ordered = exchanges.filter { $0.usage != nil && $0.request.operation == "chat" && $0.phase == .finished }
            .sorted { $0.id < $1.id }
        var report = CacheReport(session: session, exchanges: ordered.count, efficiency: nil, cacheReadTokens: 0, cacheWriteTokens: 0,
                                 uncachedTokens: 0, lostTokens: 0, lostUSD: 0, unpricedMisses: 0, events: [], topCauses: [])
        var previousByThread: [String: (Exchange, [PromptPiece])] = [:]
        var previousByAgent: [String: (Exchange, [PromptPiece])] = [:]
        for exchange in ordered {
            let usage = exchange.usage!
            report.cacheReadTokens += usage.cacheReadTokens
            report.cacheWriteTokens += usage.cacheWriteTokens
            report.uncachedTokens += usage.uncachedInputTokens
            let pieces = exchange.conversation?.pieces ?? []
            let thread = pieces.first { $0.message != nil }?.json ?? pieces.first?.json ?? exchange.id
            var event = Event(exchangeID: exchange.id, startedAt: exchange.startedAt, model: exchange.model, verdict: "cold",
                              cacheReadTokens: usage.cacheReadTokens, cacheWriteTokens: usage.cacheWriteTokens,
                              uncachedTokens: usage.uncachedInputTokens, expectedReadTokens: 0, lostTokens: 0, lostUSD: nil, cause: nil)
            // A compaction starts a new conversation (a new first message): it is judged against the
            // agent's request before it, for what it could have read of a prompt its own size.
            let agent = exchange.agent?.id ?? "main"
            let compacted = exchange.requestKind == ClaudeCodeStructure.Purpose.postCompaction.rawValue
            if let (previous, previousPieces) = previousByThread[thread] ?? (compacted ? previousByAgent[agent] : nil) {
                let before = previous.usage!
                let explicit = previousPieces.contains { $0.breakpoint } || before.cacheWriteTokens > 0
                event.expectedReadTokens = explicit ? before.cacheReadTokens + before.cacheWriteTokens : before.inputTokens
                if compacted { event.expectedReadTokens = min(event.expectedReadTokens, usage.inputTokens) }
                let lost = event.expectedReadTokens - usage.cacheReadTokens
                if lost > 128 {
                    event.verdict = "miss"
                    event.lostTokens = lost
                    event.cause = cause(previous, previousPieces, exchange, pieces)
                    event.lostUSD = dollars(lost: lost, usage: usage, exchange: exchange, prices: prices)
                    event.apiEquivalent = exchange.billing == .subscription
                } else {
                    event.verdict = "hit"
                }
            }
            previousByThread[thread] = (exchange, pieces)
            previousByAgent[agent] = (exchange, pieces)
            if event.verdict == "miss" {
                report.lostTokens += event.lostTokens
                if let usd = event.lostUSD {
                    report.lostUSD += usd
                    if event.apiEquivalent { report.lostAPIEquivalentUSD += usd }
                } else {
                    report.unpricedMisses += 1
                }
            }
            report.events.append(event)
        }
        let all = report.cacheReadTokens + report.cacheWriteTokens + report.uncachedTokens
        report.efficiency = all > 0 ? Double(report.cacheReadTokens) / Double(all) : nil
        var totals: [String: CauseTotal] = [:]
        for event in report.events {
            guard let cause = event.cause else { continue }
            let key = cause.kind.rawValue + "|" + (cause.block ?? "")
            var total = totals[key] ?? CauseTotal(kind: cause.kind, block: cause.block, misses: 0, lostTokens: 0, lostUSD: 0)
            total.misses += 1
            total.lostTokens += event.lostTokens
            total.lostUSD += event.lostUSD ?? 0
            if event.apiEquivalent { total.lostAPIEquivalentUSD += event.lostUSD ?? 0 }
            totals[key] = total
        }
        report.topCauses = totals.values.sorted { ($0.lostUSD, $0.lostTokens) > ($1.lostUSD, $1.lostTokens) }
        return report
    }

    static func cause(_ previous: Exchange, _ before: [PromptPiece], _ current: Exchange, _ after: [PromptPiece]) -> Cause {
        if let kind = current.requestKind.flatMap(ClaudeCodeStructure.Purpose.init(rawValue:)), kind == .postCompaction || kind.isCompaction {
            return Cause(kind: .compaction, block: nil, detail: kind == .postCompaction
                         ? "the conversation was compacted into a summary: the first request after it writes the cache anew"
                         : "a compaction request: the conversation with the summary instruction appended")
        }
        if let old = previous.model, let new = current.model, old != new {
            return Cause(kind: .modelChanged, block: nil, detail: "model changed from \(old) to \(new); each model has its own cache")
        }
        if let change = PromptDiff(older: before, newer: after).prefixBreak {
            return Cause(kind: .prefixChanged, block: change.label, detail: change.detail)
        }
        let ttl: TimeInterval = before.contains { $0.ttl == "1h" } || (previous.usage!.cacheWrite1hTokens > 0 && previous.usage!.cacheWrite5mTokens == 0) ? 3600 : 300
        let previousEnd = previous.startedAt.addingTimeInterval(previous.timings.end ?? 0)
        let gap = current.startedAt.timeIntervalSince(previousEnd)
        if gap > ttl {
            return Cause(kind: .ttlExpired, block: nil,
                         detail: "\(duration(gap)) since the previous request, longer than the \(ttl == 3600 ? "1-hour" : "5-minute") cache lifetime")
        }
        return Cause(kind: .unknown, block: nil, detail: "nothing changed before the cache breakpoint and the cache was fresh; the provider evicted it or routed elsewhere")
    }

    /// What `lost` tokens cost beyond being read from cache: rewritten at the write rate where this request
    /// wrote cache, else sent at the plain input rate.
    static func dollars(lost: Int, usage: Usage, exchange: Exchange, prices: PriceTable) -> Double? {
        guard let model = exchange.model, let (_, price) = prices.lookup(provider: exchange.provider, model: model) else { return nil }
        let rates = price.rates(inputTokens: usage.inputTokens, at: exchange.startedAt)
        let read = rates.cacheRead ?? rates.input
        let rewritten5m = min(lost, usage.cacheWrite5mTokens)
        let rewritten1h = min(lost - rewritten5m, usage.cacheWrite1hTokens)
        let uncached = lost - rewritten5m - rewritten1h
        let perToken = 1.0 / 1_000_000
        return (Double(rewritten5m) * ((rates.cacheWrite5m ?? rates.input) - read)
                + Double(rewritten1h) * ((rates.cacheWrite1h ?? rates.cacheWrite5m ?? rates.input) - read)
                + Double(uncached) * (rates.input - read)) * perToken
    }

    static func duration(_ seconds: TimeInterval) -> String {
        seconds >= 3600 ? String(format: "%.1f h", seconds / 3600) : "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s"
    }
}

extension HistoryStore {
    /// The cache report of a session: its last `limit` exchanges, or those up to and including `through`.
    package func cacheReport(session: String, prices: PriceTable, through: String? = nil, limit: Int = 100_000) throws -> CacheReport {
        var ids = try recent(limit: limit, session: session, before: through.map { $0 + "~" }).map(\.id)
        if let through { ids = ids.filter { $0 <= through } }
        let exchanges = try exchangesWithConversations(ids: ids)
        return CacheReport.analyse(session: session, exchanges: exchanges, prices: prices)
    }
}
