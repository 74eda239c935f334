/// What the human typed, told apart from the harness's own additions: Claude Code (2.1.x) wraps context
/// in `<system-reminder>` blocks and slash commands in `<command-…>` tags; neither is a prompt.
package enum PromptText {
    /// Blocks the agent adds around the prompt (`<system-reminder>…`, `<command-name>…`), not typed by a person.
    package static func isHarnessText(_ text: String) -> Bool {
        let trimmed = text.drop { $0.isWhitespace }
        return trimmed.hasPrefix("<system-reminder>") || trimmed.hasPrefix("<command-") || trimmed.hasPrefix("<local-command-")
            || trimmed.hasPrefix("Caveat: The messages below were generated")
            || trimmed.hasPrefix(ClaudeCodeStructure.compactionStart)  // Claude Code's ask for a summary
    }

    /// The first `limit` characters, on one line (each run of line breaks one space, none at the ends).
    /// Reads only as far as it needs: a 50 KB prompt split whole took most of its record's parse.
    package static func preview(_ text: String, limit: Int = 200) -> String {
        var flat = ""
        var count = 0
        var lineBreak = false
        for character in text {
            if character.isNewline {
                lineBreak = count > 0
                continue
            }
            // One more character than `limit` fit: cut, and say so.
            if count + (lineBreak ? 2 : 1) > limit { return String(flat.prefix(max(limit - 1, 0))) + "…" }
            if lineBreak { flat.append(" ") }
            flat.append(character)
            count += lineBreak ? 2 : 1
            lineBreak = false
        }
        return flat
    }
}
