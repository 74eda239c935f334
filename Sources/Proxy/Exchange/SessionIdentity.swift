import Foundation

/// Finds the agent session a request belongs to.
public enum SessionIdentity {
    /// Headers agents use for their session or conversation id, most specific first.
    static let headers = ["x-claude-code-session-id", "session_id", "session-id", "x-session-id", "conversation_id"]

    /// From a header, else from the body: Claude Code's `metadata.user_id` (a JSON string with
    /// `session_id`, or the older `user_…_session_<uuid>`), else nil.
    public static func session(headers: [HeaderField], request: RequestSummary) -> String? {
        for name in Self.headers {
            if let value = headers.first(where: { $0.name.lowercased() == name })?.value, !value.isEmpty {
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
