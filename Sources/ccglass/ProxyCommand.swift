import ArgumentParser
import Foundation
import Proxy

/// `ccglass proxy --provider P`: the base URL to paste into an IDE, and a listener behind it.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Print the base URL for an IDE or tool, and keep a listener up behind it.")

    @Option(help: "Provider route.") var provider: String = "anthropic"
    @OptionGroup var listener: ListenerOptions

    func run() async throws {
        var providers = ProviderTable()
        for spec in listener.upstreams { try providers.apply(override: spec) }
        guard let known = providers[provider] else {
            throw ValidationError("unknown provider '\(provider)'; known: \(providers.names.joined(separator: ", "))")
        }
        if let daemon = await DaemonProbe.health(port: listener.port), daemon.mode == "daemon" {
            print(known.clientBaseURL(listener: "http://127.0.0.1:\(listener.port)"))
            FileHandle.standardError.write(Data("ccglass: using the ccglass already serving on port \(listener.port)\n".utf8))
            return
        }
        let stack = try Stack(options: listener)
        try await stack.runReportingBindFailure { port in
            print(known.clientBaseURL(listener: "http://\(listener.host):\(port)"))
            FileHandle.standardError.write(Data("ccglass: set \(known.baseURLVariable) (or your tool's base URL) to the line above; Ctrl-C stops.\n".utf8))
        }
    }
}
