import AsyncHTTPClient
import Foundation

/// The same load against the mock upstream directly, through ccglass, and through the peer proxies that
/// are installed (mitmproxy, haproxy, socat), interleaved in one run so drift on the machine hits all alike.
enum Comparison {
    struct Path {
        let name: String
        let url: String
        let pid: Int32?
        var perEvent = true
    }

    /// `latencyOnly`: just time to first byte at concurrency 1, with more samples in more rounds (to
    /// compare builds of ccglass on a noisy machine).
    /// `against`: another ccglass binary measured in the same run (an A/B of two builds).
    static func run(quick: Bool, latencyOnly: Bool = false, serveFlags: [String], against: String? = nil, promptBytes: Int = 0) async throws {
        let upstream = await LocalUpstream.start(events: 20, gap: .zero)
        let upstreamURL = "http://127.0.0.1:\(upstream.port)"
        let ccglass = try CCGlassProcess.start(upstream: upstreamURL, extraArguments: serveFlags)
        defer { ccglass.stop() }
        let other = try against.map { try CCGlassProcess.start(upstream: upstreamURL, extraArguments: serveFlags, binary: $0) }
        defer { other?.stop() }
        let peers = PeerProxy.startAll(upstreamPort: upstream.port)
        defer { peers.forEach { $0.stop() } }
        try await Task.sleep(for: .milliseconds(500))

        var paths = [Path(name: "direct", url: "\(upstreamURL)/v1/messages", pid: nil),
                     Path(name: "ccglass", url: "http://127.0.0.1:\(ccglass.port)/anthropic/v1/messages", pid: ccglass.pid)]
        if let other {
            paths.append(Path(name: "against", url: "http://127.0.0.1:\(other.port)/anthropic/v1/messages", pid: other.pid))
        }
        paths += peers.map { Path(name: $0.name, url: "http://127.0.0.1:\($0.port)/v1/messages", pid: $0.memoryPID,
                                  perEvent: !$0.holdsStreamedChunks) }
        let idle = paths.compactMap { path in path.pid.map { (name: path.name, pid: $0, rss: ProcessMemory.rss(pid: $0)) } }

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let load = Load(client: client, promptBytes: promptBytes)

        print("ccglass-bench: mock upstream on :\(upstream.port); ccglass (pid \(ccglass.pid)) on :\(ccglass.port)"
              + (serveFlags.isEmpty ? "" : " with \(serveFlags.joined(separator: " "))")
              + (other.map { "; against: \($0.binary.path) (pid \($0.pid)) on :\($0.port)" } ?? "")
              + peers.map { "; \($0.name) \($0.version) (pid \($0.pid)) on :\($0.port)" }.joined()
              + (peers.isEmpty ? "; no peer proxies installed (mitmdump, haproxy, socat)" : ""))
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; shape: \(load.streamBody.utf8.count) B requests, "
              + "answers with a Claude plan's \(MockUpstream.planHeaders.count) rate-limit headers\n")

        for path in paths { _ = try await load.ttfb(url: path.url, streaming: true, concurrency: 8, total: 400) }
        try await Task.sleep(for: .milliseconds(300))  // the warm-up's recording settles before CPU is counted

