import Foundation
import Proxy

/// One exchange described for a model: what was sent (system prompt, tools, messages) and what came back.
enum RequestDetail {
    static func render(_ exchange: Exchange) -> [String] {
        var lines = ["Request \(exchange.id)",
                     "\(exchange.method) \(exchange.target) → \(exchange.provider) · client \(exchange.client) · session \(exchange.sessionID ?? "-")",
                     "model: \(exchange.request.model ?? "?") → \(exchange.response.model ?? "?") · status \(exchange.status.map(String.init) ?? "none") \(exchange.outcome?.rawValue ?? "")"]
        if let error = exchange.errorMessage { lines.append("error: \(error)") }
        if let usage = exchange.usage {
            lines.append("tokens: input \(usage.inputTokens) (uncached \(usage.uncachedInputTokens), cache read \(usage.cacheReadTokens), cache write 5m \(usage.cacheWrite5mTokens), 1h \(usage.cacheWrite1hTokens)) · output \(usage.outputTokens)\(usage.reasoningTokens > 0 ? " (reasoning \(usage.reasoningTokens))" : "")")
        }
        if let cost = exchange.cost {
            lines.append(String(format: "cost: $%.6f (input $%.6f, cache read $%.6f, cache write $%.6f, output $%.6f) priced as %@",
                                cost.total, cost.input, cost.cacheRead, cost.cacheWrite5m + cost.cacheWrite1h, cost.output, cost.pricedAs))
        } else if exchange.usage != nil {
            lines.append("cost: unpriced (no price for this model)")
        }
        let t = exchange.timings
        lines.append("timing: first byte \(seconds(t.firstByte)) · total \(seconds(t.end)) · ccglass overhead \(t.overhead.map { String(format: "%.2f ms", $0 * 1000) } ?? "-")")

        guard let request = JSON.object(exchange.requestBody) else {
            lines.append("request body: \(exchange.requestBody.count) bytes, not JSON")
            return lines + response(exchange)
        }
        if let system = request["system"] ?? request["instructions"] {
            let blocks = (system as? String).map { [["type": "text", "text": $0] as JSONObject] } ?? ((system as? [Any])?.compactMap { $0 as? JSONObject } ?? [])
            lines.append("system prompt (\(blocks.count) block\(blocks.count == 1 ? "" : "s")):")
            for block in blocks {
                let text = block.string("text") ?? ""
                let cache = block.object("cache_control").map { " [cache_control \($0.string("type") ?? "")\($0.string("ttl").map { " \($0)" } ?? "")]" } ?? ""
                lines.append("  - \(text.count) chars\(cache): \"\(PromptText.preview(text, limit: 300))\"")
            }
        }
        if let tools = request.array("tools"), !tools.isEmpty {
            let names = tools.compactMap { ($0 as? JSONObject).flatMap { $0.string("name") ?? $0.object("function")?.string("name") } }
            lines.append("tools (\(tools.count)): \(names.joined(separator: ", "))")
        }
        let messages = (request["messages"] as? [Any]) ?? (request["input"] as? [Any]) ?? []
        lines.append("messages (\(messages.count)):")
        let shown = messages.suffix(20)
        if messages.count > shown.count { lines.append("  … \(messages.count - shown.count) earlier messages omitted") }
        for case let message as JSONObject in shown {
            let role = message.string("role") ?? message.string("type") ?? "?"
            lines.append("  [\(role)] " + describe(message["content"] ?? message["output"] ?? message["arguments"] ?? "").joined(separator: " | "))
        }
        return lines + response(exchange)
    }

    static func describe(_ content: Any) -> [String] {
        if let text = content as? String { return ["\"\(PromptText.preview(text, limit: 200))\""] }
        guard let blocks = content as? [Any] else { return [] }
        return blocks.compactMap { block in
            guard let block = block as? JSONObject else { return nil }
            switch block.string("type") {
            case "text", "input_text", "output_text":
                return "\"\(PromptText.preview(block.string("text") ?? "", limit: 200))\""
            case "tool_use":
                return "tool_use \(block.string("name") ?? "?") \(PromptText.preview(block["input"].flatMap { JSON.text($0) } ?? "", limit: 120))"
            case "tool_result":
                let result = (block["content"] as? String) ?? PromptText.preview(describe(block["content"] ?? "").joined(separator: " "), limit: 200)
                return "tool_result \(block.string("tool_use_id") ?? ""): \"\(PromptText.preview(result, limit: 160))\""
            case "thinking", "redacted_thinking":
                return "(thinking, \((block.string("thinking") ?? "").count) chars)"
            case "image":
                return "(image)"
            default:
                return "(\(block.string("type") ?? "block"))"
            }
        }
    }

    static func response(_ exchange: Exchange) -> [String] {
        var lines = ["response:"]
        if !exchange.response.thinking.isEmpty { lines.append("  thinking: \"\(PromptText.preview(exchange.response.thinking, limit: 500))\"") }
        if !exchange.response.text.isEmpty { lines.append("  text: \"\(PromptText.preview(exchange.response.text, limit: 2000))\"") }
        for call in exchange.response.toolCalls {
            lines.append("  tool call \(call.name) (\(call.id)): \(PromptText.preview(call.arguments, limit: 300))")
        }
        if !exchange.response.finishReasons.isEmpty { lines.append("  stop reason: \(exchange.response.finishReasons.joined(separator: ", "))") }
        return lines
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "-" }
}
