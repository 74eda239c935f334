import ArgumentParser
import Exporters
import Foundation
import Proxy
import Web

/// One wrapped agent run: find or start a listener, point the agent at it, run the agent on this
/// terminal, then summarise what it sent.
struct WrapperRun {
    let preset: AgentPreset
    let options: WrapperOptions
    let runID = UUID().uuidString.lowercased()

    func run() async throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let override = environment["CCGLASS_\(preset.name.uppercased())_BIN"]
        guard let executable = ChildProcess.locate(override ?? preset.binary) else {
            FileHandle.standardError.write(Data("ccglass: \(override ?? preset.binary) not found on PATH; \(preset.installHint)\n".utf8))
            return 127
        }
        let upstreams = try await detectUpstreams()
        let home = Home.directory(override: options.dataDir)

        // Share a running `ccglass serve` when it sends this provider where we would; else listen privately.
        var listenerBase: String
        var server: Task<Void, any Error>?
        let stopper = ListenerStopper()
        var stack: Stack?
        if !options.noDaemon, let daemon = await DaemonProbe.health(port: options.port), daemon.mode == "daemon",
           upstreams.allSatisfy({ daemon.upstreams[$0.provider] == $0.url.absoluteString }) {
            listenerBase = "http://127.0.0.1:\(options.port)/_run/\(runID)"
        } else {
            var arguments = ["--port", "0", "--log-level", "warning"]
            if let dataDir = options.dataDir { arguments += ["--data-dir", dataDir] }
            for upstream in upstreams { arguments += ["--upstream", "\(upstream.provider)=\(upstream.url.absoluteString)"] }
            let privateStack = try Stack(options: try ListenerOptions.parse(arguments), runID: runID)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            server = Task { try await privateStack.run(mode: "wrapper", stopper: stopper) { continuation.yield($0) } }
            var bound: Int?
            for await port in ports { bound = port; break }
            guard let port = bound else { throw ValidationError("ccglass could not start its listener") }
            listenerBase = "http://127.0.0.1:\(port)"
            stack = privateStack
        }

        var childEnvironment = ["CCGLASS_RUN_ID": runID]
        for route in preset.routes {
            childEnvironment[route.variable] = "\(listenerBase)/\(route.provider)\(route.path)"
        }
        var arguments = options.agentArguments
        if preset.isClaudeCode {
            arguments = claudeCodeArguments(baseURL: childEnvironment["ANTHROPIC_BASE_URL"]!, home: home) + arguments
        }
        if !options.quiet {
            let watched = upstreams.map { "\($0.url.absoluteString)\($0.source.map { " (from \($0))" } ?? "")" }.joined(separator: ", ")
            let dashboard = listenerBase.components(separatedBy: "/_run/").first ?? listenerBase
            note("ccglass: watching \(preset.binary) → \(watched) · dashboard \(dashboard)/?token=\(DashboardAccess.token(home: home))")
        }

        let code = try await ChildProcess.run(executable: executable, arguments: arguments, environment: childEnvironment)

        if let server {
            await stopper.stop()
            _ = try? await server.value
        }
        if !options.quiet {
            note(await RunSummary.paragraph(runID: runID, history: stack?.history ?? Self.openStore(home: home), waitForDaemon: stack == nil))
        }
        return code
    }

    /// The upstream of each route: `--upstream`, else what Claude Code's settings or the environment
    /// name (unless that is ccglass itself), else the provider's preset.
    func detectUpstreams() async throws -> [(provider: String, url: URL, source: String?)] {
        var result: [(String, URL, String?)] = []
        let presets = ProviderTable()
        for route in preset.routes {
            guard let provider = presets[route.provider] else { throw ValidationError("unknown provider \(route.provider)") }
            if let explicit = options.upstream {
                guard let url = UpstreamDetection.url(explicit) else { throw ValidationError("--upstream must be an http(s) URL") }
                result.append((route.provider, url, "--upstream"))
            } else if preset.name == "claude", let found = UpstreamDetection().find(route.variable), !(await DaemonProbe.isCCGlass(found.url)) {
                result.append((route.provider, found.url, found.source))
            } else {
                result.append((route.provider, provider.upstream, nil))
            }
        }
        return result
    }

    /// Claude Code reads its base URL from settings files before the environment, so the URL also goes
    /// in `--settings`; and the ccglass MCP server is registered for this run.
    func claudeCodeArguments(baseURL: String, home: URL) -> [String] {
        var arguments: [String] = []
        if !options.noSettingsOverride {
            arguments += ["--settings", JSON.text(["env": ["ANTHROPIC_BASE_URL": baseURL]])!]
        }
        if !options.noMCP {
            let server: [String: Any] = ["type": "stdio", "command": Self.executablePath,
                                         "args": ["mcp", "--data-dir", home.path], "env": ["CCGLASS_RUN_ID": runID]]
            arguments += ["--mcp-config", JSON.text(["mcpServers": ["ccglass": server]])!]
        }
        return arguments
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func openStore(home: URL) -> HistoryStore? {
        let url = HistoryStore.defaultURL(home: home)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try? HistoryStore(url: url)
    }

    func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
