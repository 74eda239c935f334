import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore

/// `ccglass-bench`: direct vs through ccglass against the same local upstream, in one run.
///
/// Spawns the `ccglass` binary built beside this one, so build both in the same configuration
/// (`swift build -c release`), then run `.build/release/ccglass-bench`.
@main
struct Bench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        if arguments.contains("store") {
            try StoreBench.run(quick: quick)
            return
        }
        if let index = arguments.firstIndex(of: "seed") {
            // `ccglass-bench seed HOME SESSION COUNT`: a history with COUNT exchanges in one session (dashboard tests).
            let home = URL(fileURLWithPath: arguments[index + 1])
            try StoreBench.seed(home: home, session: arguments[index + 2], count: Int(arguments[index + 3]) ?? 10_000)
            return
        }
        if let index = arguments.firstIndex(of: "mock") {
            // `ccglass-bench mock [PORT] [EVENTS] [GAP_MS]`: just the upstream, for wrk, hyperfine and load tests.
            let port = arguments.dropFirst(index + 1).first.flatMap(Int.init) ?? 9100
            let events = arguments.dropFirst(index + 2).first.flatMap(Int.init) ?? 20
            let gap = arguments.dropFirst(index + 3).first.flatMap(Int.init) ?? 0
            let app = Application(router: MockUpstream.router(events: events, gap: .milliseconds(gap)),
                                  configuration: .init(address: .hostname("127.0.0.1", port: port)))
            try await app.runService()
            return
        }
        let concurrencies = arguments.contains("--c256") ? [1, 64, 256] : [1, 64]

        let upstreamApp = Application(router: MockUpstream.router(events: 20, gap: .zero),
                                      configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { channel in await Ports.shared.setUpstream(channel.localAddress?.port ?? 0) })
        let upstreamTask = Task { try await upstreamApp.run() }
        let upstreamPort = await Ports.shared.waitUpstream()

        // Flags after `--` go to `ccglass serve` (e.g. `-- --no-history` to see what recording costs).
        let serveFlags = arguments.firstIndex(of: "--").map { Array(arguments[($0 + 1)...]) } ?? []
        let proxy = try CCGlassProcess.start(upstream: "http://127.0.0.1:\(upstreamPort)", extraArguments: serveFlags)
        defer { proxy.stop() }
        try await Task.sleep(for: .milliseconds(300))
        let idle = ProcessMemory.rss(pid: proxy.pid)

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let direct = "http://127.0.0.1:\(upstreamPort)/v1/messages"
        let proxied = "http://127.0.0.1:\(proxy.port)/anthropic/v1/messages"
        let load = Load(client: client)

        print("ccglass-bench: direct = mock upstream on :\(upstreamPort); proxied = ccglass (pid \(proxy.pid)) on :\(proxy.port)")
        print("idle RSS of ccglass: \(idle.current / 1024) MB\n")

        // Warm both paths (connection pools, code paths).
        _ = try await load.ttfb(url: direct, streaming: true, concurrency: 8, total: 400)
        _ = try await load.ttfb(url: proxied, streaming: true, concurrency: 8, total: 400)

        print("Time to first byte, streamed requests (20 SSE events each)")
        print("conc   direct p50   direct p99   ccglass p50  ccglass p99  added p50    added p99")
        for concurrency in concurrencies {
            let total = quick ? 200 : (concurrency == 1 ? 2000 : 6400)
            // Interleave rounds so drift on the machine hits both sides alike.
            var d = Samples(), p = Samples()
            for _ in 0..<4 {
                d.add(contentsOf: try await load.ttfb(url: direct, streaming: true, concurrency: concurrency, total: total / 4))
                p.add(contentsOf: try await load.ttfb(url: proxied, streaming: true, concurrency: concurrency, total: total / 4))
            }
            print(String(format: "%4d   %@  %@  %@  %@  %@  %@", concurrency,
                         ms(d.p50).padding(toLength: 11, withPad: " ", startingAt: 0), ms(d.p99).padding(toLength: 11, withPad: " ", startingAt: 0),
                         ms(p.p50).padding(toLength: 11, withPad: " ", startingAt: 0), ms(p.p99).padding(toLength: 11, withPad: " ", startingAt: 0),
                         ms(p.p50 - d.p50).padding(toLength: 11, withPad: " ", startingAt: 0), ms(p.p99 - d.p99)))
            if !(d.errors + p.errors).isEmpty {
                print("       errors: direct \(d.errors.count), ccglass \(p.errors.count): \(Set(d.errors + p.errors).prefix(3).joined(separator: "; "))")
            }
        }

        print("\nPer-event delivery (upstream write → client read), 20 events/stream, concurrency 1")
        let eventsDirect = try await load.eventLag(url: direct, streams: quick ? 20 : 200)
        let eventsProxied = try await load.eventLag(url: proxied, streams: quick ? 20 : 200)
        print("direct p50 \(ms(eventsDirect.p50)) p99 \(ms(eventsDirect.p99)); ccglass p50 \(ms(eventsProxied.p50)) p99 \(ms(eventsProxied.p99)); added p50 \(ms(eventsProxied.p50 - eventsDirect.p50)) p99 \(ms(eventsProxied.p99 - eventsDirect.p99))")

        print("\nThroughput, small non-streamed requests, concurrency 64, \(quick ? 2 : 5) s each")
        let seconds = quick ? 2.0 : 5.0
        let rpsDirect = try await load.throughput(url: direct, concurrency: 64, seconds: seconds)
        let rpsProxied = try await load.throughput(url: proxied, concurrency: 64, seconds: seconds)
        print(String(format: "direct %.0f req/s; ccglass %.0f req/s (%.0f%% of direct)", rpsDirect, rpsProxied, rpsProxied / rpsDirect * 100))

        let after = ProcessMemory.rss(pid: proxy.pid)
        print("\nRSS of ccglass: idle \(idle.current / 1024) MB, now \(after.current / 1024) MB, peak \(after.peak / 1024) MB")

        try await client.shutdown()
        upstreamTask.cancel()
    }
}

actor Ports {
    static let shared = Ports()
    private var upstream: Int?

    func setUpstream(_ port: Int) { upstream = port }

    func waitUpstream() async -> Int {
        while upstream == nil { try? await Task.sleep(for: .milliseconds(10)) }
        return upstream!
    }
}
