import Foundation

/// A request's prompt in one shape whatever the wire format: what the model was told (system blocks),
/// what it may call (tools), the conversation (messages of typed blocks), where the cache breakpoints sit
/// and the parameters. Each wire format parses its request body into one, once; every reader of a
/// prompt (history, spans, cache and context analysis, MCP, the dashboard) reads this.
package struct Prompt: Sendable, Equatable, Codable {
    /// `chat`, or `count_tokens` for a token-counting request.
    package var operation = "chat"
    package var model: String?
    package var stream = false
    package var maxTokens: Int?
    package var temperature: Double?
    package var topP: Double?
    /// Anthropic `metadata.user_id` (Claude Code puts its session in it), Responses `prompt_cache_key`.
    package var metadataUserID: String?
    /// Responses `previous_response_id`: the conversation before this request lives upstream.
    package var previousResponseID: String?
    /// The agent's turn and why it sent the request, when the body says (Codex `client_metadata`).
    package var turnID: String?
    package var requestKind: String?
    /// The permission mode whose review of tool calls it asks for (`AutoModeReview`).
    package var reviewMode: String?
    package var system: [PromptBlock] = []
    package var tools: [PromptTool] = []
    package var messages: [PromptMessage] = []
    /// For a prompt rebuilt through `previousResponseID`: how many leading messages this request did
    /// not send (they came in earlier requests and replies on its connection); nil when it is as sent.
    package var earlierMessages: Int?
    /// The tools came with an earlier request on the connection, not with this one.
    package var earlierTools: Bool?

    package init() {}
}

/// One turn of the conversation.
package struct PromptMessage: Sendable, Equatable, Codable {
    package var role: Role
    package var blocks: [PromptBlock]

    package enum Role: String, Sendable, Codable {
        case system, developer, user, assistant, tool
    }

    package init(role: Role, blocks: [PromptBlock]) {
        self.role = role
        self.blocks = blocks
    }
}

/// A piece of content: a text, a tool call, a tool result, an image, …
package struct PromptBlock: Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable {
        case text, thinking, image
        case toolUse = "tool_use"
        case toolResult = "tool_result"
        case other
    }

    package var kind: Kind
    /// The wire's own name for it (`input_text`, `redacted_thinking`, `function_call_output`, …).
    package var type: String
    /// The words in it: the text, the thinking, a tool call's arguments, a tool result's text.
    package var text: String
    /// The call id, for tool calls and results.
    package var toolID: String?
    /// The tool, for tool calls (results name it only through their call).
    package var toolName: String?
    /// A cache breakpoint (`cache_control`) on this block.
    package var cache: CacheBreakpoint?
    /// The block as JSON, cache marks removed: its identity from turn to turn, and its size.
    package var json: String

    package init(kind: Kind, type: String, text: String = "", toolID: String? = nil, toolName: String? = nil,
                cache: CacheBreakpoint? = nil, json: String) {
        self.kind = kind
        self.type = type
        self.text = text
        self.toolID = toolID
        self.toolName = toolName
        self.cache = cache
        self.json = json
    }
}

/// A tool the model may call, with its schema.
package struct PromptTool: Sendable, Equatable, Codable {
    package var name: String
    package var cache: CacheBreakpoint?
    /// The definition as JSON, cache marks removed.
    package var json: String

    package init(name: String, cache: CacheBreakpoint?, json: String) {
        self.name = name
        self.cache = cache
        self.json = json
    }
}

/// Where the client asked the provider to cache everything up to and including this point.
package struct CacheBreakpoint: Sendable, Equatable, Codable {
    /// `5m` or `1h`; nil is the provider's default (5 minutes).
    package var ttl: String?

    package init(ttl: String?) {
        self.ttl = ttl
    }

    /// Reads an Anthropic `cache_control` mark.
    package static func of(_ block: JSONObject) -> CacheBreakpoint? {
        block.object("cache_control").map { CacheBreakpoint(ttl: $0.string("ttl")) }
    }
}

extension Prompt {
    /// The user's prompts in order: user text blocks, without what the agent adds around them.
    package var userPrompts: [String] {
        messages.compactMap { message in
            guard message.role == .user else { return nil }
            let text = message.blocks.filter { $0.kind == .text && !PromptText.isHarnessText($0.text) }
                .map(\.text).joined(separator: "\n")
            return text.isEmpty ? nil : text
        }
    }

    /// Call ids answered after the model's last turn: what links this request to the exchange whose
    /// tool calls it answers, and so the time the agent spent running the tools.
    package var answeredToolCalls: [String] {
        var ids: [String] = []
        for message in messages.reversed() {
            if message.role == .assistant { break }
            ids += message.blocks.reversed().compactMap { $0.kind == .toolResult ? $0.toolID : nil }
        }
        return ids.reversed()
    }

    /// What it asked for, as kept on every record.
    package var summary: RequestSummary {
        var summary = RequestSummary(parsed: true)
        summary.operation = operation
        summary.model = model
        summary.stream = stream
        summary.maxTokens = maxTokens
        summary.temperature = temperature
        summary.topP = topP
        summary.messageCount = messages.count
        summary.toolCount = tools.count
        summary.metadataUserID = metadataUserID
        summary.turnID = turnID
        summary.requestKind = requestKind
        summary.reviewMode = reviewMode
        let prompts = userPrompts
        summary.firstPrompt = prompts.first.map { PromptText.preview($0, limit: RequestSummary.promptPreview) }
        summary.lastPrompt = prompts.last.map { PromptText.preview($0, limit: RequestSummary.promptPreview) }
        summary.toolResultIDs = answeredToolCalls
        return summary
    }
}

/// Helpers every format's request parser uses to turn parsed JSON into blocks.
enum PromptJSON {
    /// `value` as compact JSON without its `cache_control` marks (they move from turn to turn without
    /// changing the content).
    static func canonical(_ value: Any) -> String {
        JSON.text(value, omitting: "cache_control") ?? ""
    }

    /// A plain string as a text block.
    static func text(_ string: String, type: String = "text") -> PromptBlock {
        PromptBlock(kind: .text, type: type, text: string, json: JSON.text(string) ?? "")
    }

    /// The text a tool result carries: a string, or its text blocks joined.
    static func resultText(_ content: Any?) -> String {
        if let string = content as? String { return string }
        return (content as? [Any] ?? []).compactMap { ($0 as? JSONObject)?.string("text") }.joined(separator: "\n")
    }
}
