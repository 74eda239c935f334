import Foundation
import Proxy

/// One stored exchange written out for people and tools: an HTTP transcript, Markdown, JSON, or a
/// HAR 1.2 file that browser devtools open. Secrets are already fingerprints in the record.
package enum ExchangeExport {
    package enum Format: String, CaseIterable, Sendable {
        case raw, md, json, har
    }

    package static func render(_ exchange: Exchange, as format: Format) throws -> Data {
        switch format {
        case .raw: return raw(exchange)
        case .md: return Data(markdown(exchange).utf8)
        case .json: return try json(exchange)
        case .har: return try har(exchange)
        }
    }

    /// Request then response, as on the wire; bodies byte for byte (a compressed response stays
    /// compressed; a request ccglass kept decoded is written decoded, its headers saying so).
    static func raw(_ exchange: Exchange) -> Data {
        var out = Data("\(exchange.method) \(exchange.upstreamURL) HTTP/1.1\r\n".utf8)
        for header in exchange.requestHeadersForBody { out.append(Data("\(header.name): \(header.value)\r\n".utf8)) }
        out.append(Data("\r\n".utf8))
        out.append(exchange.requestBody)
        out.append(Data("\r\n\r\n".utf8))
        if let status = exchange.status {
            out.append(Data("HTTP/1.1 \(status)\r\n".utf8))
            for header in exchange.responseHeaders { out.append(Data("\(header.name): \(header.value)\r\n".utf8)) }
            out.append(Data("\r\n".utf8))
            out.append(exchange.responseBody)
        } else {
            out.append(Data("(no response: \(exchange.errorMessage ?? exchange.outcome?.rawValue ?? "in flight"))\r\n".utf8))
        }
        return out
    }

    /// The record with bodies as text where they are text (decompressed), else base64.
    static func json(_ exchange: Exchange) throws -> Data {
        var object: [String: Any] = (try JSONSerialization.jsonObject(with: HistoryStore.encoder.encode(exchange))) as? [String: Any] ?? [:]
        object["earlier"] = nil  // the exchange as recorded: `continues` links to the rest
        object["requestBody"] = bodyValue(exchange.requestBody, encoding: nil)
        object["responseBody"] = bodyValue(exchange.responseBody, encoding: exchange.responseHeaders.value(of: "content-encoding"))
        object["startedAt"] = ISO8601DateFormatter().string(from: exchange.startedAt)
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func markdown(_ exchange: Exchange) -> String {
        let usage = exchange.usage
        var lines = [
            "# \(exchange.method) \(exchange.target)",
            "",
            "| | |", "|---|---|",
            "| id | `\(exchange.id)` |",
            "| started | \(ISO8601DateFormatter().string(from: exchange.startedAt)) |",
            "| provider | \(exchange.provider) (\(exchange.upstreamURL)) |",
            "| client | \(exchange.client) |",
            "| session | \(exchange.sessionID ?? "-") |",
            "| model | \(exchange.model ?? "-") |",
            "| status | \(exchange.status.map(String.init) ?? "-") \(exchange.outcome?.rawValue ?? "") |",
        ]
        if let message = exchange.errorMessage { lines.append("| error | \(message) |") }
        if let usage {
            lines.append("| tokens | in \(usage.inputTokens) (cache read \(usage.cacheReadTokens), write 5m \(usage.cacheWrite5mTokens), write 1h \(usage.cacheWrite1hTokens)) · out \(usage.outputTokens) |")
        }
        lines.append("| cost | \(exchange.cost.map { String(format: "$%.6f", $0.total) } ?? "unpriced") |")
        if let ttft = exchange.timings.firstByte { lines.append("| time to first token | \(String(format: "%.3f s", ttft)) |") }
        if let end = exchange.timings.end { lines.append("| duration | \(String(format: "%.3f s", end)) |") }
        lines += ["", "## Request", "", "```json", prettyText(exchange.requestBody), "```", "", "## Response", ""]
        if !exchange.response.thinking.isEmpty { lines += ["### Thinking", "", exchange.response.thinking, ""] }
        if !exchange.response.text.isEmpty { lines += [exchange.response.text, ""] }
        for call in exchange.response.toolCalls {
            lines += ["- tool call `\(call.name)` (`\(call.id)`): `\(call.arguments)`" + (call.review.map { " — auto mode: \($0.summary)" } ?? "")]
        }
        if !exchange.response.finishReasons.isEmpty { lines += ["", "Stop reason: \(exchange.response.finishReasons.joined(separator: ", "))"] }
        return lines.joined(separator: "\n") + "\n"
    }

    static func har(_ exchange: Exchange) throws -> Data {
        let encoding = exchange.responseHeaders.value(of: "content-encoding")
        var content: [String: Any] = ["size": exchange.responseBytes, "mimeType": exchange.responseHeaders.value(of: "content-type") ?? ""]
        switch bodyValue(exchange.responseBody, encoding: encoding) {
        case let text as String: content["text"] = text
        case let wrapped as [String: String]:
            content["text"] = wrapped["base64"]
            content["encoding"] = "base64"
        default: break
        }
        let query = URLComponents(string: exchange.upstreamURL)?.queryItems?.map { ["name": $0.name, "value": $0.value ?? ""] } ?? []
        let wait = (exchange.timings.firstByte ?? 0) * 1000
        let receive = (exchange.timings.generation ?? 0) * 1000
        let entry: [String: Any] = [
            "startedDateTime": ISO8601DateFormatter.withFractionalSeconds.string(from: exchange.startedAt),
            "time": (exchange.timings.end ?? 0) * 1000,
            "request": [
                "method": exchange.method, "url": exchange.upstreamURL, "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": exchange.requestHeadersForBody.map { ["name": $0.name, "value": $0.value] },
                "queryString": query,
                "postData": ["mimeType": exchange.requestHeaders.value(of: "content-type") ?? "application/json",
                             "text": String(decoding: exchange.requestBody, as: UTF8.self)],
                "headersSize": -1, "bodySize": exchange.requestBytes,
            ] as [String: Any],
            "response": [
                "status": exchange.status ?? 0, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": exchange.responseHeaders.map { ["name": $0.name, "value": $0.value] },
                "content": content, "redirectURL": "", "headersSize": -1, "bodySize": exchange.responseBytes,
            ] as [String: Any],
            "cache": [:] as [String: Any],
            "timings": ["send": 0, "wait": wait, "receive": receive],
            "comment": "ccglass \(exchange.id)",
        ]
        let har: [String: Any] = ["log": ["version": "1.2", "creator": ["name": "ccglass", "version": CCGlassVersion.current],
                                          "entries": [entry]] as [String: Any]]
        return try JSONSerialization.data(withJSONObject: har, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Text when the (decoded) body is UTF-8, else `{"base64": …}`.
    static func bodyValue(_ body: Data, encoding: String?) -> Any {
        let decoded = ResponseBodyText.decode(body, contentEncoding: encoding) ?? body
        if let text = String(data: decoded, encoding: .utf8) { return text }
        return ["base64": body.base64EncodedString()]
    }

    static func prettyText(_ body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body),
           let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            return String(decoding: pretty, as: UTF8.self)
        }
        return String(decoding: body, as: UTF8.self)
    }
}

extension ISO8601DateFormatter {
    /// A new formatter with milliseconds (formatters are not Sendable, so none is shared).
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