        print("Time to first byte, streamed requests (20 SSE events each); added = path minus direct, same run")
        print(row("conc", "path", "p50", "p99", "added p50", "added p99", "errors"))
        for concurrency in latencyOnly ? [1] : [1, 64, 256] {
            let total = latencyOnly ? 4000 : quick ? 256 : (concurrency == 1 ? 2000 : 6400)
            let rounds = latencyOnly ? 10 : 4
            var samples = [Samples](repeating: Samples(), count: paths.count)
            var ends = [Samples](repeating: Samples(), count: paths.count)
            // Each proxy's CPU from before its first request to after its recording of the last has settled
            // (it is otherwise idle while the other paths run).
            let cpuBefore = paths.map { $0.pid.map { ProcessCPU.seconds(pid: $0) } }
            for _ in 0..<rounds {
                for (i, path) in paths.enumerated() {
                    let (first, last) = try await load.firstAndLastByte(url: path.url, streaming: true, concurrency: concurrency, total: total / rounds)
                    samples[i].add(contentsOf: first)
                    ends[i].add(contentsOf: last)
                }
            }
            for (i, path) in paths.enumerated() {
                let s = samples[i], d = samples[0]
                print(row("\(concurrency)", path.name, ms(s.p50), ms(s.p99), i == 0 ? "" : ms(s.p50 - d.p50),
                          i == 0 ? "" : ms(s.p99 - d.p99), s.errors.isEmpty ? "0" : "\(s.errors.count): \(s.errors[0].prefix(60))"))
            }
            if concurrency == 1 {
                // The end of a stream should leave as promptly as its first byte.
                print("  time to last byte (same requests): added p50" + paths.indices.dropFirst().map { i in
                    " \(paths[i].name) \(ms(ends[i].p50 - ends[0].p50)) (first byte \(ms(samples[i].p50 - samples[0].p50)))"
                }.joined(separator: ";"))
                try await Task.sleep(for: .milliseconds(300))
                print("  CPU per request of the proxy process (/proc, user + system):" + paths.indices.compactMap { i in
                    guard let pid = paths[i].pid, let before = cpuBefore[i] else { return nil }
                    return " \(paths[i].name) \(ms((ProcessCPU.seconds(pid: pid) - before) / Double(samples[i].values.count)))"
                }.joined(separator: ";"))
            }
        }

        if !latencyOnly { try await report(paths: paths, idle: idle, load: load, quick: quick) }
        try await client.shutdown()
        upstream.task.cancel()
    }

    /// Per-event delivery, throughput and memory, after the time-to-first-byte table.
    static func report(paths: [Path], idle: [(name: String, pid: Int32, rss: (current: Int, peak: Int, anonymous: Int))],
                       load: Load, quick: Bool) async throws {
        // Paced like a model streaming tokens, so each event travels alone and the figure is per-event latency.
        print("\nPer-event delivery (upstream write → client read), 20 events 10 ms apart per stream, concurrency 1")
        print(row("", "path", "p50", "p99", "added p50", "added p99", ""))
        var direct = Samples()
        for (i, path) in paths.enumerated() where path.perEvent {
            let s = try await load.eventLag(url: path.url + "?gap_ms=10", streams: quick ? 20 : 100)
            if i == 0 { direct = s }
            print(row("", path.name, ms(s.p50), ms(s.p99), i == 0 ? "" : ms(s.p50 - direct.p50), i == 0 ? "" : ms(s.p99 - direct.p99), ""))
        }

        let seconds = quick ? 2.0 : 5.0
        print("\nThroughput, small non-streamed requests, concurrency 64, \(Int(seconds)) s each")
        var directRate = 0.0
        for (i, path) in paths.enumerated() {
            let before = path.pid.map { ProcessCPU.seconds(pid: $0) }
            let rate = try await load.throughput(url: path.url, concurrency: 64, seconds: seconds)
            if i == 0 { directRate = rate }
            var cpu = ""
            if let pid = path.pid, let before {
                try await Task.sleep(for: .milliseconds(300))
                cpu = ", CPU \(ms((ProcessCPU.seconds(pid: pid) - before) / (rate * seconds))) per request"
            }
            print(String(format: "  %-10@ %8.0f req/s  (%.0f%% of direct", path.name, rate, rate / directRate * 100) + cpu + ")")
        }

        print("\nResident memory (MB; private = RssAnon, the rest is the binary and libraries mapped from disk)")
        for (name, pid, before) in idle {
            let after = ProcessMemory.rss(pid: pid)
            print(String(format: "  %-10@ idle %6.1f (private %5.1f)   after the run %6.1f (private %5.1f)   peak %6.1f", name,
                         Double(before.current) / 1024, Double(before.anonymous) / 1024, Double(after.current) / 1024,
                         Double(after.anonymous) / 1024, Double(after.peak) / 1024))
        }
    }

    static func row(_ columns: String...) -> String {
        let widths = [5, 11, 12, 12, 12, 12, 0]
        return zip(columns, widths).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
