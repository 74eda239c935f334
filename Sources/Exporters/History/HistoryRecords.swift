import Foundation
import Proxy

/// One exchange as lists show it.
package struct ExchangeRow: Sendable, Codable, Equatable {
    package var id: String
    package var startedAt: Date
    package var phase: String
    package var provider: String
    package var client: String
    package var sessionKey: String
    package var model: String?
    package var status: Int?
    package var outcome: String?
    package var errorType: String?
    package var errorMessage: String?
    package var usage: Usage?
    package var costUSD: Double?
    /// The cost is what the API would charge, not a charge: subscription traffic.
    package var apiEquivalent: Bool
    package var ttft: Double?
    package var duration: Double?
    package var requestBytes: Int
    package var responseBytes: Int
    /// The last thing the user typed, shortened.
    package var prompt: String?
    /// Tools the model called in its answer.
    package var toolNames: [String]
    /// The subagent that sent it, and the one that started that subagent; nil for a main agent.
    package var agentID: String?
    package var parentAgentID: String?
    /// What it was sent for: turn, compaction, post_compaction, count_tokens (Claude Code), or Codex's kinds.
    package var requestKind: String?
    /// The permission mode that asked for a review of its tool calls (`auto`), and the calls it flagged.
    package var reviewMode: String?
    package var flaggedCalls = 0
}

extension ExchangeRow {
    /// The row of an exchange still in memory (in flight, or from a process without a history).
    package init(_ e: Exchange) {
        self.init(id: e.id, startedAt: e.startedAt, phase: e.phase.rawValue, provider: e.provider, client: e.client,
                  sessionKey: e.sessionKey ?? "", model: e.model, status: e.status,
                  outcome: e.outcome?.rawValue, errorType: e.errorType, errorMessage: e.errorMessage, usage: e.usage,
                  costUSD: e.cost?.total, apiEquivalent: e.billing?.apiEquivalent ?? false, ttft: e.timings.firstByte, duration: e.timings.end, requestBytes: e.requestBytes,
                  responseBytes: e.responseBytes, prompt: e.request.lastPrompt, toolNames: e.response.toolCalls.map(\.name),
                  agentID: e.agent?.id, parentAgentID: e.agent?.parent, requestKind: e.requestKind,
                  reviewMode: e.request.reviewMode, flaggedCalls: e.response.flaggedCalls)
    }
}

/// Totals for one group of exchanges (a day, a session, a model, a provider).
package struct UsageRow: Sendable, Codable, Equatable {
    package var group: String
    package var requests: Int
    package var errors: Int
    package var inputTokens: Int
    package var outputTokens: Int
    package var cacheReadTokens: Int
    package var cacheWrite5mTokens: Int
    package var cacheWrite1hTokens: Int
    package var reasoningTokens: Int
    /// Sum over priced exchanges.
    package var costUSD: Double
    /// Exchanges with usage but no price: their cost is not in `costUSD`.
    package var unpricedRequests: Int
    /// The part of `costUSD` that is subscription traffic's API-equivalent, not a charge.
    package var apiEquivalentUSD: Double

    /// Share of prompt tokens served from cache.
    package var cacheHitRate: Double? {
        inputTokens > 0 ? Double(cacheReadTokens) / Double(inputTokens) : nil
    }

    /// All of `rows` added up, labelled `group`.
    package static func sum(_ rows: [UsageRow], group: String) -> UsageRow {
        var total = UsageRow(group: group, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0,
                             cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, costUSD: 0, unpricedRequests: 0, apiEquivalentUSD: 0)
        for row in rows {
            total.requests += row.requests
            total.errors += row.errors
            total.inputTokens += row.inputTokens
            total.outputTokens += row.outputTokens
            total.cacheReadTokens += row.cacheReadTokens
            total.cacheWrite5mTokens += row.cacheWrite5mTokens
            total.cacheWrite1hTokens += row.cacheWrite1hTokens
            total.reasoningTokens += row.reasoningTokens
            total.costUSD += row.costUSD
            total.unpricedRequests += row.unpricedRequests
            total.apiEquivalentUSD += row.apiEquivalentUSD
        }
        return total
    }
}

/// What `usage` groups by.
package enum UsageGrouping: String, Sendable, CaseIterable {
    case day, session, model, provider, client
    /// `main`, or `subagent <id>`, per session (`<session> · <agent>`): from the exchanges themselves.
    case agent
}

/// An agent session: its exchanges share Claude Code's session id, a wrapper run, or a client and a gap
/// under 30 minutes.
package struct SessionRow: Sendable, Codable, Equatable {
    package var key: String
    package var title: String?
    /// `claude-code` when Claude Code's transcript names it, `claude-code-request` when its naming
    /// request did, else `first-prompt`.
    package var titleSource: String?
    package var client: String?
    package var startedAt: Date
    package var lastAt: Date
    package var requests: Int
    package var errors: Int
    package var inputTokens: Int
    package var outputTokens: Int
    package var cacheReadTokens: Int
    package var costUSD: Double
    /// The part of `costUSD` that is subscription traffic's API-equivalent.
    package var apiEquivalentUSD: Double
    /// Tool calls auto mode's review flagged (and Claude Code so did not run).
    package var flaggedCalls = 0
    /// Claude Code's subagents that sent requests in it, and its compaction requests (retries included).
    package var subagents = 0
    package var compactions = 0
}
