import CompressNIO
import Foundation
import NIOCore
import Proxy

/// An exchange's record as stored: JSON, zlib-compressed (a record is mostly repeated key names).
enum RecordCoding {
    /// zlib's fastest level: the history writer shares the machine with the agent it watches (README,
    /// Benchmarks, has what it saves).
    static let zlib = CompressionAlgorithm.zlib(configuration: .init(compressionLevel: 1))

    /// A response body for disk: zlib-wrapped when that saves at least a tenth (SSE text shrinks
    /// several-fold; an already gzipped body is kept as is). Reading it back gives the received bytes.
    static func storable(_ body: Data) -> (bytes: Data, deflated: Bool) {
        guard body.count > 256 else { return (body, false) }
        var buffer = ByteBuffer(data: body)
        guard let compressed = try? buffer.compress(with: zlib), compressed.readableBytes < body.count * 9 / 10 else {
            return (body, false)
        }
        return (Data(compressed.readableBytesView), true)
    }

    static func received(_ stored: Data, deflated: Bool) throws -> Data {
        guard deflated else { return stored }
        var buffer = ByteBuffer(data: stored)
        return Data(try buffer.decompress(with: .zlib()).readableBytesView)
    }

    static func encode(_ exchange: Exchange) throws -> Data {
        var json = ByteBuffer(string: json(exchange))
        let compressed = try json.compress(with: zlib)
        return Data(compressed.readableBytesView)
    }

