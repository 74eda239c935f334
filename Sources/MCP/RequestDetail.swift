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
                                cost.total, cost.input, cost.cacheRead, cost.cacheWrite5m + cost.cacheWrite1h, cost.output, cost.pricedAs)
                + (exchange.billing?.apiEquivalent == true ? " · API-equivalent: signed in to a plan, not billed per token" : ""))
        } else if exchange.usage != nil {
            lines.append("cost: unpriced (no price for this model)")
        }
        let t = exchange.timings
        lines.append("timing: first byte \(seconds(t.firstByte)) · total \(seconds(t.end)) · ccglass overhead \(t.overhead.map { String(format: "%.2f ms", $0 * 1000) } ?? "-")")

        guard let prompt = exchange.conversation else {
            lines.append("request body: \(exchange.requestBody.count) bytes, not JSON")
            return lines + response(exchange)
        }
        if !prompt.system.isEmpty {
            lines.append("system prompt (\(prompt.system.count) block\(prompt.system.count == 1 ? "" : "s")):")
            for block in prompt.system {
                let cache = block.cache.map { " [cache_control ephemeral\($0.ttl.map { " \($0)" } ?? "")]" } ?? ""
                lines.append("  - \(block.text.count) chars\(cache): \"\(PromptText.preview(block.text, limit: 300))\"")
            }
        }
        if !prompt.tools.isEmpty {
            lines.append("tools (\(prompt.tools.count))\(prompt.earlierTools == true ? ", sent earlier on the connection" : ""): "
                         + prompt.tools.map(\.name).joined(separator: ", "))
        }
        if let earlier = prompt.earlierMessages {
            lines.append("continues response \(prompt.previousResponseID ?? "?"): the first \(earlier) messages were sent earlier on this WebSocket, rebuilt here")
        } else if let previous = prompt.previousResponseID {
            lines.append("continues response \(previous) (earlier turns are kept upstream)")
        }
        lines.append("messages (\(prompt.messages.count)):")
        let shown = prompt.messages.indices.suffix(20)
        if prompt.messages.count > shown.count { lines.append("  … \(prompt.messages.count - shown.count) earlier messages omitted") }
        for index in shown {
            let message = prompt.messages[index]
            let sent = index >= (prompt.earlierMessages ?? 0) ? "" : " (earlier)"
            lines.append("  [\(message.role.rawValue)]\(sent) " + message.blocks.map(describe).joined(separator: " | "))
        }
        return lines + response(exchange)
    }

    static func describe(_ block: PromptBlock) -> String {
        switch block.kind {
        case .text: "\"\(PromptText.preview(block.text, limit: 200))\""
        case .toolUse: "tool_use \(block.toolName ?? "?") \(PromptText.preview(block.text, limit: 120))"
        case .toolResult: "tool_result \(block.toolID ?? ""): \"\(PromptText.preview(block.text, limit: 160))\""
        case .thinking: "(thinking, \(block.text.count) chars)"
        case .image, .other: "(\(block.type))"
        }
    }

    static func response(_ exchange: Exchange) -> [String] {
        var lines = ["response:"]
        if !exchange.response.thinking.isEmpty { lines.append("  thinking: \"\(PromptText.preview(exchange.response.thinking, limit: 500))\"") }
        if !exchange.response.text.isEmpty { lines.append("  text: \"\(PromptText.preview(exchange.response.text, limit: 2000))\"") }
        for call in exchange.response.toolCalls {
            lines.append("  tool call \(call.name) (\(call.id)): \(PromptText.preview(call.arguments, limit: 300))"
                         + (call.review.map { " [auto mode: \($0.summary)]" } ?? (exchange.request.reviewMode != nil ? " [auto mode: no verdict]" : "")))
        }
        if !exchange.response.finishReasons.isEmpty { lines.append("  stop reason: \(exchange.response.finishReasons.joined(separator: ", "))") }
        return lines
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "-" }
}
