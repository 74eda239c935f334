import Foundation

/// A request that continues an earlier response (Responses `previous_response_id`, as Codex sends on a
/// WebSocket) carries only its new input; the model saw the earlier requests and replies too. The
/// history rebuilds that whole conversation from the exchanges it continues, and marks what was sent.
extension Prompt {
    /// This request after `earlier`, the conversation up to and including the reply it continues.
    /// Tools carry over when this request names none (Codex sends its tools once, as an input item).
    package func continuing(_ earlier: Prompt) -> Prompt {
        var whole = self
        whole.messages = earlier.messages + messages
        whole.earlierMessages = earlier.messages.count
        if tools.isEmpty, !earlier.tools.isEmpty {
            whole.tools = earlier.tools
            whole.earlierTools = true
        }
        return whole
    }

    /// The conversation the next request continues: this prompt as the model saw it, then `reply`.
    package func followed(by reply: [PromptMessage]) -> Prompt {
        var next = self
        next.messages += reply
        next.earlierMessages = nil
        next.earlierTools = nil
        return next
    }
}

extension Exchange {
    /// The prompt as the model saw it: `earlier`, when the history rebuilt it, then what this request sent.
    package var conversation: Prompt? {
        guard let prompt else { return nil }
        return earlier.map(prompt.continuing) ?? prompt
    }

    /// What the next request continuing this exchange's response starts from.
    package var conversationAfter: Prompt? {
        guard let conversation, let format else { return nil }
        return conversation.followed(by: format.format.reply(response: responseBody, summary: response))
    }
}
