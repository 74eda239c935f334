import Foundation
import Testing
@testable import Proxy

/// Claude Code 2.1.332's real requests: which agent sent each, and what for.
@Suite struct ClaudeCodeStructureTests {
    static func fixture(_ name: String) throws -> (prompt: Prompt, headers: [HeaderField]) {
        let data = try Data(contentsOf: PromptTests.fixtures.appendingPathComponent(name))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let headers = try #require(object["headers"] as? [[String]]).map { HeaderField($0[0], $0[1]) }
        let (body, path) = try PromptTests.claudeCode(name)
        return (try #require(WireFormatKind.anthropicMessages.prompt(body: body, path: Substring(path))), headers)
    }

    @Test func eachRealRequestHasItsAgentAndPurpose() throws {
        let expected: [(String, String?, ClaudeCodeStructure.Purpose)] = [
            ("messages-first-turn.json", nil, .turn),
            ("messages-tool-result-turn.json", nil, .turn),
            ("subagent-request.json", "ab1dc19fb980eca3b", .turn),
            // The main agent's turn that gets the subagent's report back mentions its id, but is the main agent's.
            ("subagent-hand-back-turn.json", nil, .turn),
            ("compaction-request.json", nil, .compaction),
            ("after-compaction-request.json", nil, .postCompaction),
            ("count-tokens.json", nil, .countTokens),
        ]
        for (name, agent, purpose) in expected {
            let (prompt, headers) = try Self.fixture(name)
            #expect(ClaudeCodeStructure.agent(headers: headers)?.id == agent, "\(name)")
            #expect(ClaudeCodeStructure.agent(headers: headers)?.parent == nil, "\(name)")
            #expect(ClaudeCodeStructure.isSubagent(prompt) == (agent != nil), "\(name)")
            #expect(ClaudeCodeStructure.purpose(of: prompt) == purpose, "\(name)")
        }
    }

    @Test func theHandBackNamesTheSubagentItReports() throws {
        let (prompt, _) = try Self.fixture("subagent-hand-back-turn.json")
        let result = try #require(prompt.messages.last?.blocks.first { $0.kind == .toolResult })
        #expect(ClaudeCodeStructure.handedBackAgent(in: result.text) == "ab1dc19fb980eca3b")
        let call = try #require(prompt.messages.flatMap(\.blocks).first { $0.kind == .toolUse })
        #expect(call.toolName == ClaudeCodeStructure.agentTool && call.toolID == result.toolID)
        #expect(ClaudeCodeStructure.handedBackAgent(in: "no id here") == nil)
    }

    /// Two `Agent` calls in one answer (parallel subagents): each subagent goes to the call whose prompt
    /// it opens with, whatever order the subagents' first requests arrive in.
    @Test func aSubagentIsMatchedToTheCallWhosePromptItOpensWith() throws {
        let calls = [("toolu_a", "List the files\nand report."), ("toolu_b", "Count the lines.")]
        #expect(ClaudeCodeStructure.spawningCall(among: calls, prompt: \.1, opening: "Count the lines.")?.0 == "toolu_b")
        #expect(ClaudeCodeStructure.spawningCall(among: calls, prompt: \.1, opening: "List the files and report.")?.0 == "toolu_a")
        // A prompt it does not recognise, or none: the oldest unmatched call.
        #expect(ClaudeCodeStructure.spawningCall(among: calls, prompt: \.1, opening: "something else")?.0 == "toolu_a")
        #expect(ClaudeCodeStructure.spawningCall(among: calls, prompt: \.1, opening: nil)?.0 == "toolu_a")
        #expect(ClaudeCodeStructure.spawningCall(among: [(String, String)](), prompt: \.1, opening: "x") == nil)
    }

    @Test func aNestedSubagentNamesItsParentAndCompactionsSayWhichKind() throws {
        let nested = ClaudeCodeStructure.agent(headers: [HeaderField("X-Claude-Code-Agent-Id", "a0123456789abcdef"),
                                                         HeaderField("x-claude-code-parent-agent-id", " ab1dc19fb980eca3b ")])
        #expect(nested == AgentRef(id: "a0123456789abcdef", parent: "ab1dc19fb980eca3b"))
        var (prompt, _) = try Self.fixture("compaction-request.json")
        let last = prompt.messages.count - 1
        let ask = try #require(prompt.messages[last].blocks.last)
        prompt.messages[last].blocks[prompt.messages[last].blocks.count - 1].text = ask.text + "\n\nAdditional Instructions:\nkeep the test names"
        #expect(ClaudeCodeStructure.purpose(of: prompt) == .compactionManual)
        prompt.messages[last].blocks.append(PromptBlock(kind: .text, type: "text", text: "For this reply only: answer with <summary>.", json: "\"\""))
        #expect(ClaudeCodeStructure.purpose(of: prompt) == .compactionRetry)
        // The instruction anywhere but the last user message is not a compaction (a user quoting it).
        prompt.messages.append(PromptMessage(role: .user, blocks: [PromptBlock(kind: .text, type: "text", text: "thanks", json: "\"thanks\"")]))
        #expect(ClaudeCodeStructure.purpose(of: prompt) == .turn)
    }

    /// The naming request (2.1.332, as the e2e test captures it from the real CLI): its third system block.
    @Test func theNamingRequestIsATitleAndItsReplyTheTitle() throws {
        var (prompt, _) = try Self.fixture("messages-first-turn.json")
        #expect(ClaudeCodeStructure.purpose(of: prompt) == .turn)
        prompt.system.append(PromptBlock(kind: .text, type: "text", text: "You are naming a coding session so the user can pick it out of a long list of sessions.", json: "\"\""))
        #expect(ClaudeCodeStructure.purpose(of: prompt) == .title)
        #expect(ClaudeCodeStructure.title(reply: #"{"title": " Flaky login test "}"#) == "Flaky login test")
        #expect(ClaudeCodeStructure.title(reply: "Flaky login test") == nil)
        #expect(ClaudeCodeStructure.title(reply: #"{"title": ""}"#) == nil)
    }
}
