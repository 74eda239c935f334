import Proxy

/// A coding agent ccglass knows how to wrap: which binary, which provider, which variables point it at
/// ccglass.
struct AgentPreset {
    /// The `ccglass <name>` subcommand.
    let name: String
    /// Executable looked up on PATH (override with `CCGLASS_<NAME>_BIN`).
    let binary: String
    /// Provider routes the agent talks to, and the variable that holds each base URL.
    let routes: [Route]
    /// Claude Code takes `--settings` and `--mcp-config`.
    let isClaudeCode: Bool
    let installHint: String

    struct Route {
        let provider: String
        let variable: String
        /// Path after `/<provider>` the agent expects in its base URL (`/v1` for OpenAI clients,
        /// `/anthropic` for the Anthropic-compatible endpoints of DeepSeek and Moonshot).
        let path: String
    }

    static let claude = AgentPreset(
        name: "claude", binary: "claude",
        routes: [Route(provider: "anthropic", variable: "ANTHROPIC_BASE_URL", path: "")], isClaudeCode: true,
        installHint: "install Claude Code: npm install -g @anthropic-ai/claude-code")
    static let codex = AgentPreset(
        name: "codex", binary: "codex",
        routes: [Route(provider: "openai", variable: "OPENAI_BASE_URL", path: "/v1")], isClaudeCode: false,
        installHint: "install Codex: npm install -g @openai/codex")
    static let deepseek = AgentPreset(
        name: "deepseek", binary: "claude",
        routes: [Route(provider: "deepseek", variable: "ANTHROPIC_BASE_URL", path: "/anthropic")], isClaudeCode: true,
        installHint: "`ccglass deepseek` runs Claude Code against DeepSeek: npm install -g @anthropic-ai/claude-code")
    static let kimi = AgentPreset(
        name: "kimi", binary: "claude",
        routes: [Route(provider: "moonshot", variable: "ANTHROPIC_BASE_URL", path: "/anthropic")], isClaudeCode: true,
        installHint: "`ccglass kimi` runs Claude Code against Moonshot's Kimi: npm install -g @anthropic-ai/claude-code")
    static let opencode = AgentPreset(
        name: "opencode", binary: "opencode",
        routes: [Route(provider: "anthropic", variable: "ANTHROPIC_BASE_URL", path: ""),
                 Route(provider: "openai", variable: "OPENAI_BASE_URL", path: "/v1")], isClaudeCode: false,
        installHint: "install opencode: npm install -g opencode-ai")

    /// `ccglass run --provider P [--env-var NAME] -- CMD …`.
    static func generic(command: String, provider: Provider, variable: String?) -> AgentPreset {
        AgentPreset(name: "run", binary: command,
                    routes: [Route(provider: provider.name, variable: variable ?? provider.baseURLVariable, path: provider.clientBasePath)],
                    isClaudeCode: false, installHint: "check the command name and your PATH")
    }
}
