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
                if let object = JSON.object(body) { _ = WireFormatKind.anthropicMessages.summarize(request: object, path: "/v1/messages") }
                let d = ContinuousClock.now - start
                times.append(Double(d.components.attoseconds) * 1e-15 + Double(d.components.seconds) * 1e3)
            }
            times.sort()
            print(String(format: "  %5d KB  %7.2f ms", body.count >> 10, times[times.count / 2]))
        }
    }
}
