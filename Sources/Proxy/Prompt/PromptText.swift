/// What the human typed, told apart from the harness's own additions: Claude Code (2.1.x) wraps context
/// in `<system-reminder>` blocks and slash commands in `<command-…>` tags; neither is a prompt.
public enum PromptText {
    /// Blocks the agent adds around the prompt (`<system-reminder>…`, `<command-name>…`), not typed by a person.
    public static func isHarnessText(_ text: String) -> Bool {
        let trimmed = text.drop { $0.isWhitespace }
        return trimmed.hasPrefix("<system-reminder>") || trimmed.hasPrefix("<command-") || trimmed.hasPrefix("<local-command-")
            || trimmed.hasPrefix("Caveat: The messages below were generated")
    }

    /// The first `limit` characters, on one line.
    public static func preview(_ text: String, limit: Int = 200) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }
}
