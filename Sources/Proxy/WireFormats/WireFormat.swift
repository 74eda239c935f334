import Foundation

/// The LLM API dialects ccglass understands.
package enum WireFormatKind: String, Sendable, Codable, CaseIterable {
    case anthropicMessages = "anthropic.messages"
    case openAIChatCompletions = "openai.chat_completions"
    case openAIResponses = "openai.responses"
    case gemini = "gemini.generate_content"

    /// Picks the dialect from the upstream path (query excluded); nil for endpoints without usage.
    package static func detect(path: Substring) -> WireFormatKind? {
        var path = path
        if let q = path.firstIndex(of: "?") { path = path[..<q] }
        while path.hasSuffix("/") { path = path.dropLast() }
        if path.hasSuffix("/messages") || path.hasSuffix("/messages/count_tokens") { return .anthropicMessages }
        if path.hasSuffix("/chat/completions") { return .openAIChatCompletions }
        if path.hasSuffix("/responses") { return .openAIResponses }
        if path.hasSuffix(":generateContent") || path.hasSuffix(":streamGenerateContent") || path.hasSuffix(":countTokens") { return .gemini }
        return nil
    }

    /// The one place a format is registered: its type, which holds both its sides.
    package var format: any WireFormat.Type {
        switch self {
        case .anthropicMessages: AnthropicMessagesStream.self
        case .openAIChatCompletions: OpenAIChatCompletionsStream.self
        case .openAIResponses: OpenAIResponsesStream.self
        case .gemini: GeminiStream.self
        }
    }

    /// A fresh response parser for one exchange.
    package func makeParser() -> any WireFormat { format.init() }

    /// The request's prompt, from its complete JSON body.
    package func prompt(request: JSONObject, path: Substring) -> Prompt {
        format.prompt(request: request, path: path)
    }

    /// The members of its request bodies the history stores as parts of their own.
    package var bodyMembers: [String: BodyMember] { format.bodyMembers }

    /// Every format's, for bodies of no known format.
    package static let anyBodyMembers = allCases.reduce(into: [String: BodyMember]()) { all, kind in
        all.merge(kind.bodyMembers) { first, _ in first }
    }

    /// The prompt of a stored or captured body; nil when the body is not a JSON object.
    package func prompt(body: some Sequence<UInt8>, path: Substring) -> Prompt? {
        JSON.object(body).map { prompt(request: $0, path: path) }
    }
}

/// One wire format, both sides: its request parsed into a `Prompt`, and its response parsed as it
/// arrives (SSE events one by one, or the whole JSON body at the end). It never throws: what it cannot
/// read it counts in `parseFailures`.
package protocol WireFormat {
    /// A parser for one response.
    init()
    /// The prompt of a parsed request body sent to `path`.
    static func prompt(request: JSONObject, path: Substring) -> Prompt
    /// The big members of its request bodies (system prompt, tools, conversation), which the history
    /// stores apart so that a resent conversation costs only its new messages.
    static var bodyMembers: [String: BodyMember] { get }
    /// The model's reply, as the conversation items a request continuing it stands on: read from the
    /// response as received where the format keeps them whole, else from its `summary`.
    static func reply(response: Data, summary: ResponseSummary) -> [PromptMessage]
    /// Consumes one event of a streamed response.
    mutating func ingest(_ event: SSEEvent)
    /// Consumes a complete non-streamed JSON body (a result or an error object).
    mutating func ingest(body: [UInt8])
    /// Ends the response; an output estimate nobody confirmed is kept only where the provider bills it.
    mutating func finish()
    /// Everything learned so far.
    var summary: ResponseSummary { get }
}

extension WireFormat {
    package static func reply(response: Data, summary: ResponseSummary) -> [PromptMessage] { summary.reply }
}

extension ResponseSummary {
    /// The reply as one assistant message of what was read: thinking, text, tool calls.
    package var reply: [PromptMessage] {
        var blocks: [PromptBlock] = []
        if !thinking.isEmpty { blocks.append(PromptBlock(kind: .thinking, type: "thinking", text: thinking, json: JSON.text(thinking) ?? "")) }
        if !text.isEmpty { blocks.append(PromptJSON.text(text)) }
        for call in toolCalls {
            blocks.append(PromptBlock(kind: .toolUse, type: "tool_use", text: call.arguments, toolID: call.id, toolName: call.name,
                                      json: JSON.text(["id": call.id, "name": call.name, "arguments": call.arguments]) ?? ""))
        }
        return blocks.isEmpty ? [] : [PromptMessage(role: .assistant, blocks: blocks)]
    }
}

