import Foundation
import Proxy

/// What recording a request costs before any exporter runs: parsing and summarising its JSON body.
/// A coding agent's prompt grows through a session, so bodies from 55 KB (a first turn) to 1 MB.
enum ParseBench {
    static func run() {
        var messages: [String] = []
        print("Request body parse + summary (Anthropic Messages, Claude Code-shaped), median of 20")
        for target in [55 << 10, 256 << 10, 1 << 20] {
            while messages.joined(separator: ",").utf8.count < target {
                messages.append(#"{"role":"user","content":[{"type":"text","text":"\#(String(repeating: "Read the file and explain the change. ", count: 40))"}]}"#)
            }
            let body = Array(#"{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,"messages":[\#(messages.joined(separator: ","))]}"#.utf8)
            var times: [Double] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                _ = WireFormatKind.anthropicMessages.prompt(body: body, path: "/v1/messages")?.summary
                times.append((ContinuousClock.now - start).seconds * 1e3)
            }
            times.sort()
            print(String(format: "  %5d KB  %7.2f ms", body.count >> 10, times[times.count / 2]))
        }
        streamedResponse()
    }

    /// The per-event cost paid on the forwarding loop after each flush: split SSE, parse, summarise.
    static func streamedResponse() {
        var text = #"event: message_start\#ndata: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"usage":{"input_tokens":2479,"cache_creation_input_tokens":0,"cache_read_input_tokens":18230,"output_tokens":1}}}\#n\#n"#
        text += #"event: content_block_start\#ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\#n\#n"#
        let deltas = 500
        for i in 0..<deltas {
            text += #"event: content_block_delta\#ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word \#(i) of the answer, "}}\#n\#n"#
        }
        text += #"event: content_block_stop\#ndata: {"type":"content_block_stop","index":0}\#n\#n"#
        text += #"event: message_delta\#ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":1500}}\#n\#n"#
        text += #"event: message_stop\#ndata: {"type":"message_stop"}\#n\#n"#
        let bytes = Array(text.utf8)
        var times: [Double] = []
        for _ in 0..<200 {
            let start = ContinuousClock.now
            // About one event per read, as a live stream arrives.
            let summary = ResponseReplay.stream(bytes, format: .anthropicMessages, readSize: 120)
            precondition(summary?.usage?.outputTokens == 1500)
            times.append((ContinuousClock.now - start).seconds * 1e6)
        }
        times.sort()
        print("Streamed response through the tap (capture, SSE split, Anthropic ingest), \(deltas + 5) events, median of 200")
        print(String(format: "  %.2f µs per event", times[times.count / 2] / Double(deltas + 5)))
    }
}
