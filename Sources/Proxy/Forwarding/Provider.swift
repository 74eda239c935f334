import Foundation

/// An upstream LLM API that ccglass forwards to, reached under `/<name>/…` on the listener.
package struct Provider: Sendable, Equatable {
    /// Route prefix and label, e.g. `anthropic`.
    package let name: String
    /// Where requests go; a base path (`https://host/anthropic`) is kept and prepended.
    package var upstream: URL
    /// `gen_ai.provider.name` from the OpenTelemetry GenAI conventions.
    package let otelName: String
    /// Environment variable a client reads its base URL from, e.g. `ANTHROPIC_BASE_URL`.
    package let baseURLVariable: String
    /// Path clients append to the base URL themselves (OpenAI clients expect `/v1` in it).
    package let clientBasePath: String

    package init(name: String, upstream: URL, otelName: String, baseURLVariable: String, clientBasePath: String = "") {
        self.name = name
        self.upstream = upstream
        self.otelName = otelName
        self.baseURLVariable = baseURLVariable
        self.clientBasePath = clientBasePath
    }

    /// Base URL a client should use to reach this provider through ccglass at `listener`.
    package func clientBaseURL(listener: String) -> String {
        "\(listener)/\(name)\(clientBasePath)"
    }

    /// Where a request for `target` goes: `https://host/base` + `/v1/messages?beta=true`, both byte for byte.
    package func upstreamURL(_ target: Substring) -> String {
        Self.join(upstream.absoluteString, target)
    }

    /// `base` without its trailing slashes, then `target` byte for byte (`/` when `target` is empty).
    static func join(_ base: String, _ target: Substring) -> String {
        var root = base
        while root.hasSuffix("/") { root.removeLast() }
        return target.isEmpty ? root + "/" : root + target
    }

    /// `host` of the real upstream, for `server.address`.
    package var serverAddress: String { upstream.host ?? "" }

    /// Port of the real upstream, for `server.port`.
    package var serverPort: Int {
        upstream.port ?? (upstream.scheme == "http" ? 80 : 443)
    }
}

extension Provider {
    /// The providers ccglass knows out of the box.
    package static let presets: [Provider] = [
        Provider(name: "anthropic", upstream: URL(string: "https://api.anthropic.com")!,
                 otelName: "anthropic", baseURLVariable: "ANTHROPIC_BASE_URL"),
        Provider(name: "openai", upstream: URL(string: "https://api.openai.com")!,
                 otelName: "openai", baseURLVariable: "OPENAI_BASE_URL", clientBasePath: "/v1"),
        // Codex signed in with ChatGPT (`chatgpt_base_url`): `/codex/responses` and its other calls.
        Provider(name: "chatgpt", upstream: URL(string: "https://chatgpt.com/backend-api")!,
                 otelName: "openai", baseURLVariable: "CHATGPT_BASE_URL"),
        Provider(name: "deepseek", upstream: URL(string: "https://api.deepseek.com")!,
                 otelName: "deepseek", baseURLVariable: "DEEPSEEK_BASE_URL", clientBasePath: "/v1"),
        Provider(name: "moonshot", upstream: URL(string: "https://api.moonshot.ai")!,
                 otelName: "moonshot_ai", baseURLVariable: "MOONSHOT_BASE_URL", clientBasePath: "/v1"),
        Provider(name: "openrouter", upstream: URL(string: "https://openrouter.ai/api")!,
                 otelName: "openrouter", baseURLVariable: "OPENROUTER_BASE_URL", clientBasePath: "/v1"),
        Provider(name: "ollama", upstream: URL(string: "http://127.0.0.1:11434")!,
                 otelName: "ollama", baseURLVariable: "OLLAMA_HOST"),
        Provider(name: "gemini", upstream: URL(string: "https://generativelanguage.googleapis.com")!,
                 otelName: "gcp.gemini", baseURLVariable: "GOOGLE_GEMINI_BASE_URL"),
        // The Gemini CLI signed in with a Google account: the same API wrapped (`/v1internal:…`).
        Provider(name: "code-assist", upstream: URL(string: "https://cloudcode-pa.googleapis.com")!,
                 otelName: "gcp.gemini", baseURLVariable: "CODE_ASSIST_ENDPOINT"),
    ]
}
