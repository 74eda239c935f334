import Foundation

/// OpenAI Responses (`/v1/responses`), streamed or not.
///
/// Stream: typed events with a `sequence_number`, no `[DONE]`; it ends with `response.completed`,
/// `response.incomplete` or `response.failed`, each carrying the whole response object and its usage.
package struct OpenAIResponsesStream: WireFormat {
    package private(set) var summary = ResponseSummary()
    private var streamedCharacters = 0

    package init() {}

    package mutating func ingest(_ event: SSEEvent) {
        guard let object = JSON.object(event.data) else {
            summary.parseFailures += 1
            return
        }
        switch object.string("type") ?? event.name ?? "" {
        case "response.created", "response.in_progress":
            if let response = object.object("response") { readHeader(response) }
        case "response.output_text.delta", "response.refusal.delta":
            let piece = object.string("delta") ?? ""
            summary.appendText(piece)
            streamedCharacters += piece.count
            summary.estimateOutput(streamedCharacters: streamedCharacters)
        case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
            let piece = object.string("delta") ?? ""
            summary.appendThinking(piece)
            streamedCharacters += piece.count
            summary.estimateOutput(streamedCharacters: streamedCharacters)
        case "response.function_call_arguments.delta":
            streamedCharacters += (object.string("delta") ?? "").count
            summary.estimateOutput(streamedCharacters: streamedCharacters)
        case "response.output_item.done":
            if let item = object.object("item"), let call = Self.toolCall(item) { summary.toolCalls.append(call) }
        case "response.completed", "response.incomplete", "response.failed":
            if let response = object.object("response") { readFinal(response) }
            summary.complete = true
        case "error":
            summary.error = ProviderError(type: object.string("code") ?? "error", message: object.string("message") ?? "")
        case "codex.rate_limits":
            // Codex over WebSocket: the plan's windows arrive in the stream, not in headers.
            summary.rateLimits = RateLimitReading(codexEvent: object, at: Date())
        default:
            break
        }
    }

    package mutating func ingest(body: [UInt8]) {
        guard let object = JSON.object(body) else {
            summary.parseFailures += 1
            return
        }
        if let error = object.object("error"), object["output"] == nil {
            summary.error = ProviderError(type: error.string("type") ?? error.string("code") ?? "error",
                                          message: error.string("message") ?? "")
            return
        }
        readHeader(object)
        for case let item as JSONObject in object.array("output") ?? [] {
            if let call = Self.toolCall(item) { summary.toolCalls.append(call) }
            if item.string("type") == "message" {
                for case let part as JSONObject in item.array("content") ?? [] {
                    if let text = part.string("text") { summary.appendText(text) }
                }
            }
        }
        readFinal(object)
        summary.complete = true
    }

    package mutating func finish() {
        summary.dropEstimatedUsage()
    }

    private mutating func readHeader(_ response: JSONObject) {
        summary.id = response.string("id") ?? summary.id
        summary.model = response.string("model") ?? summary.model
    }

    private mutating func readFinal(_ response: JSONObject) {
        readHeader(response)
        let status = response.string("status") ?? "completed"
        if let reason = response.object("incomplete_details")?.string("reason") {
            summary.finishReasons = [reason]
        } else {
            summary.finishReasons = [status]
        }
        if status == "failed", let error = response.object("error") {
            summary.error = ProviderError(type: error.string("code") ?? "error", message: error.string("message") ?? "")
        }
        if let usage = response.object("usage") {
            summary.rawUsage = JSON.text(usage)
            summary.usage = Self.normalise(usage)
        }
    }

    static func toolCall(_ item: JSONObject) -> ToolCall? {
        guard item.string("type") == "function_call" || item.string("type") == "custom_tool_call" else { return nil }
        return ToolCall(id: item.string("call_id") ?? item.string("id") ?? "", name: item.string("name") ?? "",
                        arguments: item.string("arguments") ?? item.string("input") ?? "")
    }

    /// `input_tokens` includes `input_tokens_details.cached_tokens`; reasoning is inside `output_tokens`.
    static func normalise(_ raw: JSONObject) -> Usage {
        Usage(
            inputTokens: raw.int("input_tokens") ?? 0,
            outputTokens: raw.int("output_tokens") ?? 0,
            cacheReadTokens: raw.object("input_tokens_details")?.int("cached_tokens") ?? 0,
            cacheWrite5mTokens: raw.object("input_tokens_details")?.int("cache_write_tokens") ?? 0,
            reasoningTokens: raw.object("output_tokens_details")?.int("reasoning_tokens") ?? 0)
    }
}

// MARK: Request

extension OpenAIResponsesStream {
    package static let bodyMembers: [String: BodyMember] = ["instructions": .system, "tools": .tools, "input": .conversation]

