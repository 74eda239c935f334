import Foundation

/// OpenAI Chat Completions (`/v1/chat/completions`) and the many APIs that copy it (DeepSeek, Kimi,
/// OpenRouter, Ollama), streamed or not.
///
/// Stream: `chat.completion.chunk` objects on `data:` lines, then `data: [DONE]`. Usage comes only when
/// the client asked for `stream_options.include_usage`, in a final chunk with empty `choices`.
package struct OpenAIChatCompletionsStream: WireFormat {
    package private(set) var summary = ResponseSummary()
    private var calls: [Int: ToolCall] = [:]
    private var streamedCharacters = 0

    package init() {}

    package mutating func ingest(_ event: SSEEvent) {
        if event.data.elementsEqual("[DONE]".utf8) {
            flushToolCalls()
            summary.complete = true
            return
        }
        guard let chunk = JSON.object(event.data) else {
            summary.parseFailures += 1
            return
        }
        if let error = chunk.object("error") {
            summary.error = Self.error(error)
            return
        }
        summary.id = chunk.string("id") ?? summary.id
        summary.model = chunk.string("model") ?? summary.model
        for case let choice as JSONObject in chunk.array("choices") ?? [] {
            if let delta = choice.object("delta") {
                if let text = delta.string("content") { summary.appendText(text); streamedCharacters += text.count }
                if let thinking = delta.string("reasoning_content") ?? delta.string("reasoning") {
                    summary.appendThinking(thinking)
                    streamedCharacters += thinking.count
                }
                for case let call as JSONObject in delta.array("tool_calls") ?? [] {
                    let index = call.int("index") ?? 0
                    var entry = calls[index] ?? ToolCall(id: "", name: "", arguments: "")
                    if let id = call.string("id") { entry.id = id }
                    let function = call.object("function")
                    if let name = function?.string("name") { entry.name += name }
                    if let arguments = function?.string("arguments") {
                        entry.arguments += arguments
                        streamedCharacters += arguments.count
                    }
                    calls[index] = entry
                }
            }
            if let reason = choice.string("finish_reason") { summary.finishReasons.append(reason) }
        }
        if let usage = chunk.object("usage") {
            summary.rawUsage = JSON.text(usage)
            summary.usage = Self.normalise(usage)
        } else if streamedCharacters > 0 {
            summary.estimateOutput(streamedCharacters: streamedCharacters)
        }
    }

    package mutating func finish() {
        flushToolCalls()
        summary.dropEstimatedUsage()
    }

    package mutating func ingest(body: [UInt8]) {
        guard let object = JSON.object(body) else {
            summary.parseFailures += 1
            return
        }
        if let error = object.object("error") {
            summary.error = Self.error(error)
            return
        }
        summary.id = object.string("id")
        summary.model = object.string("model")
        for case let choice as JSONObject in object.array("choices") ?? [] {
            if let reason = choice.string("finish_reason") { summary.finishReasons.append(reason) }
            guard let message = choice.object("message") else { continue }
            if let text = message.string("content") { summary.appendText(text) }
            if let thinking = message.string("reasoning_content") ?? message.string("reasoning") {
                summary.appendThinking(thinking)
            }
            for case let call as JSONObject in message.array("tool_calls") ?? [] {
                let function = call.object("function")
                summary.toolCalls.append(ToolCall(id: call.string("id") ?? "", name: function?.string("name") ?? "",
                                                  arguments: function?.string("arguments") ?? ""))
            }
        }
        if let usage = object.object("usage") {
            summary.rawUsage = JSON.text(usage)
            summary.usage = Self.normalise(usage)
        }
        summary.complete = true
    }

    private mutating func flushToolCalls() {
        summary.toolCalls += calls.sorted { $0.key < $1.key }.map(\.value)
        calls.removeAll()
    }

    static func error(_ error: JSONObject) -> ProviderError {
        let code = error.string("code") ?? (error.int("code")).map(String.init)
        return ProviderError(type: error.string("type") ?? code ?? "error", message: error.string("message") ?? "")
    }

    /// `prompt_tokens` already includes cached tokens, as OpenTelemetry wants. Cache hits are reported as
    /// `prompt_tokens_details.cached_tokens` (OpenAI), `prompt_cache_hit_tokens` (DeepSeek) or
    /// `cached_tokens` (Moonshot); writes, where billed, as `prompt_tokens_details.cache_write_tokens`.
    static func normalise(_ raw: JSONObject) -> Usage {
        let prompt = raw.object("prompt_tokens_details")
        let completion = raw.object("completion_tokens_details")
        let read = prompt?.int("cached_tokens") ?? raw.int("prompt_cache_hit_tokens") ?? raw.int("cached_tokens") ?? 0
        let input = raw.int("prompt_tokens")
            ?? ((raw.int("prompt_cache_hit_tokens") ?? 0) + (raw.int("prompt_cache_miss_tokens") ?? 0))
        return Usage(
            inputTokens: input,
            outputTokens: raw.int("completion_tokens") ?? 0,
            cacheReadTokens: read,
            cacheWrite5mTokens: prompt?.int("cache_write_tokens") ?? prompt?.int("cache_creation_tokens") ?? 0,
            reasoningTokens: completion?.int("reasoning_tokens") ?? 0)
    }
}

