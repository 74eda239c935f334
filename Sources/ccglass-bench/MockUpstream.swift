import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A fast local upstream for the benchmark: Anthropic-shaped SSE or a small JSON answer. Each SSE event
/// carries the monotonic time it was written (`"t":nanoseconds`), so the client, which shares this
/// process's clock, can tell how long the event took to arrive.
enum MockUpstream {
    static let clock = ContinuousClock()
    static let origin = clock.now

    static func nanosSinceOrigin() -> Int64 {
        let d = clock.now - origin
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// What a Claude plan's answers carry besides the body: the rate-limit windows ccglass reads from
    /// every response (the real API sends a dozen of them).
    static let planHeaders: [(String, String)] = {
        let reset = String(Int(Date().timeIntervalSince1970) + 3 * 3600)
        return [("anthropic-ratelimit-unified-status", "allowed"), ("anthropic-ratelimit-unified-reset", reset),
                ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
                ("anthropic-ratelimit-unified-5h-utilization", "0.42"), ("anthropic-ratelimit-unified-5h-reset", reset),
                ("anthropic-ratelimit-unified-5h-status", "allowed"), ("anthropic-ratelimit-unified-7d-utilization", "0.18"),
                ("anthropic-ratelimit-unified-7d-reset", String(Int(Date().timeIntervalSince1970) + 4 * 86400)),
                ("anthropic-ratelimit-unified-7d-status", "allowed"), ("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
                ("anthropic-ratelimit-unified-overage-status", "rejected"),
                ("anthropic-ratelimit-unified-overage-disabled-reason", "org_level_disabled"), ("request-id", "req_bench")]
    }()

    static func headers(_ contentType: String) -> HTTPFields {
        var fields: HTTPFields = [.contentType: contentType]
        for (name, value) in planHeaders { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    /// `gap` is the pause between SSE events; a request's `?gap_ms=` overrides it.
    static func router(events: Int, gap defaultGap: Duration) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/messages") { request, _ -> Response in
            let gap = request.uri.queryParameters.get("gap_ms", as: Int.self).map { Duration.milliseconds($0) } ?? defaultGap
            let body = try await request.body.collect(upTo: 8 << 20)
            let streaming = body.readableBytesView.firstRange(of: Array(#""stream":true"#.utf8)) != nil
            guard streaming else {
                let json = #"{"id":"msg_b","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":2}}"#
                return Response(status: .ok, headers: headers("application/json"), body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            return Response(status: .ok, headers: headers("text/event-stream"), body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_b\",\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}},\"t\":\(nanosSinceOrigin())}\n\n"))
                for i in 0..<events {
                    if gap > .zero { try await Task.sleep(for: gap) }
                    try await writer.write(ByteBuffer(string: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"token\(i) \"},\"t\":\(nanosSinceOrigin())}\n\n"))
                }
                try await writer.write(ByteBuffer(string: "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":\(events)}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
                try await writer.finish(nil)
            })
        }
        return router
    }
}
