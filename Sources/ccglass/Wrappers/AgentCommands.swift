import ArgumentParser
import Foundation
import Proxy

/// `ccglass claude|codex|gemini|deepseek|kimi|opencode [ccglass options] [agent arguments…]`.
protocol AgentCommand: AsyncParsableCommand {
    static var preset: AgentPreset { get }
    var arguments: [String] { get }
}

extension AgentCommand {
    func run() async throws {
        let options = try WrapperOptions.parse(arguments)
        let code = try await WrapperRun(preset: Self.preset, options: options).run()
        throw ExitCode(code)
    }

    static func wrapperConfiguration(_ abstract: String) -> CommandConfiguration {
        CommandConfiguration(commandName: preset.name, abstract: abstract, discussion: WrapperOptions.help)
    }
}

struct ClaudeCommand: AgentCommand {
    static let preset = AgentPreset.claude
    static let configuration = wrapperConfiguration("Run Claude Code through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then Claude Code's arguments.") var arguments: [String] = []
}

struct CodexCommand: AgentCommand {
    static let preset = AgentPreset.codex
    static let configuration = wrapperConfiguration("Run Codex through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then Codex's arguments.") var arguments: [String] = []
}

struct GeminiCommand: AgentCommand {
    static let preset = AgentPreset.gemini
    static let configuration = wrapperConfiguration("Run the Gemini CLI through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then the Gemini CLI's arguments.") var arguments: [String] = []
}

struct DeepSeekCommand: AgentCommand {
    static let preset = AgentPreset.deepseek
    static let configuration = wrapperConfiguration("Run Claude Code against DeepSeek's Anthropic-compatible API, through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then Claude Code's arguments.") var arguments: [String] = []
}

struct KimiCommand: AgentCommand {
    static let preset = AgentPreset.kimi
    static let configuration = wrapperConfiguration("Run Claude Code against Moonshot's Kimi (Anthropic-compatible endpoint), through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then Claude Code's arguments.") var arguments: [String] = []
}

struct OpencodeCommand: AgentCommand {
    static let preset = AgentPreset.opencode
    static let configuration = wrapperConfiguration("Run opencode through ccglass.")
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then opencode's arguments.") var arguments: [String] = []
}

/// `ccglass run --provider P [--env-var NAME] [ccglass options] -- CMD [args…]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run any command with a provider's base-URL variable pointed at ccglass.",
        discussion: "Example: ccglass run --provider openai -- python my_agent.py\n\n" + WrapperOptions.help)

    @Option(help: "Provider route: anthropic, openai, deepseek, moonshot, openrouter, ollama.") var provider: String
    @Option(help: "Variable to set (default: the provider's usual one, e.g. OPENAI_BASE_URL).") var envVar: String?
    @Argument(parsing: .captureForPassthrough, help: "ccglass options, then `--`, then the command.") var arguments: [String] = []

    func run() async throws {
        guard let known = ProviderTable()[provider] else {
            throw ValidationError("unknown provider '\(provider)'; known: \(ProviderTable().names.joined(separator: ", "))")
        }
        var options = try WrapperOptions.parse(arguments)
        guard let command = options.agentArguments.first else { throw ValidationError("give the command to run after --") }
        options.agentArguments.removeFirst()
        let code = try await WrapperRun(preset: .generic(command: command, provider: known, variable: envVar), options: options).run()
        throw ExitCode(code)
    }
}
