import Foundation

/// Where a Claude Code request sits in its session, read from the wire alone: which agent sent it and
/// what for. Each rule is the shape Claude Code 2.1.332 sends (Tests/Fixtures/claude-code has one real
/// request of each); a later version's change is an edit of one constant here.
package enum ClaudeCodeStructure {
    /// The client name ClientIdentity gives Claude Code's requests.
    package static let client = "claude-code"
    /// A subagent's requests carry its id; one started by a subagent also its parent's (2.1.332).
    static let agentHeader = "x-claude-code-agent-id"
    static let parentHeader = "x-claude-code-parent-agent-id"
    /// A subagent's first system block (the billing line) ends so (2.1.332).
    static let subagentMark = "cc_is_subagent=true;"
    /// The text block that ends a compaction request's last user message (2.1.332).
    static let compactionStart = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools."
    /// In it when a reply without `<summary>` is asked for again (2.1.332).
    static let retryMark = "For this reply only:"
    /// In it for a `/compact <instructions>` (2.1.332).
    static let manualMark = "Additional Instructions:"
    /// How the first request after a compaction starts its conversation (2.1.332).
    static let continuationStart = "This session is being continued from a previous conversation that ran out of context."

    /// How the system prompt of the request that names the session starts; its reply is JSON
    /// `{"title": …}` (2.1.332, query source `generate_session_title`).
    static let titleStart = "You are naming a coding session"

    /// The tool the main agent (or a subagent) starts a subagent with (2.1.332).
    package static let agentTool = "Agent"
    /// A subagent's report, as the `Agent` call's result, names it on a line of its own:
    /// `agentId: ab1dc19fb980eca3b (use SendMessage …)`; a background one's launch result does too (2.1.332).
    static let handBackMark = "agentId: "

    /// The subagent a tool result names (its hand-back or its background launch), if any.
    package static func handedBackAgent(in text: String) -> String? {
        guard let range = text.range(of: handBackMark) else { return nil }
        let id = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber }
        return id.isEmpty ? nil : String(id)
    }

    /// Which `Agent` call started a subagent, among its starter's calls not yet matched, oldest first:
    /// the one whose prompt the subagent opens with (its first user text is the call's `prompt`,
    /// 2.1.332), else the oldest. `opening` is the subagent's first prompt as summaries keep it.
    package static func spawningCall<Call>(among calls: [Call], prompt: (Call) -> String?, opening: String?) -> Call? {
        guard let opening else { return calls.first }
        return calls.first { prompt($0).map { PromptText.preview($0, limit: RequestSummary.promptPreview) } == opening } ?? calls.first
    }

    /// What a request was sent for; `requestKind` on the exchange, beside Codex's own kinds.
    package enum Purpose: String, Sendable, CaseIterable {
        case turn
        case compaction
        case compactionManual = "compaction_manual"
        case compactionRetry = "compaction_retry"
        case postCompaction = "post_compaction"
        case countTokens = "count_tokens"
        /// The side request that names the session.
        case title

        package var isCompaction: Bool { self == .compaction || self == .compactionManual || self == .compactionRetry }
    }

    /// The title a naming request's reply gave the session.
    package static func title(reply: String) -> String? {
        guard let title = JSON.object(Array(reply.utf8))?.string("title")?.trimmingCharacters(in: .whitespacesAndNewlines),
              !title.isEmpty else { return nil }
        return String(title.prefix(200))
    }

    /// The subagent that sent a request, from its headers; nil for the main agent.
    package static func agent(headers: [HeaderField]) -> AgentRef? {
        func value(_ name: String) -> String? {
            headers.value(of: name).map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let id = value(agentHeader) else { return nil }
        return AgentRef(id: id, parent: value(parentHeader))
    }

    /// A subagent's request says so in its system prompt too, when a header was lost on the way.
    package static func isSubagent(_ prompt: Prompt) -> Bool {
        prompt.system.first.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(subagentMark) } ?? false
    }

    package static func purpose(of prompt: Prompt) -> Purpose {
        if prompt.operation == "count_tokens" { return .countTokens }
        if prompt.system.contains(where: { $0.text.hasPrefix(titleStart) }) { return .title }
        if let last = prompt.messages.last(where: { $0.role == .user }),
           let start = last.blocks.lastIndex(where: { $0.kind == .text && $0.text.hasPrefix(compactionStart) }) {
            let ask = last.blocks[start...].filter { $0.kind == .text }.map(\.text).joined(separator: "\n")
            if ask.contains(retryMark) { return .compactionRetry }
            return ask.contains(manualMark) ? .compactionManual : .compaction
        }
        if let first = prompt.messages.first(where: { $0.role == .user }),
           first.blocks.contains(where: { $0.kind == .text && $0.text.hasPrefix(continuationStart) }) {
            return .postCompaction
        }
        return .turn
    }
}

/// A subagent, as its requests name it.
package struct AgentRef: Sendable, Codable, Equatable {
    package var id: String
    /// The subagent that started it; nil when the main agent did.
    package var parent: String?

    package init(id: String, parent: String? = nil) {
        self.id = id
        self.parent = parent
    }
}
