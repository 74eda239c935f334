import Foundation
import Proxy

/// The agents of one Claude Code session: the main agent and each subagent, with what started it (the
/// `Agent` tool call: its type, description, prompt and whether it ran in the background), its parent,
/// and what it spent.
package struct AgentTree: Sendable, Codable, Equatable {
    package struct Agent: Sendable, Codable, Equatable {
        /// nil for the main agent.
        package var id: String?
        package var parent: String?
        /// From the `Agent` call that started it (`general-purpose`, `Explore`, `Plan`, …).
        package var type: String?
        package var description: String?
        package var prompt: String?
        package var background: Bool?
        /// The exchange whose answer made the `Agent` call, and the call's id.
        package var spawnedBy: String?
        package var toolCallID: String?
        package var requests = 0
        package var inputTokens = 0
        package var outputTokens = 0
        package var cacheReadTokens = 0
        package var costUSD = 0.0
        package var apiEquivalentUSD = 0.0
        /// Compaction requests it sent.
        package var compactions = 0
        /// Its tool calls auto mode's review flagged (not run).
        package var flaggedCalls = 0
    }

    /// One compaction request: what it cost, the context it rewrote and the one it left, and what the
    /// first request after it paid to write that new context to the cache.
    package struct Compaction: Sendable, Codable, Equatable {
        package var exchangeID: String
        package var startedAt: Date
        /// nil for the main agent.
        package var agent: String?
        /// compaction, compaction_manual or compaction_retry.
        package var kind: String
        package var costUSD: Double?
        package var apiEquivalent: Bool
        /// The prompt it summarised (input tokens, cache included) and the summary's length.
        package var contextBefore: Int?
        package var summaryTokens: Int?
        /// The first request after it (`post_compaction`), when it came before another compaction.
        package var nextExchangeID: String?
        package var contextAfter: Int?
        package var nextCacheWriteTokens: Int?
        package var nextCacheWriteUSD: Double?
    }

    package var session: String
    /// The main agent first, then the subagents in the order they started.
    package var agents: [Agent]
    /// Oldest first.
    package var compactions: [Compaction] = []

    /// One `Agent` call an answer made.
    struct Spawn {
        var exchangeID: String
        var callID: String
        var caller: String?
        var type, description, prompt: String?
        var background: Bool?
    }

    package static func of(session: String, exchanges: [Exchange]) -> AgentTree {
        let ordered = exchanges.filter { $0.phase == .finished }.sorted { $0.id < $1.id }
        var spawns: [Spawn] = []
        var handedBack: [String: String] = [:]  // Agent call id → the subagent id its result names
        for exchange in ordered {
            for call in exchange.response.toolCalls where call.name == ClaudeCodeStructure.agentTool {
                let input = JSON.object(Array(call.arguments.utf8))
                spawns.append(Spawn(exchangeID: exchange.id, callID: call.id, caller: exchange.agent?.id, type: input?.string("subagent_type"),
                                    description: input?.string("description"), prompt: input?.string("prompt"),
                                    background: input?.bool("run_in_background")))
            }
            for message in exchange.conversation?.messages ?? [] {
                for block in message.blocks where block.kind == .toolResult {
                    if let id = block.toolID, let agent = ClaudeCodeStructure.handedBackAgent(in: block.text) { handedBack[id] = agent }
                }
            }
        }
        var main = Agent()
        var subagents: [String: Agent] = [:]
        var order: [String] = []
        var used = Set<String>()
        for exchange in ordered {
            guard let ref = exchange.agent else {
                add(exchange, to: &main)
                continue
            }
            if subagents[ref.id] == nil {
                var agent = Agent(id: ref.id, parent: ref.parent)
                // Its `Agent` call: the one whose result names it, else the rule among the earlier calls of
                // its starter not yet matched.
                let candidates = spawns.filter { !used.contains($0.callID) && $0.caller == ref.parent && $0.exchangeID < exchange.id }
                let spawn = spawns.first { handedBack[$0.callID] == ref.id }
                    ?? ClaudeCodeStructure.spawningCall(among: candidates, prompt: \.prompt, opening: exchange.request.firstPrompt)
                if let spawn {
                    used.insert(spawn.callID)
                    agent.type = spawn.type
                    agent.description = spawn.description
                    agent.prompt = spawn.prompt
                    agent.background = spawn.background
                    agent.spawnedBy = spawn.exchangeID
                    agent.toolCallID = spawn.callID
                }
                subagents[ref.id] = agent
                order.append(ref.id)
            }
            add(exchange, to: &subagents[ref.id]!)
        }
        return AgentTree(session: session, agents: [main] + order.map { subagents[$0]! }, compactions: compactions(in: ordered))
    }

    /// Each compaction request, with the request after it from the same agent: a retry or a new
    /// compaction before that leaves it without an "after".
    static func compactions(in ordered: [Exchange]) -> [Compaction] {
        var out: [Compaction] = []
        var open: [String: Int] = [:]  // agent ("" for main) → its latest compaction still waiting for its next request
        for exchange in ordered {
            let agent = exchange.agent?.id ?? ""
            guard let purpose = exchange.requestKind.flatMap(ClaudeCodeStructure.Purpose.init(rawValue:)) else { continue }
            if purpose.isCompaction {
                out.append(Compaction(exchangeID: exchange.id, startedAt: exchange.startedAt, agent: exchange.agent?.id, kind: purpose.rawValue,
                                      costUSD: exchange.cost?.total, apiEquivalent: exchange.billing == .subscription,
                                      contextBefore: exchange.usage?.inputTokens, summaryTokens: exchange.usage?.outputTokens))
                open[agent] = out.count - 1
            } else if purpose == .postCompaction, let index = open.removeValue(forKey: agent) {
                out[index].nextExchangeID = exchange.id
                out[index].contextAfter = exchange.usage?.inputTokens
                out[index].nextCacheWriteTokens = exchange.usage.map { $0.cacheWrite5mTokens + $0.cacheWrite1hTokens }
                out[index].nextCacheWriteUSD = exchange.cost.map { $0.cacheWrite5m + $0.cacheWrite1h }
            }
        }
        return out
    }

    static func add(_ exchange: Exchange, to agent: inout Agent) {
        agent.requests += 1
        if let usage = exchange.usage {
            agent.inputTokens += usage.inputTokens
            agent.outputTokens += usage.outputTokens
            agent.cacheReadTokens += usage.cacheReadTokens
        }
        if let cost = exchange.cost?.total {
            agent.costUSD += cost
            if exchange.billing == .subscription { agent.apiEquivalentUSD += cost }
        }
        agent.flaggedCalls += exchange.response.flaggedCalls
        if exchange.requestKind.flatMap(ClaudeCodeStructure.Purpose.init(rawValue:))?.isCompaction == true { agent.compactions += 1 }
    }
}

