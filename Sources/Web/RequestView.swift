import Exporters
import Foundation
import Proxy

/// One exchange as the dashboard's detail view reads it: the record, its prompt in the one normalised
/// shape (`Prompt`, the whole conversation for a request that continues earlier ones), the request body parsed (or as text), the response body decoded to text, and a cURL
/// command that replays it with the key left out.
enum RequestView {
    static let textCap = 4 << 20

    static func json(_ exchange: Exchange) throws -> Data {
        var record = exchange
        record.requestBody = Data()
        record.responseBody = Data()
        record.earlier = nil  // it is in `prompt`
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var object: [String: Any] = ["exchange": try JSONSerialization.jsonObject(with: encoder.encode(record))]
        if let prompt = exchange.conversation { object["prompt"] = try JSONSerialization.jsonObject(with: encoder.encode(prompt)) }
        if let parsed = try? JSONSerialization.jsonObject(with: exchange.requestBody) {
            object["request"] = parsed
        } else {
            object["requestText"] = String(decoding: exchange.requestBody.prefix(textCap), as: UTF8.self)
        }
        let encoding = exchange.responseHeaders.value(of: "content-encoding")
        let decoded = ResponseBodyText.decode(exchange.responseBody, contentEncoding: encoding) ?? exchange.responseBody
        object["responseText"] = String(decoding: decoded.prefix(textCap), as: UTF8.self)
        object["responseBodyTruncated"] = exchange.responseBodyTruncated
        object["curl"] = curl(exchange)
        return try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
    }

    /// A replayable command, safe to paste: everything recorded is single-quoted, and credentials become
    /// shell variables the user fills in (the only part the shell expands).
    static func curl(_ exchange: Exchange) -> String {
        var parts = ["curl", "-N", shellQuote(exchange.upstreamURL), "-X", exchange.method]
        for header in exchange.requestHeadersForBody {
            let name = header.name.lowercased()
            if ["host", "content-length", "connection", "accept-encoding"].contains(name) { continue }
            let variable: String? = name == "x-api-key" ? "$ANTHROPIC_API_KEY"
                : name == "authorization" ? "Bearer $API_KEY"
                : SecretRedaction.isSecret(header: name) ? "$SECRET" : nil
            if let variable {
                parts += ["-H", shellQuote("\(header.name): ") + "\"\(variable)\""]
            } else {
                parts += ["-H", shellQuote("\(header.name): \(header.value)")]
            }
        }
        if !exchange.requestBody.isEmpty {
            parts += ["--data-binary", shellQuote(String(decoding: exchange.requestBody.prefix(textCap), as: UTF8.self))]
        }
        return parts.joined(separator: " ")
    }

    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
