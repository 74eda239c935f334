import Foundation
import Proxy

/// Prompt and completion content for spans, in the GenAI conventions' message shape
/// (`{"role", "parts": [{"type": "text", "content"}, {"type": "tool_call", …}]}`). Opt-in only.
enum SpanContent {
    static func attributes(_ exchange: Exchange) -> [OTLP.KeyValue] {
        var attributes: [OTLP.KeyValue] = []
        if let prompt = exchange.prompt {
            let messages = prompt.messages.map { ["role": $0.role.rawValue, "parts": $0.blocks.map(part)] as [String: Any] }
            if let text = JSON.text(messages) { attributes.append(OTLP.KeyValue(GenAI.inputMessages, .string(text))) }
            if !prompt.system.isEmpty, let text = JSON.text(prompt.system.map(part)) {
                attributes.append(OTLP.KeyValue(GenAI.systemInstructions, .string(text)))
            }
            if !prompt.tools.isEmpty {
                let tools = "[" + prompt.tools.map(\.json).joined(separator: ",") + "]"
                attributes.append(OTLP.KeyValue(GenAI.toolDefinitions, .string(tools)))
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

    /// A block as a GenAI message part.
    static func part(_ block: PromptBlock) -> [String: Any] {
        switch block.kind {
        case .text: ["type": "text", "content": block.text]
        case .thinking: ["type": "reasoning", "content": block.text]
        case .toolUse: ["type": "tool_call", "id": block.toolID ?? "", "name": block.toolName ?? "", "arguments": block.text]
        case .toolResult: ["type": "tool_call_response", "id": block.toolID ?? "", "response": block.text]
        case .image, .other: ["type": block.type]
        }
    }
}
