import Foundation

/// Google's Gemini API (`models/{model}:generateContent`, `:streamGenerateContent`, `:countTokens`),
/// and Code Assist's wrapping of it (`v1internal:…`: the request under `request`, each answer under
/// `response`), the endpoint the Gemini CLI uses when signed in with a Google account.
///
/// Stream with `?alt=sse`: one `GenerateContentResponse` per `data:` line (frames end in `\r\n\r\n`).
/// Without it, the same objects as one JSON array. `usageMetadata` is cumulative: the last one counts.
/// A candidate's `finishReason` ends the answer; a stream that stops before one is cut off.
package struct GeminiStream: WireFormat {
    package private(set) var summary = ResponseSummary()
    private var streamedCharacters = 0

    package init() {}

    package mutating func ingest(_ event: SSEEvent) {
        guard let chunk = JSON.object(event.data) else {
            summary.parseFailures += 1
            return
        }
        read(chunk)
    }

    /// A whole answer, Google's error object, or a stream's JSON array read at its end.
    package mutating func ingest(body: [UInt8]) {
        let value = body.withUnsafeBytes { JSONParser.parse($0) }
        switch value {
        case let object as JSONObject: read(object)
        case let chunks as [Any]: for case let chunk as JSONObject in chunks { read(chunk) }
        default: summary.parseFailures += 1
        }
    }

    /// Gemini bills what it generated only through `usageMetadata`: an estimate nobody confirmed goes.
    package mutating func finish() {
        summary.dropEstimatedUsage()
    }

    private mutating func read(_ chunk: JSONObject) {
        if let error = chunk.object("error") {
            summary.error = ProviderError(type: error.string("status") ?? error.int("code").map(String.init) ?? "error",
                                          message: error.string("message") ?? "")
            return
        }
        let response = chunk.object("response") ?? chunk  // Code Assist wraps each answer
        if let total = response.int("totalTokens"), response["candidates"] == nil {
            // countTokens answers with the prompt size alone: nothing is generated or billed.
            summary.usage = Usage(inputTokens: total)
            summary.complete = true
            return
        }
        summary.id = response.string("responseId") ?? summary.id
        summary.model = response.string("modelVersion") ?? summary.model
        for case let candidate as JSONObject in response.array("candidates") ?? [] {
            for case let part as JSONObject in candidate.object("content")?.array("parts") ?? [] {
                if let text = part.string("text") {
                    if part.bool("thought") == true { summary.appendThinking(text) } else { summary.appendText(text) }
                    streamedCharacters += text.count
                }
                if let call = part.object("functionCall") {
                    // Without an id a call is answered by its function's name.
                    summary.toolCalls.append(ToolCall(id: call.string("id") ?? call.string("name") ?? "", name: call.string("name") ?? "",
                                                      arguments: call["args"].flatMap { JSON.text($0) } ?? "{}"))
                }
            }
            if let reason = candidate.string("finishReason") {
                summary.finishReasons = [reason]
                summary.complete = true
            }
        }
        if let blocked = response.object("promptFeedback")?.string("blockReason") {
            summary.error = ProviderError(type: "prompt_blocked", message: blocked)
            summary.complete = true
        }
        if let usage = response.object("usageMetadata") {
            summary.rawUsage = JSON.text(usage)
            summary.usage = Self.normalise(usage)
        } else if streamedCharacters > 0 {
            summary.estimateOutput(streamedCharacters: streamedCharacters)
        }
    }

    /// `promptTokenCount` includes `cachedContentTokenCount`; `toolUsePromptTokenCount` is input too;
    /// thoughts are billed as output but not counted in `candidatesTokenCount`.
    static func normalise(_ raw: JSONObject) -> Usage {
        let thoughts = raw.int("thoughtsTokenCount") ?? 0
        return Usage(
            inputTokens: (raw.int("promptTokenCount") ?? 0) + (raw.int("toolUsePromptTokenCount") ?? 0),
            outputTokens: (raw.int("candidatesTokenCount") ?? 0) + thoughts,
            cacheReadTokens: raw.int("cachedContentTokenCount") ?? 0,
            reasoningTokens: thoughts)
    }
}

// MARK: Request

extension GeminiStream {
    package static let bodyMembers: [String: BodyMember] = [
        "systemInstruction": BodyMember(kind: "system", elements: false, chained: false), "tools": .tools, "contents": .conversation,
    ]

