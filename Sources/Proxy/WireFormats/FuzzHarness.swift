import Foundation
import NIOCore

/// Feeds arbitrary bytes to the parsers that read untrusted input on the forwarding path. Used by the
/// libFuzzer targets (`scripts/fuzz`) and by the tests that replay every input they ever crashed on.
package enum FuzzHarness {
    package static let targets = ["sse", "anthropic", "chat", "responses", "gemini", "request", "gzip", "json", "websocket", "ratelimits", "requestcoding"]

    package static func run(_ target: String, _ bytes: [UInt8]) {
        // The first byte picks where to cut the stream, so chunk boundaries are fuzzed too.
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        switch target {
        case "sse":
            var parser = SSEParser(maxEventBytes: 4096)
            _ = parser.feed(bytes[..<cut])
            _ = parser.feed(bytes[cut...])
            _ = parser.finish()
        case "anthropic":
            var format = AnthropicMessagesStream()
            stream(bytes, cut: cut, into: &format)
        case "chat":
            var format = OpenAIChatCompletionsStream()
            stream(bytes, cut: cut, into: &format)
        case "responses":
            var format = OpenAIResponsesStream()
            stream(bytes, cut: cut, into: &format)
        case "gemini":
            var format = GeminiStream()
            stream(bytes, cut: cut, into: &format)
            // And as a JSON array streamed without `alt=sse`, split as it arrives.
            var tap = ResponseTap(format: .gemini, contentType: "application/json", contentEncoding: nil, captureLimit: 1 << 16)
            tap.ingest(ByteBuffer(bytes: bytes[..<cut]))
            tap.ingest(ByteBuffer(bytes: bytes[cut...]))
            tap.finish()
            var splitter = JSONArrayStream(maxElement: 64)
            _ = splitter.feed(bytes)
        case "request":
            // Every format's request side, and the readers of its prompt. The first byte is the cut, as
            // for the streams (the seeds carry one), so the body starts after it.
            for kind in WireFormatKind.allCases {
                guard let prompt = kind.prompt(body: bytes.dropFirst(), path: "/v1/messages/count_tokens") else { continue }
                _ = prompt.summary
                _ = PromptDiff(older: prompt, newer: prompt)
            }
        case "gzip":
            for coding in ["gzip", "deflate"] {
                // The copy path as forwarding runs it: a compressed SSE stream arriving in two chunks.
                var tap = ResponseTap(format: .anthropicMessages, contentType: "text/event-stream",
                                      contentEncoding: coding, captureLimit: 1 << 20)
                tap.ingest(ByteBuffer(bytes: bytes[..<cut]))
                tap.ingest(ByteBuffer(bytes: bytes[cut...]))
                tap.finish()
                // And a stored body read back for the dashboard.
                _ = ResponseBodyText.decode(Data(bytes), contentEncoding: coding)
            }
        case "websocket":
            // One direction of a connection as the recording reads it: frames cut anywhere, masked or
            // not, fragmented, compressed with the window kept across messages.
            for deflate in [nil, PerMessageDeflate()] {
                let reader = WebSocketMessageReader(deflate: deflate, fromClient: true, maxMessage: 1 << 16)
                _ = reader.feed(bytes[..<cut])
                _ = reader.feed(bytes[cut...])
            }
        case "json":
            if let object = JSON.object(bytes) { _ = JSON.text(object) }
        case "ratelimits":
            // A response's header block (`name: value` lines) as the reading sees it, and the same bytes
            // as Codex's in-stream event.
            let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
            let headers = text.split(whereSeparator: \.isNewline).compactMap { line -> HeaderField? in
                let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                return parts.count == 2 ? HeaderField(String(parts[0]), String(parts[1])) : nil
            }
            let at = Date(timeIntervalSince1970: 1_780_000_000)
            let reading = RateLimitReading(headers: headers, at: at)
            _ = reading?.merged(with: JSON.object(bytes.dropFirst()).flatMap { RateLimitReading(codexEvent: $0, at: at) })
        case "requestcoding":
            // A compressed request body as the recorder inflates it: the first byte picks the coding.
            let codings = ["zstd", "gzip", "deflate"]
            let coding = codings[bytes.isEmpty ? 0 : Int(bytes[0]) % codings.count]
            if let body = try? RequestBodyCoding.decode(Data(bytes.dropFirst()), contentEncoding: coding) {
                precondition(body.count <= RequestBodyCoding.limit)
            }
        default:
            preconditionFailure("unknown fuzz target \(target); known: \(targets.joined(separator: ", "))")
        }
    }

    private static func stream<Format: WireFormat>(_ bytes: [UInt8], cut: Int, into format: inout Format) {
        var sse = SSEParser()
        for event in sse.feed(bytes[..<cut]) + sse.feed(bytes[cut...]) { format.ingest(event) }
        if let last = sse.finish() { format.ingest(last) }
        var whole = format
        whole.ingest(body: bytes)
        format.finish()
        whole.finish()
        _ = format.summary
        _ = whole.summary
    }
}
