/// Names the agent or SDK behind a request from its User-Agent. The set of names is fixed, so it is safe
/// as a metric label.
package enum ClientIdentity {
    static let known: [(prefix: String, client: String)] = [
        ("claude-cli/", "claude-code"),
        ("claude-code/", "claude-code"),
        ("codex_cli_rs/", "codex"),
        ("codex_exec/", "codex"),
        ("codex/", "codex"),
        ("opencode/", "opencode"),
        ("geminicli/", "gemini-cli"),
        ("google-genai-sdk/", "google-genai"),
        ("anthropic/python", "anthropic-python"),
        ("anthropic/js", "anthropic-js"),
        ("asyncanthropic/python", "anthropic-python"),
        ("openai/python", "openai-python"),
        ("asyncopenai/python", "openai-python"),
        ("openai/js", "openai-js"),
        ("curl/", "curl"),
        ("python-httpx/", "python"),
        ("python-requests/", "python"),
        ("python-urllib/", "python"),
        ("go-http-client/", "go"),
        ("node", "node"),
    ]

    /// Every value `client(userAgent:)` can return.
    package static let all: [String] = Array(Set(known.map(\.client))).sorted() + ["other", "unknown"]

    package static func client(userAgent: String?) -> String {
        guard let ua = userAgent?.lowercased(), !ua.isEmpty else { return "unknown" }
        return known.first { ua.hasPrefix($0.prefix) }?.client ?? "other"
    }
}