/// A top-level member of a request body that the history cuts out and stores content-addressed.
package struct BodyMember: Sendable, Equatable {
    /// The parts' kind in the store (`system`, `tools`, `message`).
    package let kind: String
    /// An array whose elements are stored one by one (else the member is one part).
    package let elements: Bool
    /// Elements chained turn to turn, so a conversation that grows shares its prefix.
    package let chained: Bool

    package static let system = BodyMember(kind: "system", elements: true, chained: false)
    package static let tools = BodyMember(kind: "tools", elements: false, chained: false)
    package static let conversation = BodyMember(kind: "message", elements: true, chained: true)

    package init(kind: String, elements: Bool, chained: Bool) {
        self.kind = kind
        self.elements = elements
        self.chained = chained
    }
}

/// What a request asked for.
package struct RequestSummary: Sendable, Codable, Equatable {
    /// False when the body was not JSON (it was still forwarded unchanged).
    package var parsed: Bool
    package var operation: String = "chat"
    package var model: String?
    package var stream: Bool?
    package var maxTokens: Int?
    package var temperature: Double?
    package var topP: Double?
    package var messageCount = 0
    package var toolCount = 0
    /// Anthropic `metadata.user_id` (Claude Code puts its session id in it) or Responses
    /// `prompt_cache_key` (Codex's conversation id).
    package var metadataUserID: String?
    /// The agent's turn id and request kind, from the body (Codex over WebSocket).
    package var turnID: String?
    package var requestKind: String?
    /// The conversation's first and latest prompts a person typed, shortened to `promptPreview` characters.
    package static let promptPreview = 280
    package var firstPrompt: String?
    package var lastPrompt: String?
    /// Tool calls this request answers (the results after the model's last turn), by call id.
    package var toolResultIDs: [String] = []
    /// The permission mode whose review of tool calls it asked for (Claude Code's auto mode: `auto`).
    package var reviewMode: String?

    package init(parsed: Bool) {
        self.parsed = parsed
    }
}

/// A tool call the model made in its response.
package struct ToolCall: Sendable, Codable, Equatable {
    package var id: String
    package var name: String
    /// Arguments as JSON text, as the model produced them.
    package var arguments: String
    /// Auto mode's verdict on it, when the request asked for one (`AutoModeReview`).
    package var review: ToolReview?

    package init(id: String, name: String, arguments: String, review: ToolReview? = nil) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.review = review
    }
}

/// An error the provider reported: in an error status's body, or as an SSE `error` event after a 200.
package struct ProviderError: Sendable, Codable, Equatable {
    package var type: String
    package var message: String

    package init(type: String, message: String) {
        self.type = type
        self.message = message
    }
}

/// What a response said, reassembled from its stream or body.
package struct ResponseSummary: Sendable, Codable, Equatable {
    package var id: String?
    package var model: String?
    package var finishReasons: [String] = []
    package var toolCalls: [ToolCall] = []
    /// Text the model wrote, capped at `ResponseSummary.textCap` characters.
    package var text = ""
    /// Reasoning the model showed (Anthropic thinking, DeepSeek reasoning_content), capped likewise.
    package var thinking = ""
    package var usage: Usage?
    /// The provider's own usage object, verbatim fields, as JSON text.
    package var rawUsage: String?
    package var error: ProviderError?
    /// Rate limits the stream itself reported (Codex's `codex.rate_limits` event).
    package var rateLimits: RateLimitReading?
    /// Events or bodies that could not be read.
    package var parseFailures = 0
    /// True once the format's end marker arrived (`message_stop`, `[DONE]`, `response.completed`, a full body).
    package var complete = false

    package static let textCap = 256 * 1024

    package init() {}

    mutating func appendText(_ piece: String) {
        if text.utf8.count < Self.textCap { text += piece }
    }

    mutating func appendThinking(_ piece: String) {
        if thinking.utf8.count < Self.textCap { thinking += piece }
    }
}

/// Rough output size of streamed text before the provider's count arrives (about 4 characters a token).
func estimatedTokens(characters: Int) -> Int {
    (characters + 3) / 4
}

extension ResponseSummary {
    /// Shows output growing while a stream runs, for formats that report usage only at the end.
    mutating func estimateOutput(streamedCharacters: Int) {
        guard usage == nil || usage?.outputEstimated == true else { return }
        usage = Usage(outputTokens: estimatedTokens(characters: streamedCharacters), outputEstimated: true)
    }

    /// Drops a live estimate at the end: a response without reported usage is shown as such, not guessed.
    mutating func dropEstimatedUsage() {
        if usage?.outputEstimated == true { usage = nil }
    }
}
