import Foundation
import Testing
@testable import Proxy

/// Each wire format's request side: the body parsed into the one `Prompt` shape.
@Suite struct PromptTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/claude-code").standardized

    static func claudeCode(_ name: String) throws -> (body: [UInt8], path: String) {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let body = try JSONSerialization.data(withJSONObject: try #require(object["body"]))
        return (Array(body), try #require(object["raw_path"] as? String))
    }

    @Test func aClaudeCodeToolResultTurnIsReadBlockByBlock() throws {
        let (body, path) = try Self.claudeCode("messages-tool-result-turn.json")
        let prompt = try #require(WireFormatKind.anthropicMessages.prompt(body: body, path: Substring(path)))
        #expect(prompt.model == "claude-sonnet-4-5" || prompt.model?.hasPrefix("claude-") == true)
        #expect(prompt.stream && prompt.operation == "chat")
        #expect(prompt.system.count == 3)
        #expect(prompt.system.map { $0.cache != nil } == [false, true, true])
        #expect(prompt.tools.count == 12 && prompt.tools.contains { $0.name == "Bash" })
        #expect(prompt.messages.map(\.role) == [.user, .system, .assistant, .user])
        let call = try #require(prompt.messages[2].blocks.last)
        #expect(call.kind == .toolUse && call.toolName == "Bash" && call.toolID == "toolu_01x2ayRVRgbfn68UszAy0xr5")
        #expect(call.text.contains("example-tool-ok-"))
        let result = try #require(prompt.messages[3].blocks.first)
        #expect(result.kind == .toolResult && result.text == "example-tool-ok-42" && result.cache != nil)
        // cache marks are not part of a block's identity
        #expect(!result.json.contains("cache_control") && result.json.contains("example-tool-ok-42"))
        #expect(prompt.answeredToolCalls == ["toolu_01x2ayRVRgbfn68UszAy0xr5"])
        #expect(prompt.userPrompts == ["run the marker command"])
        #expect(prompt.metadataUserID?.contains("ee54b02f-8fce-460b-af53-12d0ab60f530") == true)
    }

    @Test func countTokensIsItsOwnOperation() throws {
        let (body, path) = try Self.claudeCode("count-tokens.json")
        let prompt = try #require(WireFormatKind.anthropicMessages.prompt(body: body, path: Substring(path)))
        #expect(prompt.operation == "count_tokens")
    }

    @Test func aResponsesRequestMapsItemsToMessages() throws {
        let body = #"""
        {"model":"gpt-5.5","instructions":"You are Codex.","stream":true,"prompt_cache_key":"019a-thread","previous_response_id":"resp_1",
         "tools":[{"type":"function","name":"shell","parameters":{}},{"type":"web_search"}],
         "input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions>…"}]},
                  {"type":"message","role":"user","content":[{"type":"input_text","text":"list the files"}]},
                  {"type":"reasoning","summary":[{"type":"summary_text","text":"I will run ls"}],"encrypted_content":"x"},
                  {"type":"function_call","call_id":"call_1","name":"shell","arguments":"{\"command\":[\"ls\"]}"},
                  {"type":"function_call_output","call_id":"call_1","output":"a.txt\nb.txt"}]}
        """#
        let prompt = try #require(WireFormatKind.openAIResponses.prompt(body: Array(body.utf8), path: "/v1/responses"))
        #expect(prompt.system.map(\.text) == ["You are Codex."])
        #expect(prompt.tools.map(\.name) == ["shell", "web_search"])
        #expect(prompt.messages.map(\.role) == [.developer, .user, .assistant, .assistant, .tool])
        #expect(prompt.messages[2].blocks[0].kind == .thinking && prompt.messages[2].blocks[0].text == "I will run ls")
        #expect(prompt.messages[3].blocks[0].toolName == "shell" && prompt.messages[3].blocks[0].toolID == "call_1")
        #expect(prompt.messages[4].blocks[0].text == "a.txt\nb.txt")
        #expect(prompt.answeredToolCalls == ["call_1"])
        #expect(prompt.userPrompts == ["list the files"])
        #expect(prompt.previousResponseID == "resp_1" && prompt.metadataUserID == "019a-thread")
        let pieces = prompt.pieces.map(\.label)
        #expect(pieces.prefix(3) == ["tool shell", "tool web_search", "system block 1"])
        #expect(pieces.last == "message 5 (tool) (tool_result shell)")
    }

    @Test func aChatCompletionsRequestKeepsToolCallsAndReasoning() throws {
        let body = #"""
        {"model":"deepseek-chat","max_tokens":100,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"weather?"}]},
         {"role":"assistant","content":null,"reasoning_content":"call the tool","tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{}"}}]},
         {"role":"tool","tool_call_id":"c1","content":"sunny"}],"tools":[{"type":"function","function":{"name":"weather","parameters":{}}}]}
        """#
        let prompt = try #require(WireFormatKind.openAIChatCompletions.prompt(body: Array(body.utf8), path: "/v1/chat/completions"))
        #expect(prompt.maxTokens == 100 && prompt.tools.map(\.name) == ["weather"])
        #expect(prompt.messages.map(\.role) == [.system, .user, .assistant, .tool])
        #expect(prompt.messages[2].blocks.map(\.kind) == [.thinking, .toolUse])
        #expect(prompt.messages[3].blocks[0].toolID == "c1" && prompt.messages[3].blocks[0].text == "sunny")
        #expect(prompt.answeredToolCalls == ["c1"])
        let pieces = prompt.pieces
        #expect(pieces.first { $0.kind == .toolResult }?.tool == "weather")
        #expect(pieces.first { $0.message == 0 }?.kind == .system)
    }

    @Test func aBodyThatIsNotAnObjectHasNoPrompt() {
        #expect(WireFormatKind.anthropicMessages.prompt(body: Array("[1,2]".utf8), path: "/v1/messages") == nil)
        #expect(WireFormatKind.openAIResponses.prompt(body: Array("{\"input\":".utf8), path: "/v1/responses") == nil)
    }
}

/// The one prefix rule, shared by the Diff tab and the cache report.
@Suite struct PromptDiffTests {
    static func prompt(_ system: [String], breakpointAt: Int?, messages: [String]) -> Prompt {
        var blocks: [String] = system.enumerated().map { index, text in
            #"{"type":"text","text":"\#(text)"\#(index == breakpointAt ? #","cache_control":{"type":"ephemeral"}"# : "")}"#
        }
        if blocks.isEmpty { blocks = [] }
        let body = #"{"model":"m","system":[\#(blocks.joined(separator: ","))],"messages":[\#(messages.map { #"{"role":"user","content":"\#($0)"}"# }.joined(separator: ","))]}"#
        return WireFormatKind.anthropicMessages.prompt(body: Array(body.utf8), path: "/v1/messages")!
    }

    @Test func appendingMessagesKeepsThePrefix() {
        let diff = PromptDiff(older: Self.prompt(["a", "b"], breakpointAt: 1, messages: ["q1"]),
                              newer: Self.prompt(["a", "b"], breakpointAt: 1, messages: ["q1", "q2"]))
        #expect(diff.prefixBreak == nil)
        #expect(diff.rows.map(\.state) == [.same, .same, .same, .added])
        #expect(diff.cachedPieces == 2)
    }

    @Test func theBreakpointThatCountsIsTheEarlierRequests() {
        // The earlier request cached only the system; a changed first message lies after its breakpoint,
        // even though the later request moved its own breakpoint past that message.
        let older = Self.prompt(["a"], breakpointAt: 0, messages: ["q1"])
        let newer = Self.prompt(["a"], breakpointAt: nil, messages: ["q1 edited"])
        #expect(PromptDiff(older: older, newer: newer).prefixBreak == nil)
        let edited = PromptDiff(older: Self.prompt(["a", "b"], breakpointAt: 1, messages: []),
                                newer: Self.prompt(["a", "c"], breakpointAt: nil, messages: []))
        #expect(edited.prefixBreak == PromptDiff.Break(label: "system block 2", detail: "system block 2 changed"))
        #expect(edited.rows.first { $0.label == "system block 2" }?.cached == true)
    }

    @Test func movingACacheMarkIsNotAChange() {
        let diff = PromptDiff(older: Self.prompt(["a", "b"], breakpointAt: 0, messages: ["q"]),
                              newer: Self.prompt(["a", "b"], breakpointAt: 1, messages: ["q"]))
        #expect(diff.rows.allSatisfy { $0.state == .same } && diff.prefixBreak == nil)
    }

    @Test func toolsComeBeforeTheSystemPrompt() {
        let body = #"{"system":"s","tools":[{"name":"Read","input_schema":{}}],"messages":[{"role":"user","content":"q"}]}"#
        let prompt = WireFormatKind.anthropicMessages.prompt(body: Array(body.utf8), path: "/v1/messages")!
        #expect(prompt.pieces.map(\.label) == ["tool Read", "system block 1", "message 1 (user)"])
    }
}

@Suite struct PreviewTests {
    /// The rule as first written: every line break run one space, then cut to `limit` with an ellipsis.
    static func wholeTextPreview(_ text: String, limit: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }

    @Test(arguments: ["", "short", "\n\nlead and trail\n\n", "a\nb\r\nc\n\n\nd", String(repeating: "word ", count: 100),
                      String(repeating: "\n", count: 5000) + "after many breaks", "héllo wörld 👩‍👩‍👧 ✓\nnext line",
                      String(repeating: "x", count: 50_000), String(repeating: "ab\n", count: 200)])
    func aPreviewReadsOnlyWhatItShowsAndShowsWhatItAlwaysDid(text: String) {
        for limit in [1, 2, 5, 9, 10, 11, 60, 280] {
            #expect(PromptText.preview(text, limit: limit) == Self.wholeTextPreview(text, limit: limit), "limit \(limit)")
        }
    }
}