    /// `instructions` (the system prompt), `input` (a string, or items: messages with content parts,
    /// `function_call`, `function_call_output`, `reasoning`, …), `tools`, and `previous_response_id`
    /// when the earlier conversation is kept upstream.
    package static func prompt(request: JSONObject, path: Substring) -> Prompt {
        var prompt = Prompt()
        prompt.model = request.string("model")
        prompt.stream = request.bool("stream") ?? false
        prompt.maxTokens = request.int("max_output_tokens")
        prompt.temperature = request.double("temperature")
        prompt.topP = request.double("top_p")
        prompt.metadataUserID = request.string("prompt_cache_key")
        prompt.previousResponseID = request.string("previous_response_id")
        if let metadata = request.object("client_metadata") {
            let turn = CodexTurnMetadata(metadata.string(CodexTurnMetadata.header))
            prompt.turnID = turn?.turnID ?? metadata.string("turn_id").flatMap { $0.isEmpty ? nil : $0 }
            prompt.requestKind = turn?.requestKind
        }
        // A WebSocket `response.create` that only warms the connection up.
        if request.bool("generate") == false { prompt.requestKind = prompt.requestKind ?? "prewarm" }
        if let instructions = request.string("instructions") { prompt.system = [PromptJSON.text(instructions)] }
        var tools = request.array("tools") ?? []
        if let text = request.string("input") {
            prompt.messages = [PromptMessage(role: .user, blocks: [PromptJSON.text(text, type: "input_text")])]
        } else {
            var items = request.array("input") ?? []
            // Codex (0.147.0) sends its tools as an input item, `additional_tools`: they are tools.
            items.removeAll { item in
                guard let object = item as? JSONObject, object.string("type") == "additional_tools" else { return false }
                tools += object.array("tools") ?? []
                return true
            }
            prompt.messages = items.map(message)
        }
        // Codex groups its tools in namespaces (`functions`, `collaboration`): each inner tool is a tool.
        tools = tools.flatMap { tool -> [Any] in
            guard let object = tool as? JSONObject, object.string("type") == "namespace", let inner = object.array("tools") else { return [tool] }
            return inner
        }
        prompt.tools = tools.enumerated().map { index, tool in
            let object = tool as? JSONObject ?? [:]
            return PromptTool(name: object.string("name") ?? object.string("type") ?? "#\(index + 1)",
                              cache: nil, json: PromptJSON.canonical(tool))
        }
        return prompt
    }

    /// One input item as a message: a tool call is the assistant's, its output the tool's.
    /// The output items of the response, from its events as captured (a WebSocket's one per line, or
    /// SSE `data:` lines): exactly the items a client continuing it leaves out of its next input.
    package static func reply(response: Data, summary: ResponseSummary) -> [PromptMessage] {
        var items: [Any] = []
        var completed: [Any]?
        for line in response.split(separator: UInt8(ascii: "\n")) {
            let json = line.starts(with: Array("data: ".utf8)) ? line.dropFirst(6) : line
            guard json.first == UInt8(ascii: "{"), let event = JSON.object(json) else { continue }
            switch event.string("type") {
            case "response.output_item.done": if let item = event["item"] { items.append(item) }
            case "response.completed", "response.incomplete": completed = event.object("response")?.array("output")
            default: break
            }
        }
        if items.isEmpty, let completed { items = completed }
        if items.isEmpty, let body = JSON.object(response), let output = body.array("output") { items = output }
        guard !items.isEmpty || summary.text.isEmpty && summary.toolCalls.isEmpty else {
            return summary.reply  // the capture was cut short: what the summary kept
        }
        return items.map(message)
    }

    static func message(_ value: Any) -> PromptMessage {
        let item = value as? JSONObject ?? [:]
        let type = item.string("type") ?? "message"
        let json = PromptJSON.canonical(value)
        switch type {
        case "message":
            let role = PromptMessage.Role(rawValue: item.string("role") ?? "user") ?? .user
            if let text = item.string("content") { return PromptMessage(role: role, blocks: [PromptJSON.text(text, type: "input_text")]) }
            return PromptMessage(role: role, blocks: (item.array("content") ?? []).map(part))
        case "function_call", "custom_tool_call", "local_shell_call", "web_search_call", "file_search_call", "computer_call":
            let arguments = item.string("arguments") ?? item.string("input") ?? item["action"].flatMap { JSON.text($0) } ?? ""
            return PromptMessage(role: .assistant, blocks: [PromptBlock(
                kind: .toolUse, type: type, text: arguments, toolID: item.string("call_id") ?? item.string("id"),
                toolName: item.string("name") ?? String(type.dropLast("_call".count)), json: json)])
        case "function_call_output", "custom_tool_call_output", "local_shell_call_output", "computer_call_output":
            return PromptMessage(role: .tool, blocks: [PromptBlock(
                kind: .toolResult, type: type, text: PromptJSON.resultText(item["output"]), toolID: item.string("call_id"), json: json)])
        case "reasoning":
            let summary = (item.array("summary") ?? []).compactMap { ($0 as? JSONObject)?.string("text") }.joined(separator: "\n")
            return PromptMessage(role: .assistant, blocks: [PromptBlock(kind: .thinking, type: type, text: summary, json: json)])
        default:
            return PromptMessage(role: .user, blocks: [PromptBlock(kind: .other, type: type, json: json)])
        }
    }

    static func part(_ value: Any) -> PromptBlock {
        let object = value as? JSONObject ?? [:]
        let type = object.string("type") ?? "part"
        let json = PromptJSON.canonical(value)
        switch type {
        case "input_text", "output_text", "text", "summary_text":
            return PromptBlock(kind: .text, type: type, text: object.string("text") ?? "", json: json)
        case "refusal": return PromptBlock(kind: .text, type: type, text: object.string("refusal") ?? "", json: json)
        case "input_image", "input_file", "input_audio": return PromptBlock(kind: .image, type: type, json: json)
        default: return PromptBlock(kind: .other, type: type, json: json)
        }
    }
}
