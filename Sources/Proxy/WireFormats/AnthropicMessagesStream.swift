import Foundation

/// Anthropic Messages (`/v1/messages`), streamed or not.
///
/// Stream: `message_start` (usage for the prompt) → content blocks → `message_delta` (stop reason and
/// usage) → `message_stop`; `ping` anywhere; `error` may arrive after a 200. `message_delta` usage is
/// cumulative: it replaces, never adds, and a field it omits keeps its `message_start` value.
package struct AnthropicMessagesStream: WireFormat {
    package private(set) var summary = ResponseSummary()
    /// The latest value of every usage field the provider sent.
    private var rawUsage: JSONObject = [:]
    private var blocks: [Int: Block] = [:]
    private var streamedCharacters = 0
    private var finalUsage = false

    private struct Block {
        var type: String
        var id = ""
        var name = ""
        var input = ""
    }

    package init() {}

    package mutating func ingest(_ event: SSEEvent) {
        if event.name == "ping" { return }
        guard let object = JSON.object(event.data) else {
            summary.parseFailures += 1
            return
        }
        switch object.string("type") ?? event.name ?? "" {
        case "message_start":
            guard let message = object.object("message") else { return summary.parseFailures += 1 }
            summary.id = message.string("id") ?? summary.id
            summary.model = message.string("model") ?? summary.model
            if let usage = message.object("usage") { merge(usage) }
        case "content_block_start":
            guard let index = object.int("index"), let block = object.object("content_block") else { return }
            var entry = Block(type: block.string("type") ?? "")
            entry.id = block.string("id") ?? ""
            entry.name = block.string("name") ?? ""
            if let text = block.string("text") { append(text: text, type: entry.type) }
            blocks[index] = entry
        case "content_block_delta":
            guard let index = object.int("index"), let delta = object.object("delta") else { return }
            switch delta.string("type") {
            case "text_delta": append(text: delta.string("text") ?? "", type: "text")
            case "thinking_delta": append(text: delta.string("thinking") ?? "", type: "thinking")
            case "input_json_delta":
                let piece = delta.string("partial_json") ?? ""
                blocks[index]?.input += piece
                countStreamed(piece)
            default: break
            }
        case "content_block_stop":
            guard let index = object.int("index"), let block = blocks.removeValue(forKey: index) else { return }
            if block.type == "tool_use" || block.type == "server_tool_use" {
                summary.toolCalls.append(ToolCall(id: block.id, name: block.name,
                                                  arguments: block.input.isEmpty ? "{}" : block.input))
            }
        case "message_delta":
            if let delta = object.object("delta") {
                if let reason = delta.string("stop_reason") { summary.finishReasons = [reason] }
                if let verdicts = AutoModeReview.verdicts(in: delta) { AutoModeReview.apply(verdicts, to: &summary.toolCalls) }
            }
            if let usage = object.object("usage") {
                finalUsage = true
                merge(usage)
            }
        case "message_stop":
            summary.complete = true
        case "error":
            summary.error = Self.error(in: object) ?? ProviderError(type: "error", message: event.dataText)
        default:
            break  // ping and event types newer than this parser
        }
    }

    package mutating func ingest(body: [UInt8]) {
        guard let object = JSON.object(body) else {
            summary.parseFailures += 1
            return
        }
        if let error = Self.error(in: object) {
            summary.error = error
            return
        }
        summary.id = object.string("id")
        summary.model = object.string("model")
        if let reason = object.string("stop_reason") { summary.finishReasons = [reason] }
        for case let block as JSONObject in object.array("content") ?? [] {
            switch block.string("type") {
            case "text": summary.appendText(block.string("text") ?? "")
            case "thinking": summary.appendThinking(block.string("thinking") ?? "")
            case "tool_use", "server_tool_use":
                let input = (block["input"]).flatMap { JSON.text($0) } ?? "{}"
                summary.toolCalls.append(ToolCall(id: block.string("id") ?? "", name: block.string("name") ?? "",
                                                  arguments: input))
            default: break
            }
        }
        if let verdicts = AutoModeReview.verdicts(in: object) { AutoModeReview.apply(verdicts, to: &summary.toolCalls) }
        finalUsage = true
        if let usage = object.object("usage") {
            merge(usage)
            summary.rawUsage = JSON.text(rawUsage)
        } else if let input = object.int("input_tokens") {
            // count_tokens answers with the prompt size alone: nothing is generated or billed.
            summary.usage = Usage(inputTokens: input)
        }
        summary.complete = true
    }

    /// Anthropic bills what it generated even when the stream breaks, so a truncated stream keeps its
    /// estimate (flagged) rather than reporting nothing.
    package mutating func finish() {
        if !rawUsage.isEmpty { summary.rawUsage = JSON.text(rawUsage) }
    }

    static func error(in object: JSONObject) -> ProviderError? {
        guard object.string("type") == "error" || object["error"] != nil, let error = object.object("error") else { return nil }
        return ProviderError(type: error.string("type") ?? "error", message: error.string("message") ?? "")
    }

    private mutating func append(text: String, type: String) {
        if type == "thinking" { summary.appendThinking(text) } else { summary.appendText(text) }
        countStreamed(text)
    }

    private mutating func countStreamed(_ piece: String) {
        streamedCharacters += piece.count
        guard !finalUsage, var usage = summary.usage else { return }
        let estimate = estimatedTokens(characters: streamedCharacters)
        if estimate > usage.outputTokens {
            usage.outputTokens = estimate
            usage.outputEstimated = true
            summary.usage = usage
        }
    }

    /// Replaces each reported field, keeps the rest, and renormalises.
    private mutating func merge(_ usage: JSONObject) {
        for (key, value) in usage where !(value is NSNull) {
            rawUsage[key] = value
        }
        summary.usage = Self.normalise(rawUsage, outputEstimated: false)
    }

    /// Anthropic's `input_tokens` excludes cache reads and writes; OpenTelemetry's includes them.
    static func normalise(_ raw: JSONObject, outputEstimated: Bool) -> Usage {
        let uncached = raw.int("input_tokens") ?? 0
        let read = raw.int("cache_read_input_tokens") ?? 0
        let writeTotal = raw.int("cache_creation_input_tokens")
        var write5m = 0
        var write1h = 0
        if let split = raw.object("cache_creation") {
            write5m = split.int("ephemeral_5m_input_tokens") ?? 0
            write1h = split.int("ephemeral_1h_input_tokens") ?? 0
            // A total larger than its breakdown: the rest went to the default 5-minute cache.
            if let total = writeTotal, total > write5m + write1h { write5m = total - write1h }
        } else {
            write5m = writeTotal ?? 0
        }
        let details = raw.object("output_tokens_details")
        return Usage(
            inputTokens: uncached + read + write5m + write1h,
            outputTokens: raw.int("output_tokens") ?? 0,
            cacheReadTokens: read,
            cacheWrite5mTokens: write5m,
            cacheWrite1hTokens: write1h,
            reasoningTokens: details?.int("thinking_tokens") ?? details?.int("reasoning_tokens") ?? 0,
            outputEstimated: outputEstimated)
    }
}

