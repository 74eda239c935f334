/// Token counts of one exchange, normalised the OpenTelemetry way: `inputTokens` includes cache reads
/// and writes (Anthropic reports them apart, OpenAI inside `prompt_tokens`); the cache counts are subsets.
package struct Usage: Sendable, Equatable, Codable {
    /// All prompt tokens, cached or not (`gen_ai.usage.input_tokens`).
    package var inputTokens: Int
    /// Generated tokens, reasoning included (`gen_ai.usage.output_tokens`).
    package var outputTokens: Int
    /// Prompt tokens served from cache.
    package var cacheReadTokens: Int
    /// Prompt tokens written to a 5-minute cache (the default TTL, and the bucket for TTL-less writes).
    package var cacheWrite5mTokens: Int
    /// Prompt tokens written to a 1-hour cache.
    package var cacheWrite1hTokens: Int
    /// Reasoning tokens, a subset of output, when the provider reports them.
    package var reasoningTokens: Int
    /// True while output is an estimate from streamed text, before the provider's final count arrives.
    package var outputEstimated: Bool

    package init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0,
                cacheWrite5mTokens: Int = 0, cacheWrite1hTokens: Int = 0, reasoningTokens: Int = 0,
                outputEstimated: Bool = false) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWrite5mTokens = cacheWrite5mTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
        self.reasoningTokens = reasoningTokens
        self.outputEstimated = outputEstimated
    }

    /// All cache writes (`gen_ai.usage.cache_creation.input_tokens`).
    package var cacheWriteTokens: Int { cacheWrite5mTokens + cacheWrite1hTokens }

    /// Prompt tokens neither read from nor written to the cache.
    package var uncachedInputTokens: Int { max(0, inputTokens - cacheReadTokens - cacheWriteTokens) }

    /// Share of the prompt served from cache, 0…1; nil without a prompt.
    package var cacheHitRate: Double? {
        inputTokens > 0 ? Double(cacheReadTokens) / Double(inputTokens) : nil
    }
}
