import Foundation
import Proxy

/// One exchange as lists show it.
public struct ExchangeRow: Sendable, Codable, Equatable {
    public var id: String
    public var startedAt: Date
    public var phase: String
    public var provider: String
    public var client: String
    public var sessionKey: String
    public var model: String?
    public var status: Int?
    public var outcome: String?
    public var errorType: String?
    public var errorMessage: String?
    public var usage: Usage?
    public var costUSD: Double?
    /// The cost is what the API would charge, not a charge: subscription traffic.
    public var apiEquivalent: Bool
    public var ttft: Double?
    public var duration: Double?
    public var requestBytes: Int
    public var responseBytes: Int
    /// The last thing the user typed, shortened.
    public var prompt: String?
    /// Tools the model called in its answer.
    public var toolNames: [String]
    /// The subagent that sent it, and the one that started that subagent; nil for a main agent.
    public var agentID: String?
    public var parentAgentID: String?
    /// What it was sent for: turn, compaction, post_compaction, count_tokens (Claude Code), or Codex's kinds.
    public var requestKind: String?
    /// The permission mode that asked for a review of its tool calls (`auto`), and the calls it flagged.
    public var reviewMode: String?
    public var flaggedCalls = 0
}

extension ExchangeRow {
    /// The row of an exchange still in memory (in flight, or from a process without a history).
    public init(_ e: Exchange) {
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
public struct UsageRow: Sendable, Codable, Equatable {
    public var group: String
    public var requests: Int
    public var errors: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWrite5mTokens: Int
    public var cacheWrite1hTokens: Int
    public var reasoningTokens: Int
    /// Sum over priced exchanges.
    public var costUSD: Double
    /// Exchanges with usage but no price: their cost is not in `costUSD`.
    public var unpricedRequests: Int
    /// The part of `costUSD` that is subscription traffic's API-equivalent, not a charge.
    public var apiEquivalentUSD: Double

    /// Share of prompt tokens served from cache.
    public var cacheHitRate: Double? {
        inputTokens > 0 ? Double(cacheReadTokens) / Double(inputTokens) : nil
    }

    /// All of `rows` added up, labelled `group`.
    public static func sum(_ rows: [UsageRow], group: String) -> UsageRow {
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
public enum UsageGrouping: String, Sendable, CaseIterable {
    case day, session, model, provider, client
    /// `main`, or `subagent <id>`, per session (`<session> · <agent>`): from the exchanges themselves.
    case agent
}

/// An agent session: its exchanges share Claude Code's session id, a wrapper run, or a client and a gap
/// under 30 minutes.
public struct SessionRow: Sendable, Codable, Equatable {
    public var key: String
    public var title: String?
    /// `claude-code` when Claude Code's transcript names it, `claude-code-request` when its naming
    /// request did, else `first-prompt`.
    public var titleSource: String?
    public var client: String?
    public var startedAt: Date
    public var lastAt: Date
    public var requests: Int
    public var errors: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var costUSD: Double
    /// The part of `costUSD` that is subscription traffic's API-equivalent.
    public var apiEquivalentUSD: Double
    /// Tool calls auto mode's review flagged (and Claude Code so did not run).
    public var flaggedCalls = 0
    /// Claude Code's subagents that sent requests in it, and its compaction requests (retries included).
    public var subagents = 0
    public var compactions = 0
}