    /// The exchange as its synthesized `Codable` conformance would write it (so `JSONDecoder` reads it
    /// back), built by hand because `JSONEncoder` is the costliest step of storing an exchange. Its
    /// `rateLimits` are left out: the headers they were read from are here, and the readings are rows
    /// of the `rate_limit` table.
    static func json(_ e: Exchange) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("id", e.id)
        w.field("startedAt", e.startedAt.timeIntervalSinceReferenceDate)
        w.field("provider", e.provider)
        w.field("providerOTelName", e.providerOTelName)
        w.field("serverAddress", e.serverAddress)
        w.field("serverPort", e.serverPort)
        w.field("method", e.method)
        w.field("target", e.target)
        w.field("upstreamURL", e.upstreamURL)
        w.field("format", e.format?.rawValue)
        w.field("client", e.client)
        w.field("userAgent", e.userAgent)
        w.field("sessionID", e.sessionID)
        w.field("runID", e.runID)
        w.field("transport", e.transport?.rawValue)
        if let agent = e.agent {
            w.key("agent")
            w.beginObject()
            w.field("id", agent.id)
            w.field("parent", agent.parent)
            w.endObject()
        }
        w.field("turnID", e.turnID)
        w.field("requestKind", e.requestKind)
        w.field("continues", e.continues)
        headers("requestHeaders", e.requestHeaders, &w)
        headers("responseHeaders", e.responseHeaders, &w)
        w.field("requestBody", e.requestBody.base64EncodedString())
        w.field("requestContentEncoding", e.requestContentEncoding)
        w.field("responseBody", e.responseBody.base64EncodedString())
        w.field("responseBodyTruncated", e.responseBodyTruncated)
        w.key("request")
        request(e.request, &w)
        w.key("response")
        response(e.response, &w)
        if let cost = e.cost {
            w.key("cost")
            w.beginObject()
            w.field("input", cost.input)
            w.field("output", cost.output)
            w.field("cacheRead", cost.cacheRead)
            w.field("cacheWrite5m", cost.cacheWrite5m)
            w.field("cacheWrite1h", cost.cacheWrite1h)
            w.field("pricedAs", cost.pricedAs)
            w.endObject()
        }
        w.field("billing", e.billing?.rawValue)
        w.field("status", e.status)
        w.key("timings")
        w.beginObject()
        w.field("upstreamHeaders", e.timings.upstreamHeaders)
        w.field("firstByte", e.timings.firstByte)
        w.field("end", e.timings.end)
        w.field("overhead", e.timings.overhead)
        w.endObject()
        w.field("requestBytes", e.requestBytes)
        w.field("responseBytes", e.responseBytes)
        w.field("phase", e.phase.rawValue)
        w.field("outcome", e.outcome?.rawValue)
        w.field("errorMessage", e.errorMessage)
        w.endObject()
        return w.text
    }

    /// Request headers as stored (a content-addressed part: equal headers, equal bytes).
    static func json(_ headers: [HeaderField]) -> String {
        var w = JSONWriter()
        write(headers, &w)
        return w.text
    }

    private static func headers(_ name: String, _ headers: [HeaderField], _ w: inout JSONWriter) {
        w.key(name)
        write(headers, &w)
    }

    private static func write(_ headers: [HeaderField], _ w: inout JSONWriter) {
        w.beginArray()
        for header in headers {
            w.beginObject()
            w.field("name", header.name)
            w.field("value", header.value)
            w.endObject()
        }
        w.endArray()
    }

    private static func request(_ r: RequestSummary, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("parsed", r.parsed)
        w.field("operation", r.operation)
        w.field("model", r.model)
        w.field("stream", r.stream)
        w.field("maxTokens", r.maxTokens)
        w.field("temperature", r.temperature)
        w.field("topP", r.topP)
        w.field("messageCount", r.messageCount)
        w.field("toolCount", r.toolCount)
        w.field("metadataUserID", r.metadataUserID)
        w.field("turnID", r.turnID)
        w.field("requestKind", r.requestKind)
        w.field("firstPrompt", r.firstPrompt)
        w.field("lastPrompt", r.lastPrompt)
        w.field("toolResultIDs", r.toolResultIDs)
        w.field("reviewMode", r.reviewMode)
        w.endObject()
    }

    private static func response(_ r: ResponseSummary, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("id", r.id)
        w.field("model", r.model)
        w.field("finishReasons", r.finishReasons)
        w.key("toolCalls")
        w.beginArray()
        for call in r.toolCalls {
            w.beginObject()
            w.field("id", call.id)
            w.field("name", call.name)
            w.field("arguments", call.arguments)
            if let review = call.review {
                w.key("review")
                w.beginObject()
                w.field("verdict", review.verdict.rawValue)
                w.field("detail", review.detail)
                w.field("rule", review.rule)
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.field("text", r.text)
        w.field("thinking", r.thinking)
        if let usage = r.usage {
            w.key("usage")
            w.beginObject()
            w.field("inputTokens", usage.inputTokens)
            w.field("outputTokens", usage.outputTokens)
            w.field("cacheReadTokens", usage.cacheReadTokens)
            w.field("cacheWrite5mTokens", usage.cacheWrite5mTokens)
            w.field("cacheWrite1hTokens", usage.cacheWrite1hTokens)
            w.field("reasoningTokens", usage.reasoningTokens)
            w.field("outputEstimated", usage.outputEstimated)
            w.endObject()
        }
        w.field("rawUsage", r.rawUsage)
        if let error = r.error {
            w.key("error")
            w.beginObject()
            w.field("type", error.type)
            w.field("message", error.message)
            w.endObject()
        }
        if let limits = r.rateLimits {
            w.key("rateLimits")
            rateLimits(limits, &w)
        }
        w.field("parseFailures", r.parseFailures)
        w.field("complete", r.complete)
        w.endObject()
    }

    private static func rateLimits(_ r: RateLimitReading, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("windows")
        w.beginArray()
        for window in r.windows {
            w.beginObject()
            w.field("name", window.name)
            w.field("used", window.used)
            w.field("resetsAt", window.resetsAt?.timeIntervalSinceReferenceDate)
            w.field("status", window.status)
            w.field("limit", window.limit)
            w.field("remaining", window.remaining)
            w.field("seconds", window.seconds)
            w.endObject()
        }
        w.endArray()
        w.field("binding", r.binding)
        w.field("status", r.status)
        w.field("retryAfter", r.retryAfter)
        w.key("notes")
        w.beginObject()
        for (key, value) in r.notes.sorted(by: { $0.key < $1.key }) { w.field(key, value) }
        w.endObject()
        w.endObject()
    }

    static func decode(_ data: Data) throws -> Exchange {
        var buffer = ByteBuffer(data: data)
        let json = try buffer.decompress(with: .zlib())
        return try HistoryStore.decoder.decode(Exchange.self, from: Data(json.readableBytesView))
    }
}
