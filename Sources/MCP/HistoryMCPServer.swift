import Exporters
import Foundation
import MCP

/// `ccglass mcp`: the history tools over MCP on stdio.
package enum HistoryMCPServer {
    /// The tools and their input schemas, as the client lists them.
    package static let tools: [Tool] = [
        Tool(name: "recent_requests",
             description: "List the most recent LLM requests recorded by ccglass, newest first: time, model, status, tokens (input with cache reads/writes, output), cost in USD, the user's last prompt and the tool calls in the answer. Defaults to the current agent session.",
             inputSchema: .object([
                "type": "object",
                "properties": .object([
                    "session": .object(["type": "string", "description": "Session id; defaults to the current session."]),
                    "limit": .object(["type": "integer", "description": "How many requests (1-50, default 10).", "minimum": 1, "maximum": 50]),
                    "all_sessions": .object(["type": "boolean", "description": "List across every session instead of one."]),
                ]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "request_detail",
             description: "Everything about one recorded request: system prompt blocks (with cache_control marks), tools, messages with roles and previews, the answer (text, thinking, tool calls, stop reason), token usage, cost breakdown and timings.",
             inputSchema: .object([
                "type": "object",
                "properties": .object(["id": .object(["type": "string", "description": "Request id, or its last characters, from recent_requests."])]),
                "required": .array(["id"]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "list_sessions",
             description: "List agent sessions recorded by ccglass, most recently active first, with titles, request counts, tokens, cache-hit rate and cost.",
             inputSchema: .object([
                "type": "object",
                "properties": .object(["limit": .object(["type": "integer", "description": "How many sessions (default 10).", "minimum": 1, "maximum": 100])]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "usage_summary",
             description: "Token, cache and cost totals grouped by model, day, session, provider or client.",
             inputSchema: .object([
                "type": "object",
                "properties": .object([
                    "by": .object(["type": "string", "enum": .array(UsageGrouping.allCases.map { .string($0.rawValue) }), "description": "Grouping (default model)."]),
                    "since": .object(["type": "string", "description": "Only since this date (YYYY-MM-DD) or age (7d, 12h)."]),
                ]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "search_requests",
             description: "Find recorded requests whose prompts, messages or answers contain a text (case-insensitive), newest first.",
             inputSchema: .object([
                "type": "object",
                "properties": .object([
                    "query": .object(["type": "string", "description": "Text to look for."]),
                    "limit": .object(["type": "integer", "description": "How many requests (1-50, default 10).", "minimum": 1, "maximum": 50]),
                ]),
                "required": .array(["query"]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "cache_report",
             description: "Why the prompt cache missed in a session: each miss with its cause (a model change, the first block that changed before the cache breakpoint, or a gap longer than the cache TTL), the tokens written again instead of read, the dollars that cost, cache efficiency and the top causes. Defaults to the current session.",
             inputSchema: .object([
                "type": "object",
                "properties": .object(["session": .object(["type": "string", "description": "Session id; defaults to the current session."])]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "context_breakdown",
             description: "Where one request's input tokens go: system prompt, each tool's schema, user and assistant text, thinking, and each tool's calls and results, summing to the tokens the provider reported.",
             inputSchema: .object([
                "type": "object",
                "properties": .object(["id": .object(["type": "string", "description": "Request id, or its last characters, from recent_requests."])]),
                "required": .array(["id"]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "agent_breakdown",
             description: "A Claude Code session's main agent and each subagent it started (type, description, parent, background or not), with each one's requests, tokens and cost, costliest first: which subagent burned the tokens.",
             inputSchema: .object([
                "type": "object",
                "properties": .object(["session": .object(["type": "string", "description": "Session id; defaults to the current session."])]),
             ]),
             annotations: .init(readOnlyHint: true)),
        Tool(name: "limits",
             description: "The rate-limit windows of each account as the providers last reported them (a Claude plan's 5-hour and weekly windows, Codex's primary and secondary, API keys' per-minute counts): how much is used, when it resets, which one binds, how often it refused a request this week, and whether the current pace runs out before the reset. Check it before starting a long task.",
             inputSchema: .object(["type": "object", "properties": .object([:])]),
             annotations: .init(readOnlyHint: true)),
    ]

    /// Runs one tool call; a `HistoryTools.Failure` becomes a tool error the model reads.
    package static func call(_ name: String, _ arguments: [String: Value], tools: HistoryTools) -> CallTool.Result {
        func int(_ key: String, _ fallback: Int) -> Int { arguments[key]?.intValue ?? arguments[key]?.doubleValue.map(Int.init) ?? fallback }
        do {
            let text: String
            switch name {
            case "recent_requests":
                text = try tools.recentRequests(session: arguments["session"]?.stringValue, limit: int("limit", 10),
                                                allSessions: arguments["all_sessions"]?.boolValue ?? false)
            case "request_detail":
                guard let id = arguments["id"]?.stringValue else { throw HistoryTools.Failure("`id` is required.") }
                text = try tools.requestDetail(id: id)
            case "list_sessions":
                text = try tools.listSessions(limit: int("limit", 10))
            case "usage_summary":
                text = try tools.usageSummary(by: arguments["by"]?.stringValue ?? "model", since: arguments["since"]?.stringValue)
            case "search_requests":
                guard let query = arguments["query"]?.stringValue else { throw HistoryTools.Failure("`query` is required.") }
                text = try tools.searchRequests(query: query, limit: int("limit", 10))
            case "cache_report":
                text = try tools.cacheReport(session: arguments["session"]?.stringValue)
            case "context_breakdown":
                guard let id = arguments["id"]?.stringValue else { throw HistoryTools.Failure("`id` is required.") }
                text = try tools.contextBreakdown(id: id)
            case "limits":
                text = try tools.limits()
            case "agent_breakdown":
                text = try tools.agentBreakdown(session: arguments["session"]?.stringValue)
            default:
                throw HistoryTools.Failure("Unknown tool \(name).")
            }
            return .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: false)
        } catch {
            return .init(content: [.text(text: "\(error)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    /// Serves on stdin/stdout until the client goes away.
    package static func run(tools: HistoryTools) async throws {
        let server = Server(name: "ccglass", version: "0.1.0",
                            instructions: "Read-only access to the LLM requests this agent made through ccglass: what was sent, what came back, tokens, cache use and cost.",
                            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: Self.tools) }
        await server.withMethodHandler(CallTool.self) { params in
            Self.call(params.name, params.arguments ?? [:], tools: tools)
        }
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
    }
}
