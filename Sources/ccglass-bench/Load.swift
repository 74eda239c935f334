import AsyncHTTPClient
import Foundation
import NIOCore

/// Drives requests and measures what a client would notice.
struct Load {
    let client: HTTPClient
    /// The prompt of every request: a chatty turn's few words, or `--prompt-kb` of text (an agent's turn).
    var prompt = "bench"
    var streamBody: String { #"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"# }
    var plainBody: String { #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"\#(prompt)"}]}"# }

    init(client: HTTPClient, promptBytes: Int = 0) {
        self.client = client
        if promptBytes > 0 {
            let line = "The function reads the configuration file and returns the parsed settings. "
            prompt = String(String(repeating: line, count: promptBytes / line.utf8.count + 1).prefix(promptBytes))
        }
    }

    func request(_ url: String, streaming: Bool) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "x-api-key", value: "sk-bench-not-a-key")
        request.body = .bytes(ByteBuffer(string: streaming ? streamBody : plainBody))
        return request
    }

    /// Seconds from sending to the first body byte, for `total` requests, `concurrency` at a time.
    func ttfb(url: String, streaming: Bool, concurrency: Int, total: Int) async throws -> Samples {
        try await firstAndLastByte(url: url, streaming: streaming, concurrency: concurrency, total: total).first
    }

    /// Seconds from sending to the first body byte, and to the end of the body.
    func firstAndLastByte(url: String, streaming: Bool, concurrency: Int, total: Int) async throws -> (first: Samples, last: Samples) {
        try await withThrowingTaskGroup(of: (Samples, Samples).self) { group in
            for worker in 0..<concurrency {
                let share = total / concurrency + (worker < total % concurrency ? 1 : 0)
                group.addTask {
                    var first = Samples(), last = Samples()
                    for _ in 0..<share {
                        let start = ContinuousClock.now
                        do {
                            let response = try await client.execute(request(url, streaming: streaming), timeout: .seconds(30))
                            var awaitingFirst = true
                            for try await _ in response.body where awaitingFirst {
                                first.add((ContinuousClock.now - start).seconds)
                                awaitingFirst = false
                            }
                            last.add((ContinuousClock.now - start).seconds)
                        } catch {
                            first.errors.append("\(error)")
                        }
                    }
                    return (first, last)
                }
            }
            var all = (first: Samples(), last: Samples())
            for try await (first, last) in group {
                all.first.add(contentsOf: first)
                all.last.add(contentsOf: last)
            }
            return all
        }
    }

    /// Seconds each SSE event took from the upstream's write to this client's read.
    func eventLag(url: String, streams: Int) async throws -> Samples {
        var samples = Samples()
        for _ in 0..<streams {
            let response = try await client.execute(request(url, streaming: true), timeout: .seconds(30))
            var pending = ""
            for try await chunk in response.body {
                let now = MockUpstream.nanosSinceOrigin()
                pending += String(buffer: chunk)
                while let end = pending.range(of: "\n\n") {
                    let event = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    if let t = event.range(of: "\"t\":") {
                        let digits = event[t.upperBound...].prefix { $0.isNumber }
                        if let sent = Int64(digits) { samples.add(Double(now - sent) / 1e9) }
                    }
                }
            }
        }
        return samples
    }

    /// Completed requests per second over `seconds`.
    func throughput(url: String, concurrency: Int, seconds duration: Double) async throws -> Double {
        let deadline = ContinuousClock.now + .milliseconds(Int(duration * 1000))
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var n = 0
                    while ContinuousClock.now < deadline {
                        do {
                            let response = try await client.execute(request(url, streaming: false), timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            n += 1
                        } catch {
                            print("error: \(error)")
                        }
                    }
                    return n
                }
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        return Double(count) / duration
    }
}
