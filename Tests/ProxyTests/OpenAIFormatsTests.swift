import Foundation
import Testing
@testable import Proxy

@Suite struct OpenAIChatCompletionsStreamTests {
    @Test func finalUsageChunkCarriesCachedAndReasoningTokens() {
        var parser = OpenAIChatCompletionsStream()
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"id":"c1","model":"o4-mini","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#.utf8)))
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"id":"c1","model":"o4-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#.utf8)))
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"id":"c1","model":"o4-mini","choices":[],"usage":{"prompt_tokens":5000,"completion_tokens":800,"prompt_tokens_details":{"cached_tokens":4096},"completion_tokens_details":{"reasoning_tokens":300}}}"#.utf8)))
        parser.ingest(SSEEvent(name: nil, data: Array("[DONE]".utf8)))
        parser.finish()
        #expect(parser.summary.usage == Usage(inputTokens: 5000, outputTokens: 800, cacheReadTokens: 4096, reasoningTokens: 300))
        #expect(parser.summary.text == "Hi")
        #expect(parser.summary.finishReasons == ["stop"])
        #expect(parser.summary.complete)
    }

    @Test func streamWithoutUsageEndsWithoutUsage() {
        var parser = OpenAIChatCompletionsStream()
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"choices":[{"index":0,"delta":{"content":"some text here"}}]}"#.utf8)))
        #expect(parser.summary.usage?.outputEstimated == true)
        parser.finish()
        #expect(parser.summary.usage == nil)
    }

    @Test func deepSeekAndMoonshotCacheFields() {
        #expect(OpenAIChatCompletionsStream.normalise(["prompt_tokens": 1000, "completion_tokens": 5, "prompt_cache_hit_tokens": 900, "prompt_cache_miss_tokens": 100]).cacheReadTokens == 900)
        #expect(OpenAIChatCompletionsStream.normalise(["prompt_tokens": 300, "completion_tokens": 5, "cached_tokens": 256]).cacheReadTokens == 256)
        let writes = OpenAIChatCompletionsStream.normalise(["prompt_tokens": 300, "completion_tokens": 5, "prompt_tokens_details": ["cached_tokens": 100, "cache_write_tokens": 150]])
        #expect(writes.cacheWrite5mTokens == 150)
        #expect(writes.uncachedInputTokens == 50)
    }

    @Test func toolCallArgumentsAreJoinedAcrossChunks() {
        var parser = OpenAIChatCompletionsStream()
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{\"a\""}}]}}]}"#.utf8)))
        parser.ingest(SSEEvent(name: nil, data: Array(#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}"#.utf8)))
        parser.ingest(SSEEvent(name: nil, data: Array("[DONE]".utf8)))
        parser.finish()
        #expect(parser.summary.toolCalls == [ToolCall(id: "call_1", name: "f", arguments: #"{"a":1}"#)])
    }
}

@Suite struct OpenAIResponsesStreamTests {
    @Test func completedEventCarriesUsage() {
        var parser = OpenAIResponsesStream()
        parser.ingest(SSEEvent(name: "response.created", data: Array(#"{"type":"response.created","response":{"id":"resp_1","model":"gpt-5"}}"#.utf8)))
        parser.ingest(SSEEvent(name: "response.output_text.delta", data: Array(#"{"type":"response.output_text.delta","delta":"Hello"}"#.utf8)))
        parser.ingest(SSEEvent(name: "response.completed", data: Array(#"{"type":"response.completed","response":{"id":"resp_1","model":"gpt-5-2025-08-07","status":"completed","usage":{"input_tokens":9000,"input_tokens_details":{"cached_tokens":8000},"output_tokens":1200,"output_tokens_details":{"reasoning_tokens":1000}}}}"#.utf8)))
        parser.finish()
        #expect(parser.summary.usage == Usage(inputTokens: 9000, outputTokens: 1200, cacheReadTokens: 8000, reasoningTokens: 1000))
        #expect(parser.summary.model == "gpt-5-2025-08-07")
        #expect(parser.summary.text == "Hello")
        #expect(parser.summary.finishReasons == ["completed"])
    }

    @Test func incompleteAndFailedResponses() {
        var incomplete = OpenAIResponsesStream()
        incomplete.ingest(SSEEvent(name: nil, data: Array(#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}"#.utf8)))
        #expect(incomplete.summary.finishReasons == ["max_output_tokens"])
        var failed = OpenAIResponsesStream()
        failed.ingest(SSEEvent(name: nil, data: Array(#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"boom"}}}"#.utf8)))
        #expect(failed.summary.error == ProviderError(type: "server_error", message: "boom"))
    }
}

@Suite struct WireFormatDetectionTests {
    @Test func detectsByPath() {
        #expect(WireFormatKind.detect(path: "/v1/messages?beta=true") == .anthropicMessages)
        #expect(WireFormatKind.detect(path: "/v1/messages/count_tokens?beta=true") == .anthropicMessages)
        #expect(WireFormatKind.detect(path: "/v1/chat/completions") == .openAIChatCompletions)
        #expect(WireFormatKind.detect(path: "/api/v1/chat/completions") == .openAIChatCompletions)
        #expect(WireFormatKind.detect(path: "/v1/responses") == .openAIResponses)
        #expect(WireFormatKind.detect(path: "/v1/models") == nil)
    }
}
