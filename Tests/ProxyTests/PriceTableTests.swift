import Foundation
import Testing
@testable import Proxy

@Suite struct PriceTableTests {
    static let shipped: PriceTable = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../data/pricing.json").standardized
        return try! PriceTable(json: Data(contentsOf: url))
    }()

    @Test func datedSnapshotsMatchTheirModelNotAShorterOne() {
        #expect(Self.shipped.lookup(provider: "anthropic", model: "claude-sonnet-4-5-20250929")?.key == "anthropic:claude-sonnet-4-5")
        #expect(Self.shipped.lookup(provider: "anthropic", model: "claude-sonnet-4-20250514")?.key == "anthropic:claude-sonnet-4")
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-5-mini-2025-08-07")?.key == "openai:gpt-5-mini")
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-5.2-codex")?.key == "openai:gpt-5.2-codex")
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-5.2-2025-12-11")?.key == "openai:gpt-5.2")
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-4o-2024-08-06")?.key == "openai:gpt-4o")
    }

    @Test func aSuffixThatNamesAnotherModelIsNotPricedAsTheShorterOne() {
        // Codex 0.147.0 offers gpt-5.4-mini beside gpt-5.4: a third of the price, never the base's.
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-5.4-mini")?.key == "openai:gpt-5.4-mini")
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-5.6-sol-codex") == nil)
        #expect(Self.shipped.lookup(provider: "openai", model: "codex-auto-review") == nil)
        #expect(Self.shipped.lookup(provider: "anthropic", model: "claude-sonnet-4-7") == nil)
    }

    @Test func resoldAndCloudModelNamesFindTheOriginal() {
        #expect(Self.shipped.lookup(provider: "openrouter", model: "anthropic/claude-sonnet-4.5")?.key == "anthropic:claude-sonnet-4-5")
        #expect(Self.shipped.lookup(provider: "openrouter", model: "openai/gpt-4o-mini")?.key == "openai:gpt-4o-mini")
        #expect(Self.shipped.lookup(provider: "anthropic", model: "us.anthropic.claude-opus-4-1-20250805-v1:0")?.key == "anthropic:claude-opus-4-1")
        #expect(Self.shipped.lookup(provider: "anthropic", model: "claude-haiku-4-5@20251001")?.key == "anthropic:claude-haiku-4-5")
        #expect(Self.shipped.lookup(provider: "openrouter", model: "Anthropic/Claude-Sonnet-4.5")?.key == "anthropic:claude-sonnet-4-5")
    }

    @Test func anAliasNamesItsEntryInAnyCase() throws {
        let table = try PriceTable(json: Data(#"{"models":{"acme:acme-1":{"input":1,"output":2,"aliases":["Acme.One"]}}}"#.utf8))
        #expect(table.lookup(provider: "acme", model: "acme.one")?.key == "acme:acme-1")
        #expect(table.lookup(provider: "reseller", model: "ACME.ONE")?.key == "acme:acme-1")
        #expect(table.lookup(provider: "acme", model: "acme-two") == nil)
    }

    @Test func unknownModelsAreUnpriced() {
        #expect(Self.shipped.lookup(provider: "openai", model: "gpt-9-ultra") == nil)
        #expect(Self.shipped.cost(provider: "openai", model: "gpt-9-ultra", usage: Usage(inputTokens: 10), at: Date()) == nil)
        #expect(Self.shipped.cost(provider: "openai", model: nil, usage: Usage(inputTokens: 10), at: Date()) == nil)
    }

    @Test func anthropicCostByTokenType() throws {
        let usage = Usage(inputTokens: 37200, outputTokens: 350, cacheReadTokens: 30000, cacheWrite5mTokens: 2000, cacheWrite1hTokens: 4000)
        let cost = try #require(Self.shipped.cost(provider: "anthropic", model: "claude-sonnet-4-5-20250929", usage: usage, at: Date()))
        #expect(abs(cost.input - 1200 * 3e-6) < 1e-12)
        #expect(abs(cost.cacheRead - 30000 * 0.3e-6) < 1e-12)
        #expect(abs(cost.cacheWrite5m - 2000 * 3.75e-6) < 1e-12)
        #expect(abs(cost.cacheWrite1h - 4000 * 6e-6) < 1e-12)
        #expect(abs(cost.output - 350 * 15e-6) < 1e-12)
        #expect(abs(cost.total - 0.04935) < 1e-9)
    }

    @Test func longContextTierAppliesAbove200kPromptTokens() throws {
        let usage = Usage(inputTokens: 250_000, outputTokens: 1000, cacheReadTokens: 200_000)
        let cost = try #require(Self.shipped.cost(provider: "anthropic", model: "claude-sonnet-4-5", usage: usage, at: Date()))
        #expect(abs(cost.total - (50_000 * 6 + 200_000 * 0.6 + 1000 * 22.5) / 1e6) < 1e-9)
        let small = try #require(Self.shipped.cost(provider: "anthropic", model: "claude-sonnet-4-5", usage: Usage(inputTokens: 200_000), at: Date()))
        #expect(abs(small.total - 0.6) < 1e-9)
    }

    @Test func deepSeekFlashPeakHoursOnWeekdaysOnly() throws {
        let usage = Usage(inputTokens: 1_000_000, outputTokens: 1_000_000)
        let wednesday0700 = ISO8601DateFormatter().date(from: "2026-11-25T07:00:00Z")!
        let wednesday1200 = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!
        let saturday0700 = ISO8601DateFormatter().date(from: "2026-11-28T07:00:00Z")!
        let peak = try #require(Self.shipped.cost(provider: "deepseek", model: "deepseek-flash", usage: usage, at: wednesday0700))
        let offPeak = try #require(Self.shipped.cost(provider: "deepseek", model: "deepseek-flash", usage: usage, at: wednesday1200))
        let weekend = try #require(Self.shipped.cost(provider: "deepseek", model: "deepseek-flash", usage: usage, at: saturday0700))
        #expect(abs(peak.total - 1.50) < 1e-9)
        #expect(abs(offPeak.total - 0.75) < 1e-9)
        #expect(abs(weekend.total - 0.75) < 1e-9)
    }

    @Test func geminiProBillsTheWholePromptAtTheLongTierAbove200k() throws {
        // promptTokenCount 250 000 of which 100 000 cached, 2 000 candidates + 1 000 thoughts.
        let long = Usage(inputTokens: 250_000, outputTokens: 3000, cacheReadTokens: 100_000)
        let cost = try #require(Self.shipped.cost(provider: "gemini", model: "gemini-2.5-pro", usage: long, at: Date()))
        #expect(abs(cost.total - (150_000 * 2.5 + 100_000 * 0.25 + 3000 * 15) / 1e6) < 1e-9)
        let short = try #require(Self.shipped.cost(provider: "gemini", model: "gemini-2.5-pro", usage: Usage(inputTokens: 200_000), at: Date()))
        #expect(abs(short.total - 0.25) < 1e-9)
    }

    @Test func geminiPreviewAndCodeAssistNamesFindTheirOwnEntry() {
        #expect(Self.shipped.lookup(provider: "gemini", model: "models/gemini-2.5-flash")?.key == "gemini:gemini-2.5-flash")
        #expect(Self.shipped.lookup(provider: "gemini", model: "gemini-2.5-flash-lite")?.key == "gemini:gemini-2.5-flash-lite")
        #expect(Self.shipped.lookup(provider: "gemini", model: "gemini-3-pro-preview")?.key == "gemini:gemini-3-pro-preview")
        #expect(Self.shipped.lookup(provider: "code-assist", model: "gemini-3.1-flash-lite-preview")?.key == "gemini:gemini-3.1-flash-lite")
        // A preview is not priced as its family's other model.
        #expect(Self.shipped.lookup(provider: "gemini", model: "gemini-3-pro-image-preview") == nil)
    }

    @Test func anIntroductoryPriceEndsOnItsDay() throws {
        let usage = Usage(inputTokens: 1_000_000, outputTokens: 1_000_000)
        let december = ISO8601DateFormatter().date(from: "2026-12-31T23:59:59Z")!
        let january = ISO8601DateFormatter().date(from: "2027-01-01T00:00:00Z")!
        let before = try #require(Self.shipped.cost(provider: "gemini", model: "gemini-3.8-flash", usage: usage, at: december))
        let after = try #require(Self.shipped.cost(provider: "gemini", model: "gemini-3.8-flash", usage: usage, at: january))
        #expect(abs(before.total - 4.5) < 1e-9)
        #expect(abs(after.total - 9.0) < 1e-9)
        #expect(throws: PricingError.self) {
            try PriceTable(json: Data(#"{"models":{"x:y":{"input":1,"output":1,"changes":[{"from":"next year","input":2,"output":2}]}}}"#.utf8))
        }
    }

    @Test func userFileOverridesAndAdds() throws {
        var table = Self.shipped
        table.merge(try PriceTable(json: Data(#"{"models":{"openai:gpt-4.1":{"input":1,"output":2},"acme:acme-1":{"input":0.5,"output":1,"aliases":["acme-one"]}}}"#.utf8)))
        #expect(table.lookup(provider: "openai", model: "gpt-4.1")?.price.rates.input == 1)
        #expect(table.lookup(provider: "acme", model: "acme-one")?.key == "acme:acme-1")
        // A cache rate left out bills as plain input, never as a discount nobody stated.
        let cost = try #require(table.cost(provider: "acme", model: "acme-1", usage: Usage(inputTokens: 1000, cacheReadTokens: 1000), at: Date()))
        #expect(abs(cost.cacheRead - 0.0005) < 1e-12)
    }

    @Test func badKeysAreRejected() {
        #expect(throws: PricingError.self) { try PriceTable(json: Data(#"{"models":{"gpt-4.1":{"input":1,"output":2}}}"#.utf8)) }
    }

    @Test func everyShippedEntryHasSaneRates() {
        for (key, price) in Self.shipped.entries {
            #expect(price.rates.input > 0 && price.rates.output >= price.rates.input, "\(key)")
            #expect((price.rates.cacheRead ?? 0) <= price.rates.input, "\(key)")
        }
    }
}
