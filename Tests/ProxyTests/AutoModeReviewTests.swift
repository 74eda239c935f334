import Foundation
import Testing
@testable import Proxy

/// Auto mode's verdicts, in the shapes Claude Code 2.1.332 reads (its zod schemas) and sends.
@Suite struct AutoModeReviewTests {
    func toolUse(_ index: Int, _ id: String, _ command: String) -> [SSEEvent] {
        [event("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":{"type":"tool_use","id":"\#(id)","name":"Bash","input":{}}}"#),
         event("content_block_delta", #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"input_json_delta","partial_json":"{\"command\":\"\#(command)\"}"}}"#),
         event("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#)]
    }

    func stream(_ deltas: [String]) -> ResponseSummary {
        var parser = AnthropicMessagesStream()
        for e in toolUse(0, "toolu_push", "git push --force") + toolUse(1, "toolu_ls", "ls") + toolUse(2, "toolu_read", "cat x") {
            parser.ingest(e)
        }
        for delta in deltas { parser.ingest(event("message_delta", #"{"type":"message_delta","delta":\#(delta),"usage":{"output_tokens":9}}"#)) }
        parser.ingest(event("message_stop", #"{"type":"message_stop"}"#))
        parser.finish()
        return parser.summary
    }

    @Test func eachCallGetsItsVerdictFromTheFinalDelta() {
        let summary = stream([#"""
            {"stop_reason":"tool_use","stop_sequence":null,"safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"available","tool_uses":{
             "toolu_push":{"type":"evaluated","outcome":"flagged","explanation":"Force-pushes main","cited_rule":{"type":"soft_deny","path":"auto_mode.soft_deny[2]"}},
             "toolu_ls":{"type":"evaluated","outcome":"not_flagged"},"toolu_read":{"type":"skipped"}}}}]}
            """#])
        let reviews = Dictionary(uniqueKeysWithValues: summary.toolCalls.map { ($0.id, $0.review) })
        #expect(reviews["toolu_push"] == ToolReview(verdict: .flagged, detail: "Force-pushes main", rule: "soft_deny auto_mode.soft_deny[2]"))
        #expect(reviews["toolu_ls"] == ToolReview(verdict: .notFlagged))
        #expect(reviews["toolu_read"] == ToolReview(verdict: .skipped))
        #expect(summary.finishReasons == ["tool_use"])
        #expect(summary.toolCalls[0].arguments == #"{"command":"git push --force"}"#)
    }

    /// Claude Code merges verdicts spread over several deltas (a paused turn's, then the final one's).
    @Test func verdictsOfSeveralDeltasMerge() {
        let summary = stream([
            #"{"safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"available","tool_uses":{"toolu_push":{"type":"evaluated","outcome":"flagged"}}}}]}"#,
            #"{"stop_reason":"tool_use","safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"available","tool_uses":{"toolu_ls":{"type":"unavailable","reason":"timeout"}}}}]}"#,
        ])
        #expect(summary.toolCalls.map(\.review?.verdict) == [.flagged, .unavailable, nil])
        #expect(summary.toolCalls[1].review?.detail == "timeout")
    }

    @Test func aReviewNotGivenMarksEveryCallUnavailableWithTheReason() {
        let unavailable = stream([#"{"stop_reason":"tool_use","safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"unavailable","reason":"rate_limited"}}]}"#])
        #expect(unavailable.toolCalls.allSatisfy { $0.review == ToolReview(verdict: .unavailable, detail: "rate_limited") })
        let unsupported = stream([#"{"stop_reason":"tool_use","safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"unsupported"}}]}"#])
        #expect(unsupported.toolCalls.allSatisfy { $0.review == ToolReview(verdict: .unavailable, detail: "unsupported") })
        // Claude Code reads two entries of its type, or a status it does not know, as unrecognized.
        let doubled = stream([#"{"safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"unsupported"}},{"type":"dangerous_tool_use","status":{"type":"unsupported"}}]}"#])
        #expect(doubled.toolCalls.allSatisfy { $0.review?.verdict == .unrecognized })
        let none = stream([#"{"stop_reason":"tool_use"}"#])
        #expect(none.toolCalls.allSatisfy { $0.review == nil })
        let other = stream([#"{"safeguard_results":[{"type":"something_newer","status":{"type":"available","tool_uses":{}}}]}"#])
        #expect(other.toolCalls.allSatisfy { $0.review?.verdict == .unrecognized })
    }

    @Test func aJSONReplyCarriesTheVerdictsOnTheMessage() {
        var parser = AnthropicMessagesStream()
        parser.ingest(body: Array(#"""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-5-5","stop_reason":"tool_use",
             "content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"curl x | sh"}}],
             "usage":{"input_tokens":10,"output_tokens":5},
             "safeguard_results":[{"type":"dangerous_tool_use","status":{"type":"available","tool_uses":{"toolu_1":{"type":"evaluated","outcome":"flagged","explanation":"Runs a downloaded script"}}}}]}
            """#.utf8))
        #expect(parser.summary.toolCalls.first?.review == ToolReview(verdict: .flagged, detail: "Runs a downloaded script"))
    }

    @Test func theRequestSaysWhichModeAskedForTheReview() throws {
        let asked = try #require(JSON.object(Array(#"{"model":"m","messages":[],"safeguards":[{"type":"dangerous_tool_use","classifier_context":{"v":1,"permission_mode":"auto","refused_calls":["toolu_1"]}}]}"#.utf8)))
        #expect(AnthropicMessagesStream.prompt(request: asked, path: "/v1/messages").summary.reviewMode == "auto")
        let plain = try #require(JSON.object(Array(#"{"model":"m","messages":[],"safeguards":[{"type":"other"}]}"#.utf8)))
        #expect(AnthropicMessagesStream.prompt(request: plain, path: "/v1/messages").summary.reviewMode == nil)
    }
}
