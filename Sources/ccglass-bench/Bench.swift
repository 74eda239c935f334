@preconcurrency import Glibc
import Foundation
import Hummingbird
import Logging

/// `ccglass-bench`: what ccglass costs, measured against a direct connection in the same run (`usage`
/// below lists the modes). It spawns the `ccglass` binary built beside it.
@main
struct Bench {
    static func main() async throws {
        setvbuf(stdout, nil, _IOLBF, 0)  // figures appear as they are measured, also when piped to a file
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        func number(after word: String, _ offset: Int, default value: Int) -> Int {
            guard let index = arguments.firstIndex(of: word) else { return value }
            return arguments.dropFirst(index + offset).first.flatMap(Int.init) ?? value
        }
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
        } else if arguments.contains("parse") {
            ParseBench.run()
        } else if arguments.contains("store") {
            try StoreBench.run(quick: quick)
        } else if let index = arguments.firstIndex(of: "seed") {
            let home = URL(fileURLWithPath: arguments[index + 1])
            try StoreBench.seed(home: home, session: arguments[index + 2], count: Int(arguments[index + 3]) ?? 10_000)
        } else if arguments.contains("mock") {
            let app = Application(router: MockUpstream.router(events: number(after: "mock", 2, default: 20),
                                                              gap: .milliseconds(number(after: "mock", 3, default: 0))),
                                  configuration: .init(address: .hostname("127.0.0.1", port: number(after: "mock", 1, default: 9100))))
            try await app.runService()
        } else if arguments.contains("load") {
            try await LoadBench.run(connections: number(after: "load", 1, default: 500),
                                    seconds: number(after: "load", 2, default: 60))
        } else {
            // Flags after `--` go to `ccglass serve` (e.g. `-- --no-history` to see what recording costs).
            let serveFlags = arguments.firstIndex(of: "--").map { Array(arguments[($0 + 1)...]) } ?? []
            let against = arguments.firstIndex(of: "--against").flatMap { arguments.dropFirst($0 + 1).first }
            let promptBytes = (arguments.firstIndex(of: "--prompt-kb").flatMap { arguments.dropFirst($0 + 1).first }.flatMap(Int.init) ?? 0) << 10
            try await Comparison.run(quick: quick, latencyOnly: arguments.contains("latency"), serveFlags: serveFlags, against: against,
                                     promptBytes: promptBytes)
        }
    }
}

let usage = """
    ccglass-bench: direct vs through ccglass vs peer proxies, against the same local upstream, in one run.
    Build ccglass and ccglass-bench in the same configuration (swift build -c release) first.

      ccglass-bench [--quick] [-- serve flags]    latency, throughput and memory against peers
      ccglass-bench latency [-- serve flags]      only time to first byte at concurrency 1, more samples
      … --against PATH                            also run another ccglass build, for an A/B in one run
      … --prompt-kb N                             requests carry an N KB prompt (default: a chatty turn's few words)
      ccglass-bench load [CONNECTIONS] [SECONDS]  sustained concurrent streams: errors, recording, RSS
      ccglass-bench store [--quick]               history size, insert rate, report latency
      ccglass-bench parse                         what parsing costs: request bodies by size, streamed events
      ccglass-bench mock [PORT] [EVENTS] [GAP_MS] just the upstream, for wrk and hyperfine
      ccglass-bench seed HOME SESSION COUNT       a history with COUNT exchanges (dashboard tests)
    """

/// The mock upstream, started in this process on a free port.
struct LocalUpstream {
    let port: Int
    let task: Task<Void, Error>

    static func start(events: Int, gap: Duration) async -> LocalUpstream {
        let ports = Ports()
        var logger = Logger(label: "mock-upstream")
        logger.logLevel = .critical  // its shutdown on cancel logs an error that is not one
        let app = Application(router: MockUpstream.router(events: events, gap: gap),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in await ports.set(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let task = Task { try await app.run() }
        return LocalUpstream(port: await ports.wait(), task: task)
    }
}

actor Ports {
    private var port: Int?

    func set(_ port: Int) { self.port = port }

    func wait() async -> Int {
        while port == nil { try? await Task.sleep(for: .milliseconds(10)) }
        return port!
    }
}
