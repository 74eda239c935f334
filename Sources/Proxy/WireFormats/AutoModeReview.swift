import Foundation

/// Auto mode's server-side review of the tool calls a reply proposes, both sides (Claude Code 2.1.332,
/// beta `dangerous-tool-use-2026-09-03`; the shapes are its own zod schemas, checked against the CLI):
/// - the request asks for it with `safeguards: [{"type": "dangerous_tool_use", "classifier_context":
///   {"permission_mode": "auto", "refused_calls": [<tool_use id>…], …}}]`;
/// - the reply's `message_delta` (or a JSON reply's message) answers with `safeguard_results:
///   [{"type": "dangerous_tool_use", "status": S}]`, S one of `{"type": "available", "tool_uses":
///   {<tool_use id>: V}}`, `{"type": "unsupported"}`, `{"type": "unavailable", "reason": …}`, and V one of
///   `{"type": "evaluated", "outcome": "flagged" | "not_flagged", "explanation"?, "cited_rule"?: {type, path}}`,
///   `{"type": "skipped"}`, `{"type": "unavailable", "reason": …}`. Several deltas merge, later ids winning.
/// Claude Code does not run a flagged call: it answers it with an error result and lists its id in the
/// next request's `refused_calls`.
package enum AutoModeReview {
    static let safeguardType = "dangerous_tool_use"
    static let requestField = "safeguards"
    static let resultField = "safeguard_results"

    /// The permission mode a request asked the review for (`auto`), or nil when it asked none.
    package static func permissionMode(request: JSONObject) -> String? {
        guard let entry = request.array(requestField)?.lazy.compactMap({ $0 as? JSONObject })
            .first(where: { $0.string("type") == safeguardType }) else { return nil }
        return entry.object("classifier_context")?.string("permission_mode") ?? "auto"
    }

    /// The verdicts a `message_delta`'s `delta` (or a JSON reply) carries, by tool-use id; a review the
    /// server could not give gives every call of the reply `unavailable` (`unknown` for "for all").
    package static func verdicts(in object: JSONObject) -> Verdicts? {
        guard let results = object.array(resultField) else { return nil }
        let ours = results.compactMap { $0 as? JSONObject }.filter { $0.string("type") == safeguardType }
        guard ours.count == 1, let status = ours[0].object("status") else { return .unrecognized }
        switch status.string("type") {
        case "available":
            var calls: [String: ToolReview] = [:]
            for (id, value) in status.object("tool_uses") ?? [:] { calls[id] = review(value as? JSONObject ?? [:]) }
            return .perCall(calls)
        case "unsupported": return .none(ToolReview(verdict: .unavailable, detail: "unsupported"))
        case "unavailable": return .none(ToolReview(verdict: .unavailable, detail: status.string("reason")))
        default: return .unrecognized
        }
    }

    package enum Verdicts: Sendable, Equatable {
        case perCall([String: ToolReview])
        /// No call was reviewed, for this reason.
        case none(ToolReview)
        case unrecognized
    }

    static func review(_ value: JSONObject) -> ToolReview {
        switch value.string("type") {
        case "evaluated":
            let rule = value.object("cited_rule").map { [$0.string("type"), $0.string("path")].compactMap { $0 }.joined(separator: " ") }
            switch value.string("outcome") {
            case "flagged": return ToolReview(verdict: .flagged, detail: value.string("explanation"), rule: rule)
            case "not_flagged": return ToolReview(verdict: .notFlagged, detail: value.string("explanation"), rule: rule)
            default: return ToolReview(verdict: .unrecognized)
            }
        case "skipped": return ToolReview(verdict: .skipped)
        case "unavailable": return ToolReview(verdict: .unavailable, detail: value.string("reason"))
        default: return ToolReview(verdict: .unrecognized)
        }
    }

    /// Gives each of `calls` its verdict from `verdicts`, keeping one it already has where they say nothing.
    static func apply(_ verdicts: Verdicts, to calls: inout [ToolCall]) {
        for index in calls.indices {
            switch verdicts {
            case .perCall(let byID): if let review = byID[calls[index].id] { calls[index].review = review }
            case .none(let review): if calls[index].review == nil { calls[index].review = review }
            case .unrecognized: if calls[index].review == nil { calls[index].review = ToolReview(verdict: .unrecognized) }
            }
        }
    }
}

extension ResponseSummary {
    /// Tool calls auto mode's review flagged: Claude Code did not run them.
    package var flaggedCalls: Int { toolCalls.count { $0.review?.verdict == .flagged } }
}

/// What auto mode's review said of one tool call.
package struct ToolReview: Sendable, Codable, Equatable {
    package enum Verdict: String, Sendable, Codable, CaseIterable {
        /// Blocked: Claude Code did not run it.
        case flagged
        case notFlagged = "not_flagged"
        /// Not reviewed: a kind of call the server does not judge.
        case skipped
        /// The review failed or is not offered (`detail` says why).
        case unavailable
        /// A shape newer than this reader.
        case unrecognized
    }

    package var verdict: Verdict
    /// The server's explanation (flagged, not flagged) or reason (unavailable).
    package var detail: String?
    /// The rule it cited: its type and path (`soft_deny auto_mode.soft_deny[0]`).
    package var rule: String?

    package init(verdict: Verdict, detail: String? = nil, rule: String? = nil) {
        self.verdict = verdict
        self.detail = detail
        self.rule = rule
    }

    /// "flagged, not run: Force-pushes main (rule soft_deny …)", for text surfaces.
    package var summary: String {
        let said = [detail, rule.map { "rule \($0)" }].compactMap { $0 }.joined(separator: ", ")
        let verdict = switch self.verdict {
        case .flagged: "flagged, not run"
        case .notFlagged: "not flagged"
        case .skipped: "skipped"
        case .unavailable: "unavailable"
        case .unrecognized: "unrecognized verdict"
        }
        return said.isEmpty ? verdict : "\(verdict): \(said)"
    }
}
