import Foundation
import Testing
@testable import Proxy

func event(_ name: String, _ json: String) -> SSEEvent {
    SSEEvent(name: name, data: Array(json.utf8))
}

@Suite struct AnthropicMessagesStreamTests {
    let start = event("message_start", """
        {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1200,"cache_creation_input_tokens":6000,"cache_read_input_tokens":30000,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":4000},"output_tokens":1}}}
        """)

    @Test func normalisesInputToIncludeCacheAndSplitsWrites() {
        var parser = AnthropicMessagesStream()
        parser.ingest(start)
        let usage = parser.summary.usage!
        #expect(usage.inputTokens == 37200)
        #expect(usage.cacheReadTokens == 30000)
        #expect(usage.cacheWrite5mTokens == 2000)
        #expect(usage.cacheWrite1hTokens == 4000)
        #expect(usage.uncachedInputTokens == 1200)
        #expect(parser.summary.id == "msg_1")
        #expect(parser.summary.model == "claude-sonnet-4-5-20250929")
    }

    @Test func messageDeltaUsageReplacesAndKeepsOmittedFields() {
        var parser = AnthropicMessagesStream()
        parser.ingest(start)
        parser.ingest(event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":350}}"#))
        parser.ingest(event("message_delta", #"{"type":"message_delta","delta":{},"usage":{"output_tokens":351}}"#))
        let usage = parser.summary.usage!
        #expect(usage.outputTokens == 351)
        #expect(usage.inputTokens == 37200)
        #expect(usage.outputEstimated == false)
        #expect(parser.summary.finishReasons == ["end_turn"])
    }

    @Test func aggregateCacheWriteWithoutBreakdownCountsAsFiveMinutes() {
        var parser = AnthropicMessagesStream()
        parser.ingest(event("message_start", #"{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_creation_input_tokens":500,"output_tokens":1}}}"#))
        #expect(parser.summary.usage?.cacheWrite5mTokens == 500)
        #expect(parser.summary.usage?.cacheWrite1hTokens == 0)
        #expect(parser.summary.usage?.inputTokens == 510)
    }

    @Test func outputIsEstimatedWhileStreamingThenReplaced() {
        var parser = AnthropicMessagesStream()
        parser.ingest(start)
        parser.ingest(event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#))
        parser.ingest(event("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(String(repeating: "word ", count: 80))"}}"#))
        #expect(parser.summary.usage?.outputTokens == 100)
        #expect(parser.summary.usage?.outputEstimated == true)
        parser.ingest(event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":83}}"#))
        #expect(parser.summary.usage?.outputTokens == 83)
        #expect(parser.summary.usage?.outputEstimated == false)
    }

    @Test func reassemblesThinkingTextAndToolUse() {
        var parser = AnthropicMessagesStream()
        parser.ingest(start)
        parser.ingest(event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#))
        parser.ingest(event("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#))
        parser.ingest(event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
        parser.ingest(event("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"Read","input":{}}}"#))
        parser.ingest(event("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"file_path\":"}}"#))
        parser.ingest(event("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"/a\"}"}}"#))
        parser.ingest(event("content_block_stop", #"{"type":"content_block_stop","index":1}"#))
        parser.ingest(event("message_stop", #"{"type":"message_stop"}"#))
        #expect(parser.summary.thinking == "hmm")
        #expect(parser.summary.toolCalls == [ToolCall(id: "toolu_1", name: "Read", arguments: #"{"file_path":"/a"}"#)])
        #expect(parser.summary.complete)
    }

    @Test func errorEventAfterStartIsRecorded() {
        var parser = AnthropicMessagesStream()
        parser.ingest(start)
        parser.ingest(event("error", #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        #expect(parser.summary.error == ProviderError(type: "overloaded_error", message: "Overloaded"))
        #expect(parser.summary.usage?.inputTokens == 37200)
    }

    @Test func nonStreamedBodyAndCountTokens() {
        var parser = AnthropicMessagesStream()
        parser.ingest(body: Array(#"{"id":"msg_2","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":3,"cache_read_input_tokens":0}}"#.utf8))
        #expect(parser.summary.text == "hi")
        #expect(parser.summary.usage == Usage(inputTokens: 7, outputTokens: 3))
        var counter = AnthropicMessagesStream()
        counter.ingest(body: Array(#"{"input_tokens":42}"#.utf8))
        #expect(counter.summary.usage?.inputTokens == 42)
        #expect(counter.summary.usage?.outputTokens == 0)
    }

    @Test func garbageIsCountedNotFatal() {
        var parser = AnthropicMessagesStream()
        parser.ingest(SSEEvent(name: "message_start", data: [0xff, 0xfe, 0x7b]))
        parser.ingest(body: [0x00, 0x01])
        #expect(parser.summary.parseFailures == 2)
        #expect(parser.summary.usage == nil)
    }
}