    /// `contents` (turns of `parts`: text, `thought`, `functionCall`, `functionResponse`, `inlineData`,
    /// …), `systemInstruction`, `tools` with `functionDeclarations`, `generationConfig`. The model is in
    /// the path (`models/gemini-2.5-pro:generateContent`), or Code Assist's body. Clients spell members
    /// both ways (the REST docs camelCase, the Python SDK some snake_case): both are read.
    package static func prompt(request body: JSONObject, path: Substring) -> Prompt {
        let request = body.object("request") ?? body
        var prompt = Prompt()
        prompt.operation = path.contains(":countTokens") ? "count_tokens" : "chat"
        prompt.model = model(path: path) ?? body.string("model")
        prompt.stream = path.contains(":streamGenerateContent")
        // Code Assist names the CLI's session inside the request and the typed prompt beside it.
        prompt.metadataUserID = request.string("session_id").flatMap { $0.isEmpty ? nil : $0 }
        prompt.turnID = body.string("user_prompt_id").flatMap { $0.isEmpty ? nil : $0 }
        let config = member(request, "generationConfig") as? JSONObject ?? [:]
        prompt.maxTokens = config.int(spelled("maxOutputTokens", in: config))
        prompt.temperature = config.double("temperature")
        prompt.topP = config.double(spelled("topP", in: config))
        let system = member(request, "systemInstruction")
        if let text = system as? String {
            prompt.system = [PromptJSON.text(text)]
        } else {
            prompt.system = ((system as? JSONObject)?.array("parts") ?? []).map(part)
        }
        prompt.tools = (request.array("tools") ?? []).flatMap { tool -> [PromptTool] in
            let object = tool as? JSONObject ?? [:]
            if let declarations = member(object, "functionDeclarations") as? [Any] {
                return declarations.map { PromptTool(name: ($0 as? JSONObject)?.string("name") ?? "function", cache: nil, json: PromptJSON.canonical($0)) }
            }
            // A built-in tool (`googleSearch`, `codeExecution`, …) is named by its one member.
            return [PromptTool(name: object.keys.sorted().first ?? "tool", cache: nil, json: PromptJSON.canonical(tool))]
        }
        prompt.messages = (request.array("contents") ?? []).map { item in
            let turn = item as? JSONObject ?? [:]
            let parts = turn.array("parts") ?? []
            let role: PromptMessage.Role = switch turn.string("role") {
            case "model": .assistant
            case "function", "tool": .tool
            default: parts.contains { member($0 as? JSONObject ?? [:], "functionResponse") != nil } ? .tool : .user
            }
            return PromptMessage(role: role, blocks: parts.map(part))
        }
        return prompt
    }

    /// `…/models/gemini-2.5-pro:streamGenerateContent?alt=sse` → `gemini-2.5-pro`.
    static func model(path: Substring) -> String? {
        guard let start = path.range(of: "models/")?.upperBound else { return nil }
        let name = path[start...].prefix { $0 != ":" && $0 != "?" && $0 != "/" }
        return name.isEmpty ? nil : String(name)
    }

    /// A member's name as `object` spells it: camelCase, else snake_case.
    static func spelled(_ camel: String, in object: JSONObject) -> String {
        guard object[camel] == nil else { return camel }
        var snake = ""
        for character in camel {
            if character.isUppercase { snake += "_" + character.lowercased() } else { snake.append(character) }
        }
        return snake
    }

    static func member(_ object: JSONObject, _ camel: String) -> Any? {
        object[spelled(camel, in: object)]
    }

    static func part(_ value: Any) -> PromptBlock {
        let part = value as? JSONObject ?? [:]
        let json = PromptJSON.canonical(value)
        if let text = part.string("text") {
            return part.bool("thought") == true
                ? PromptBlock(kind: .thinking, type: "thought", text: text, json: json)
                : PromptBlock(kind: .text, type: "text", text: text, json: json)
        }
        if let call = member(part, "functionCall") as? JSONObject {
            return PromptBlock(kind: .toolUse, type: "functionCall", text: call["args"].flatMap { JSON.text($0) } ?? "{}",
                               toolID: call.string("id") ?? call.string("name"), toolName: call.string("name"), json: json)
        }
        if let result = member(part, "functionResponse") as? JSONObject {
            // Gemini links a result to its call by the function's name (and an id when the call had one).
            return PromptBlock(kind: .toolResult, type: "functionResponse", text: result["response"].flatMap { JSON.text($0) } ?? "",
                               toolID: result.string("id") ?? result.string("name"), toolName: result.string("name"), json: json)
        }
        for media in ["inlineData", "fileData"] where member(part, media) != nil {
            return PromptBlock(kind: .image, type: media, json: json)
        }
        return PromptBlock(kind: .other, type: part.keys.sorted().first ?? "part", json: json)
    }
}
