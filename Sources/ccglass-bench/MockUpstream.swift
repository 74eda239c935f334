import Foundation
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

    /// `gap` is the pause between SSE events; a request's `?gap_ms=` overrides it.
    static func router(events: Int, gap defaultGap: Duration) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/messages") { request, _ -> Response in
            let gap = request.uri.queryParameters.get("gap_ms", as: Int.self).map { Duration.milliseconds($0) } ?? defaultGap
            let body = try await request.body.collect(upTo: 1 << 20)
            let streaming = body.readableBytesView.firstRange(of: Array(#""stream":true"#.utf8)) != nil
            guard streaming else {
                let json = #"{"id":"msg_b","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":2}}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
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
