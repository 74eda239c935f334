import AsyncHTTPClient
import Exporters
import Foundation
import NIOCore

/// `ccglass-bench load`: CONNECTIONS clients streaming back to back through ccglass for SECONDS, against
/// an upstream that takes about half a second per answer (20 events, 25 ms apart), so that many streams
/// are open at once. Reports errors, whether every exchange reached the history, and RSS over time.
enum LoadBench {
    static func run(connections: Int, seconds: Int) async throws {
        let upstream = await LocalUpstream.start(events: 20, gap: .milliseconds(25))
        let ccglass = try CCGlassProcess.start(upstream: "http://127.0.0.1:\(upstream.port)")
        defer { ccglass.stop() }
        try await Task.sleep(for: .milliseconds(500))
        let idle = ProcessMemory.rss(pid: ccglass.pid).current

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections + 16
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let url = "http://127.0.0.1:\(ccglass.port)/anthropic/v1/messages"
        let load = Load(client: client)
        print("ccglass-bench load: \(connections) concurrent streams for \(seconds) s through ccglass (pid \(ccglass.pid)); idle RSS \(kb(idle))")

        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let pid = ccglass.pid
        let sampler = Task {
            var samples: [(second: Int, rss: Int)] = []
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .seconds(1))
                samples.append((Int((ContinuousClock.now - start).components.seconds), ProcessMemory.rss(pid: pid).current))
            }
            return samples
        }
        let outcome = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var completed = 0
                    var errors: [String] = []
                    while ContinuousClock.now < deadline {
                        do {
                            let response = try await client.execute(load.request(url, streaming: true), timeout: .seconds(60))
                            let body = try await response.body.collect(upTo: 1 << 20)
                            // A stream counts only if it arrived whole.
                            if response.status == .ok, String(buffer: body).hasSuffix("data: {\"type\":\"message_stop\"}\n\n") {
                                completed += 1
                            } else {
                                errors.append("status \(response.status.code), \(body.readableBytes) bytes")
                            }
                        } catch {
                            errors.append("\(error)")
                        }
                    }
                    return (completed, errors)
                }
            }
            var total = (completed: 0, errors: [String]())
            for try await (completed, errors) in group { total.completed += completed; total.errors += errors }
            return total
        }
        let elapsed = (ContinuousClock.now - start)
        let samples = await sampler.value
        try await client.shutdown()

        // The recorder writes in batches behind the stream: give it a moment to catch up.
        let store = try HistoryStore(url: HistoryStore.defaultURL(home: ccglass.home), readOnly: true)
        var recorded = 0
        for _ in 0..<100 {
            recorded = try store.usage(by: .model).reduce(0) { $0 + $1.requests }
            if recorded >= outcome.completed + outcome.errors.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        let warmUp = max(5, seconds / 6)
        let steady = samples.filter { $0.second >= warmUp }.map(\.rss)
        let atWarmUp = steady.first ?? idle
        let peak = samples.map(\.rss).max() ?? idle
        let wall = elapsed.seconds
        print(String(format: "  streams completed whole: %d (%.0f/s); errors: %d", outcome.completed, Double(outcome.completed) / wall, outcome.errors.count))
        if let first = outcome.errors.first { print("  first error: \(first)") }
        print("  exchanges in the history: \(recorded) (\(recorded == outcome.completed + outcome.errors.count ? "all" : "MISSING \(outcome.completed + outcome.errors.count - recorded)"))")
        print("  RSS: idle \(kb(idle)); after \(warmUp) s warm-up \(kb(atWarmUp)); max after warm-up \(kb(steady.max() ?? atWarmUp)); end \(kb(samples.last?.rss ?? idle)); peak \(kb(peak))")
        print(String(format: "  growth after warm-up: %@ = %.1f KB per concurrent stream; peak over idle: %.1f KB per concurrent stream",
                     kb((steady.max() ?? atWarmUp) - atWarmUp), Double((steady.max() ?? atWarmUp) - atWarmUp) / Double(connections),
                     Double(peak - idle) / Double(connections)))
        print("  RSS every 10 s (MB): " + samples.filter { $0.second % 10 == 0 }.map { String(format: "%.0f", Double($0.rss) / 1024) }.joined(separator: " "))
        upstream.task.cancel()
    }

    static func kb(_ kib: Int) -> String { String(format: "%.1f MB", Double(kib) / 1024) }
}
