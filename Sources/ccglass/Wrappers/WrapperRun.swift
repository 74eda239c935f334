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
        let budgets: Budgets
        do {
            budgets = try Budgets.load(home: home).overridden(by: options.budgets)
        } catch let error as Budgets.ConfigError {
            throw ValidationError(error.description)
        }

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
            for period in BudgetState.Period.allCases {
                if let usd = budgets[period] { arguments += ["--budget-\(period.rawValue)", String(usd)] }
            }
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
            // A base URL from Codex's configuration is whole: its own path (`/v1`, `/api/v1`) comes from there.
            let fromCodexConfig = preset.agent == .codex && route.provider == "openai"
                && upstreams.contains { $0.provider == "openai" && $0.source != nil && $0.source == codexConfig.source }
            let path = fromCodexConfig ? "" : route.path
            childEnvironment[route.variable] = "\(listenerBase)/\(route.provider)\(path)"
        }
        var arguments = options.agentArguments
        var temporarySettings: URL?
        defer { temporarySettings.map { try? FileManager.default.removeItem(at: $0) } }
        switch preset.agent {
        case .claudeCode:
            arguments = claudeCodeArguments(baseURL: childEnvironment["ANTHROPIC_BASE_URL"]!, home: home) + arguments
        case .codex:
            arguments = codexArguments(openAI: childEnvironment["OPENAI_BASE_URL"]!, chatGPT: childEnvironment["CHATGPT_BASE_URL"]!,
                                       home: home, config: codexConfig) + Self.withoutBaseURL(arguments, config: codexConfig)
        case .gemini:
            let config = GeminiConfig()
            if !config.usesGeminiAPI { childEnvironment[GeminiConfig.baseURLVariable] = nil }
            if !options.noMCP {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("ccglass-gemini-\(runID).json")
                do {
                    try config.writeSystemSettings(to: file, server: mcpServer(home: home))
                    temporarySettings = file
                    childEnvironment[GeminiConfig.systemSettingsVariable] = file.path
                } catch {
                    note("ccglass: \(error)")
                }
            }
        case .other:
            break
        }
        if !options.quiet {
            var watched: [String] = []
            // Only the routes the agent was handed: a signed-in Gemini CLI never reaches the Gemini API.
            let handed = Set(preset.routes.filter { childEnvironment[$0.variable] != nil }.map(\.provider))
            for upstream in upstreams where handed.contains(upstream.provider) {
                let text = "\(upstream.url.absoluteString)\(upstream.source.map { " (from \($0))" } ?? "")"
                if !watched.contains(text) { watched.append(text) }
            }
            let dashboard = listenerBase.components(separatedBy: "/_run/").first ?? listenerBase
            note("ccglass: watching \(preset.binary) → \(watched.joined(separator: ", ")) · dashboard \(dashboard)/?token=\(DashboardAccess.token(home: home))")
        }

        let code = try await ChildProcess.run(executable: executable, arguments: arguments, environment: childEnvironment)

        if let server {
            await stopper.stop()
            _ = try? await server.value
        }
        if !options.quiet {
            note(await RunSummary.paragraph(runID: runID, history: stack?.history ?? Self.openStore(home: home), waitForDaemon: stack == nil, budgets: budgets))
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
            } else if preset.agent == .codex, route.provider == "openai", let url = codexConfig.baseURL, !(await DaemonProbe.isCCGlass(url)) {
                result.append((route.provider, url, codexConfig.source))
            } else if preset.agent == .gemini, let value = ProcessInfo.processInfo.environment[route.variable],
                      let url = UpstreamDetection.url(value), !(await DaemonProbe.isCCGlass(url)) {
                result.append((route.provider, url, "$\(route.variable)"))
            } else {
                result.append((route.provider, provider.upstream, nil))
            }
        }
        return result
    }

    var codexConfig: CodexConfig {
        CodexConfig(arguments: options.agentArguments, codexHome: CodexConfig.codexHome(environment: ProcessInfo.processInfo.environment))
    }

    /// Codex takes its base URLs and MCP servers only as configuration: `-c` pairs ahead of the user's
    /// arguments (they apply to every subcommand). A custom provider keeps its name, its `base_url` now ours.
    func codexArguments(openAI: String, chatGPT: String, home: URL, config: CodexConfig) -> [String] {
        let baseKey = config.customProvider.map { "model_providers.\($0).base_url" } ?? "openai_base_url"
        let signedIn = CodexConfig.signedInWithChatGPT(codexHome: CodexConfig.codexHome(environment: ProcessInfo.processInfo.environment))
        // Signed in with ChatGPT, Codex's model calls go to chatgpt.com/backend-api/codex, unless the
        // user named a base URL of their own: `openai_base_url` replaces that default too (Codex 0.147).
        let modelBase = signedIn && config.baseURL == nil ? chatGPT + "/codex" : openAI
        var pairs = [(baseKey, CodexConfig.tomlString(modelBase))]
        // Its other calls (plugins, settings) follow `chatgpt_base_url`; with an API key that route stays unused.
        if signedIn { pairs.append(("chatgpt_base_url", CodexConfig.tomlString(chatGPT))) }
        if !options.noMCP {
            let args = ["mcp", "--data-dir", home.path].map(CodexConfig.tomlString).joined(separator: ", ")
            pairs += [("mcp_servers.ccglass.command", CodexConfig.tomlString(Self.executablePath)),
                      ("mcp_servers.ccglass.args", "[\(args)]"),
                      ("mcp_servers.ccglass.env", "{ CCGLASS_RUN_ID = \(CodexConfig.tomlString(runID)) }")]
        }
        return pairs.flatMap { ["-c", "\($0.0)=\($0.1)"] }
    }

    /// The user's arguments without the base URL ccglass took over as the upstream (a later `-c` would
    /// win over ccglass's own).
    static func withoutBaseURL(_ arguments: [String], config: CodexConfig) -> [String] {
        let key = config.customProvider.map { "model_providers.\($0).base_url" } ?? "openai_base_url"
        var kept: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let next = index + 1 < arguments.endIndex ? arguments[index + 1] : nil
            if argument == "-c" || argument == "--config", let next, CodexConfig.overrides([argument, next]).first?.0 == key {
                index += 2
                continue
            }
            if argument.hasPrefix("--config="), CodexConfig.overrides([argument]).first?.0 == key {
                index += 1
                continue
            }
            kept.append(argument)
            index += 1
        }
        return kept
    }

    /// Claude Code reads its base URL from settings files before the environment, so the URL also goes
    /// in `--settings`; and the ccglass MCP server is registered for this run.
    func claudeCodeArguments(baseURL: String, home: URL) -> [String] {
        var arguments: [String] = []
        if !options.noSettingsOverride {
            arguments += ["--settings", JSON.text(["env": ["ANTHROPIC_BASE_URL": baseURL]])!]
        }
        if !options.noMCP {
            var server = mcpServer(home: home)
            server["type"] = "stdio"
            arguments += ["--mcp-config", JSON.text(["mcpServers": ["ccglass": server]])!]
        }
        return arguments
    }

    /// The ccglass MCP server as agents' settings spell one, tied to this run.
    func mcpServer(home: URL) -> [String: Any] {
        ["command": Self.executablePath, "args": ["mcp", "--data-dir", home.path], "env": ["CCGLASS_RUN_ID": runID]]
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
