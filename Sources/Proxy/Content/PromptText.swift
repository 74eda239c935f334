/// What the human typed, found in a request body among the harness's own additions: Claude Code wraps
/// context in `<system-reminder>` blocks and sends tool results as user turns; neither is a prompt.
public enum PromptText {
    /// The user's prompts in order, from a parsed Anthropic, Chat Completions or Responses request.
    public static func userPrompts(in request: JSONObject) -> [String] {
        let messages = (request["messages"] as? [Any]) ?? (request["input"] as? [Any]) ?? []
        var prompts: [String] = []
        if let single = request["input"] as? String { prompts.append(single) }
        for case let message as JSONObject in messages {
            guard message.string("role") == "user" else { continue }
            let text = texts(message["content"]).filter { !isHarnessText($0) }.joined(separator: "\n")
            if !text.isEmpty { prompts.append(text) }
        }
        return prompts
    }

    /// Text pieces of a message's content: a string, or `text` / `input_text` blocks (tool results skipped).
    static func texts(_ content: Any?) -> [String] {
        if let string = content as? String { return [string] }
        guard let blocks = content as? [Any] else { return [] }
        return blocks.compactMap { block in
            guard let block = block as? JSONObject else { return nil }
            switch block.string("type") {
            case "text", "input_text": return block.string("text")
            default: return nil
            }
        }
    }

    /// Blocks the agent adds around the prompt (`<system-reminder>…`, `<command-name>…`), not typed by a person.
    static func isHarnessText(_ text: String) -> Bool {
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