// MARK: Request

extension OpenAIChatCompletionsStream {
    package static let bodyMembers: [String: BodyMember] = ["tools": .tools, "messages": .conversation]

    /// `messages` with roles `system`/`developer`/`user`/`assistant`/`tool`, content a string or parts;
    /// the assistant's `tool_calls` and DeepSeek's `reasoning_content`; `tools` as `{type, function}`.
    package static func prompt(request: JSONObject, path: Substring) -> Prompt {
        var prompt = Prompt()
        prompt.model = request.string("model")
        prompt.stream = request.bool("stream") ?? false
        prompt.maxTokens = request.int("max_completion_tokens") ?? request.int("max_tokens")
        prompt.temperature = request.double("temperature")
        prompt.topP = request.double("top_p")
        prompt.tools = (request.array("tools") ?? []).enumerated().map { index, tool in
            let object = tool as? JSONObject ?? [:]
            return PromptTool(name: object.object("function")?.string("name") ?? object.string("type") ?? "#\(index + 1)",
                              cache: nil, json: PromptJSON.canonical(tool))
        }
        prompt.messages = (request.array("messages") ?? []).map { item in
            let message = item as? JSONObject ?? [:]
            let role = PromptMessage.Role(rawValue: message.string("role") ?? "user") ?? .user
            var blocks: [PromptBlock] = []
            if let reasoning = message.string("reasoning_content") {
                blocks.append(PromptBlock(kind: .thinking, type: "reasoning_content", text: reasoning, json: JSON.text(reasoning) ?? ""))
            }
            if role == .tool {
                blocks.append(PromptBlock(kind: .toolResult, type: "tool", text: PromptJSON.resultText(message["content"]),
                                          toolID: message.string("tool_call_id"), json: PromptJSON.canonical(message["content"] ?? "")))
            } else if let text = message.string("content") {
                blocks.append(PromptJSON.text(text))
            } else {
                blocks += (message.array("content") ?? []).map(part)
            }
            for call in message.array("tool_calls") ?? [] {
                let object = call as? JSONObject ?? [:]
                let function = object.object("function")
                blocks.append(PromptBlock(kind: .toolUse, type: "tool_call", text: function?.string("arguments") ?? "",
                                          toolID: object.string("id"), toolName: function?.string("name"), json: PromptJSON.canonical(call)))
            }
            return PromptMessage(role: role, blocks: blocks)
        }
        return prompt
    }

    static func part(_ value: Any) -> PromptBlock {
        let object = value as? JSONObject ?? [:]
        let type = object.string("type") ?? "part"
        let json = PromptJSON.canonical(value)
        switch type {
        case "text": return PromptBlock(kind: .text, type: type, text: object.string("text") ?? "", cache: CacheBreakpoint.of(object), json: json)
        case "image_url", "input_audio", "file": return PromptBlock(kind: .image, type: type, json: json)
        default: return PromptBlock(kind: .other, type: type, json: json)
        }
    }
}
