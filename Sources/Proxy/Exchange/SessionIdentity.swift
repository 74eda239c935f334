import Foundation

/// Finds the agent session a request belongs to.
package enum SessionIdentity {
    /// Headers agents use for their session or conversation id, most specific first.
    static let headers = ["x-claude-code-session-id", "session_id", "session-id", "x-session-id", "conversation_id"]

    /// From a header, else from the body: Claude Code's `metadata.user_id` (a JSON string with
    /// `session_id`, or the older `user_…_session_<uuid>`), else nil.
    package static func session(headers: [HeaderField], request: RequestSummary) -> String? {
        for name in Self.headers {
            if let value = headers.value(of: name), !value.isEmpty {
                return value
            }
        }
        guard let userID = request.metadataUserID, !userID.isEmpty else { return nil }
        if let object = JSON.object(Array(userID.utf8)), let id = object.string("session_id"), !id.isEmpty {
            return id
        }
        if let range = userID.range(of: "_session_") {
            return String(userID[range.upperBound...])
        }
        return userID
    }
}

/// What Codex says about each request (seen in Codex 0.147.0): the `x-codex-turn-metadata` header of an
/// HTTP request, or the same JSON text under `client_metadata` in a WebSocket `response.create`, with
/// `session_id`, `turn_id` (empty for a prewarm) and `request_kind` (`prewarm`, `turn`, `compaction`,
/// `review`, …). On a WebSocket the handshake's header describes the first request only.
package struct CodexTurnMetadata: Sendable, Equatable {
    package static let header = "x-codex-turn-metadata"
    package var sessionID: String?
    package var turnID: String?
    package var requestKind: String?

    package init?(_ text: String?) {
        guard let text, let object = JSON.object(Array(text.utf8)) else { return nil }
        sessionID = object.string("session_id").flatMap { $0.isEmpty ? nil : $0 }
        turnID = object.string("turn_id").flatMap { $0.isEmpty ? nil : $0 }
        requestKind = object.string("request_kind").flatMap { $0.isEmpty ? nil : $0 }
    }

    package init?(headers: [HeaderField]) {
        self.init(headers.first { $0.name.lowercased() == Self.header }?.value)
    }
}
