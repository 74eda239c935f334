import Foundation
import Proxy

/// Prompt and completion content for spans, in the GenAI conventions' message shape
/// (`{"role", "parts": [{"type": "text", "content"}, {"type": "tool_call", …}]}`). Opt-in only.
enum SpanContent {
    static func attributes(_ exchange: Exchange) -> [OTLP.KeyValue] {
        var attributes: [OTLP.KeyValue] = []
        if let request = JSON.object(exchange.requestBody) {
            let messages = (request["messages"] as? [Any]) ?? (request["input"] as? [Any]) ?? []
            let converted = messages.compactMap { ($0 as? JSONObject).map(message) }
            if let text = JSON.text(converted) { attributes.append(OTLP.KeyValue(GenAI.inputMessages, .string(text))) }
            if let system = request["system"] ?? request["instructions"] {
                let parts = (system as? String).map { [["type": "text", "content": $0]] }
                    ?? PromptTextParts.parts(system)
                if let text = JSON.text(parts) { attributes.append(OTLP.KeyValue(GenAI.systemInstructions, .string(text))) }
            }
            if let tools = request["tools"], let text = JSON.text(tools) {
                attributes.append(OTLP.KeyValue(GenAI.toolDefinitions, .string(text)))
            }
        }
        var parts: [[String: Any]] = []
        if !exchange.response.text.isEmpty { parts.append(["type": "text", "content": exchange.response.text]) }
        for call in exchange.response.toolCalls {
            parts.append(["type": "tool_call", "id": call.id, "name": call.name, "arguments": call.arguments])
        }
        let output: [[String: Any]] = [["role": "assistant", "parts": parts, "finish_reason": exchange.response.finishReasons.first ?? ""]]
        if let text = JSON.text(output) { attributes.append(OTLP.KeyValue(GenAI.outputMessages, .string(text))) }
        return attributes
    }

    static func message(_ message: JSONObject) -> [String: Any] {
        ["role": message.string("role") ?? message.string("type") ?? "user", "parts": PromptTextParts.parts(message["content"] ?? message["output"] ?? "")]
    }
}

/// Content blocks of Anthropic and OpenAI messages as GenAI message parts.
enum PromptTextParts {
    static func parts(_ content: Any) -> [[String: Any]] {
        if let text = content as? String { return [["type": "text", "content": text]] }
        guard let blocks = content as? [Any] else { return [] }
        return blocks.compactMap { block -> [String: Any]? in
            guard let block = block as? JSONObject else { return nil }
            switch block.string("type") {
            case "text", "input_text", "output_text":
                return ["type": "text", "content": block.string("text") ?? ""]
            case "tool_use":
                return ["type": "tool_call", "id": block.string("id") ?? "", "name": block.string("name") ?? "",
                        "arguments": block["input"].flatMap { JSON.text($0) } ?? "{}"]
            case "tool_result":
                return ["type": "tool_call_response", "id": block.string("tool_use_id") ?? "",
                        "response": (block["content"] as? String) ?? block["content"].flatMap { JSON.text($0) } ?? ""]
            case "thinking":
                return ["type": "reasoning", "content": block.string("thinking") ?? ""]
            default:
                return ["type": block.string("type") ?? "unknown"]
            }
        }
    }
}