// MARK: Request

extension AnthropicMessagesStream {
    package static let bodyMembers: [String: BodyMember] = ["system": .system, "tools": .tools, "messages": .conversation]

    /// `system` (a string or text blocks), `tools`, `messages` of content blocks; `cache_control` marks
    /// the breakpoints. `/count_tokens` takes the same body.
    package static func prompt(request: JSONObject, path: Substring) -> Prompt {
        var prompt = Prompt()
        prompt.operation = path.containsIgnoringCase("/count_tokens") ? "count_tokens" : "chat"
        prompt.model = request.string("model")
        prompt.stream = request.bool("stream") ?? false
        prompt.maxTokens = request.int("max_tokens")
        prompt.temperature = request.double("temperature")
        prompt.topP = request.double("top_p")
        prompt.metadataUserID = request.object("metadata")?.string("user_id")
        prompt.reviewMode = AutoModeReview.permissionMode(request: request)
        if let text = request.string("system") {
            prompt.system = [PromptJSON.text(text)]
        } else {
            prompt.system = (request.array("system") ?? []).map(block)
        }
        prompt.tools = (request.array("tools") ?? []).enumerated().map { index, tool in
            let object = tool as? JSONObject ?? [:]
            return PromptTool(name: object.string("name") ?? object.string("type") ?? "#\(index + 1)",
                              cache: CacheBreakpoint.of(object), json: PromptJSON.canonical(tool))
        }
        prompt.messages = (request.array("messages") ?? []).map { item in
            let message = item as? JSONObject ?? [:]
            let role = PromptMessage.Role(rawValue: message.string("role") ?? "user") ?? .user
            if let text = message.string("content") { return PromptMessage(role: role, blocks: [PromptJSON.text(text)]) }
            return PromptMessage(role: role, blocks: (message.array("content") ?? []).map(block))
        }
        return prompt
    }

    static func block(_ value: Any) -> PromptBlock {
        let object = value as? JSONObject ?? [:]
        let type = object.string("type") ?? "block"
        let json = PromptJSON.canonical(value)
        let cache = CacheBreakpoint.of(object)
        switch type {
        case "text":
            return PromptBlock(kind: .text, type: type, text: object.string("text") ?? "", cache: cache, json: json)
        case "thinking", "redacted_thinking":
            return PromptBlock(kind: .thinking, type: type, text: object.string("thinking") ?? "", cache: cache, json: json)
        case "tool_use", "server_tool_use":
            return PromptBlock(kind: .toolUse, type: type, text: object["input"].flatMap { JSON.text($0) } ?? "{}",
                               toolID: object.string("id"), toolName: object.string("name"), cache: cache, json: json)
        case "tool_result":
            return PromptBlock(kind: .toolResult, type: type, text: PromptJSON.resultText(object["content"]),
                               toolID: object.string("tool_use_id"), cache: cache, json: json)
        case "image", "document":
            return PromptBlock(kind: .image, type: type, cache: cache, json: json)
        default:
            return PromptBlock(kind: .other, type: type, cache: cache, json: json)
        }
    }
}