extension HistoryStore {
    /// Usage per subagent type (`Explore`, `general-purpose`, …) across every session in the range, and
    /// the main agents' as `main`. The type is known from the `Agent` call that started each subagent,
    /// so each session with subagents has its tree built: a slower read than `usage`'s buckets.
    package func usageByAgentType(since: Date?, until: Date?) throws -> [UsageRow] {
        let rows = try usageByAgent(since: since, until: until)
        var types: [String: String] = [:]  // "<session> · subagent <id>" → its type
        let sessions = rows.compactMap { row in row.group.range(of: " · subagent ").map { String(row.group[..<$0.lowerBound]) } }
        for session in Set(sessions) {
            for agent in try agentTree(session: session).agents {
                if let id = agent.id { types["\(session) · subagent \(id)"] = agent.type ?? "unknown type" }
            }
        }
        let grouped = Dictionary(grouping: rows) { row in row.group.hasSuffix(" · main") ? "main" : types[row.group] ?? "unknown type" }
        return grouped.map { UsageRow.sum($0.value, group: $0.key) }
            .sorted { ($0.group == "main" ? 0 : 1, -$0.costUSD, $0.group) < ($1.group == "main" ? 0 : 1, -$1.costUSD, $1.group) }
    }

    /// The agent tree of `session`, from its stored exchanges.
    package func agentTree(session: String, limit: Int = 100_000) throws -> AgentTree {
        let ids = try recent(limit: limit, session: session).map(\.id)
        return AgentTree.of(session: session, exchanges: try exchangesWithConversations(ids: ids))
    }
}
