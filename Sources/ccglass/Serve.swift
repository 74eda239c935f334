import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Proxy
import Web

/// `ccglass serve`: the long-lived daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the proxy, dashboard and /metrics on one loopback port.")

    @OptionGroup var listener: ListenerOptions

    func run() async throws {
        let stack = try Stack(options: listener)
        try await stack.runReportingBindFailure { port in
            stack.printBanner(port: port)
        }
    }
}

/// Options every command that starts a listener shares.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8123

    @Option(help: "Address to bind. Anything but loopback exposes your API traffic to the network.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("upstream"), help: ArgumentHelp("Point a provider at another URL, e.g. anthropic=https://gateway.example.com. Repeatable.", valueName: "PROVIDER=URL"))
    var upstreams: [String] = []

    @Option(help: "Data directory (default $CCGLASS_HOME or ~/.ccglass).")
    var dataDir: String?

    @Option(help: "Seconds of upstream silence before a request fails.")
    var readTimeout: Int = 600

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"
}
