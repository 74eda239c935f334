import Proxy

/// The OpenTelemetry GenAI semantic-convention names ccglass emits (semantic-conventions-genai).
enum GenAI {
    static let operationName = "gen_ai.operation.name"
    static let providerName = "gen_ai.provider.name"
    static let requestModel = "gen_ai.request.model"
    static let requestStream = "gen_ai.request.stream"
    static let requestMaxTokens = "gen_ai.request.max_tokens"
    static let requestTemperature = "gen_ai.request.temperature"
    static let requestTopP = "gen_ai.request.top_p"
    static let responseModel = "gen_ai.response.model"
    static let responseID = "gen_ai.response.id"
    static let finishReasons = "gen_ai.response.finish_reasons"
    static let timeToFirstChunk = "gen_ai.response.time_to_first_chunk"
    static let inputTokens = "gen_ai.usage.input_tokens"
    static let outputTokens = "gen_ai.usage.output_tokens"
    static let cacheReadTokens = "gen_ai.usage.cache_read.input_tokens"
    static let cacheCreationTokens = "gen_ai.usage.cache_creation.input_tokens"
    static let reasoningTokens = "gen_ai.usage.reasoning.output_tokens"
    static let conversationID = "gen_ai.conversation.id"
    static let agentID = "gen_ai.agent.id"
    static let agentName = "gen_ai.agent.name"
    static let inputMessages = "gen_ai.input.messages"
    static let outputMessages = "gen_ai.output.messages"
    static let systemInstructions = "gen_ai.system_instructions"
    static let toolDefinitions = "gen_ai.tool.definitions"
    static let toolName = "gen_ai.tool.name"
    static let toolCallID = "gen_ai.tool.call.id"
    static let toolType = "gen_ai.tool.type"
    static let toolCallArguments = "gen_ai.tool.call.arguments"
    static let tokenType = "gen_ai.token.type"
    static let serverAddress = "server.address"
    static let serverPort = "server.port"
    static let errorType = "error.type"
    static let httpStatus = "http.response.status_code"

    /// `gen_ai.client.token.usage` bucket boundaries, in tokens.
    static let tokenBuckets: [Double] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
    /// `gen_ai.client.operation.duration` and time-to-first-chunk bucket boundaries, in seconds.
    static let durationBuckets: [Double] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
    /// ccglass's own overhead bucket boundaries, in seconds (a tenth of a millisecond and up).
    static let overheadBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1]
}

extension Exchange {
    /// `gen_ai.operation.name`: `chat` for a generation, else what the endpoint does (`count_tokens`, …).
    var operationName: String { request.operation }

    /// `2xx`, `4xx`, `5xx`, or `error` when no status came back.
    var statusClass: String {
        guard let status else { return "error" }
        return "\(status / 100)xx"
    }
}
