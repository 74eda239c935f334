import Foundation

/// USD per million tokens for one model, as listed in `pricing.json`. A cache rate left out costs what
/// plain input costs (no discount is assumed that the data does not state).
package struct Rates: Sendable, Equatable, Codable {
    package var input: Double
    package var output: Double
    package var cacheRead: Double?
    package var cacheWrite5m: Double?
    package var cacheWrite1h: Double?

    enum CodingKeys: String, CodingKey {
        case input, output
        case cacheRead = "cache_read"
        case cacheWrite5m = "cache_write_5m"
        case cacheWrite1h = "cache_write_1h"
    }
}

/// The price of one model: base rates, plus rates that apply above a prompt size, in peak hours or
/// from an announced date.
package struct ModelPrice: Sendable, Equatable, Codable {
    package var rates: Rates
    /// Long-context tiers: when a prompt (cache included) exceeds `aboveInputTokens`, all of it is billed at these rates.
    package var tiers: [Tier]
    /// Time-of-day pricing (DeepSeek V4): inside a window, its rates replace the base rates.
    package var peak: Peak?
    package var aliases: [String]
    /// Announced price changes (an introductory price that ends): from its day on, a change's rates and
    /// tiers replace the base ones, so a stored exchange keeps the price of the day it was sent.
    package var changes: [Change] = []

    package struct Tier: Sendable, Equatable, Codable {
        package var aboveInputTokens: Int
        package var rates: Rates
    }

    package struct Peak: Sendable, Equatable, Codable {
        /// `HH:MM-HH:MM` in UTC, end exclusive.
        package var utcWindows: [String]
        package var weekdaysOnly: Bool
        package var rates: Rates
    }

    package struct Change: Sendable, Equatable, Codable {
        /// Midnight UTC of the first day the change applies.
        package var from: Date
        package var rates: Rates
        package var tiers: [Tier]
    }

    /// The rates for a prompt of `inputTokens` sent at `date`.
    package func rates(inputTokens: Int, at date: Date) -> Rates {
        if let peak, peak.contains(date) { return peak.rates }
        let current = changes.filter { $0.from <= date }.max { $0.from < $1.from }
        let tiers = current?.tiers ?? tiers
        return tiers.filter { inputTokens > $0.aboveInputTokens }.max { $0.aboveInputTokens < $1.aboveInputTokens }?.rates
            ?? current?.rates ?? rates
    }
}

extension ModelPrice.Peak {
    func contains(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        if weekdaysOnly, let weekday = parts.weekday, weekday == 1 || weekday == 7 { return false }
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return utcWindows.contains { window in
            let ends = window.split(separator: "-").map { hhmm -> Int in
                let p = hhmm.split(separator: ":").compactMap { Int($0) }
                return p.count == 2 ? p[0] * 60 + p[1] : -1
            }
            return ends.count == 2 && ends[0] <= minute && minute < ends[1]
        }
    }
}

/// What one exchange cost, by token type, in USD.
package struct Cost: Sendable, Equatable, Codable {
    package var input: Double
    package var output: Double
    package var cacheRead: Double
    package var cacheWrite5m: Double
    package var cacheWrite1h: Double
    /// The `pricing.json` entry used, e.g. `anthropic:claude-sonnet-4-5`.
    package var pricedAs: String

    package var total: Double { input + output + cacheRead + cacheWrite5m + cacheWrite1h }

    package init(input: Double, output: Double, cacheRead: Double, cacheWrite5m: Double, cacheWrite1h: Double, pricedAs: String) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite5m = cacheWrite5m
        self.cacheWrite1h = cacheWrite1h
        self.pricedAs = pricedAs
    }

    package static func of(_ usage: Usage, rates: Rates, pricedAs: String) -> Cost {
        let perToken = 1.0 / 1_000_000
        return Cost(
            input: Double(usage.uncachedInputTokens) * rates.input * perToken,
            output: Double(usage.outputTokens) * rates.output * perToken,
            cacheRead: Double(usage.cacheReadTokens) * (rates.cacheRead ?? rates.input) * perToken,
            cacheWrite5m: Double(usage.cacheWrite5mTokens) * (rates.cacheWrite5m ?? rates.input) * perToken,
            cacheWrite1h: Double(usage.cacheWrite1hTokens) * (rates.cacheWrite1h ?? rates.cacheWrite5m ?? rates.input) * perToken,
            pricedAs: pricedAs)
    }
}

/// Model prices keyed `provider:model`, loaded from `pricing.json`. A model it cannot find is unpriced
/// (nil), never free.
package struct PriceTable: Sendable {
    package private(set) var entries: [String: ModelPrice] {
        didSet { index = Index(entries) }
    }
    /// The `updated` date of the data.
    package private(set) var updated: String?
    /// What a lookup needs of `entries`, worked out once: every exchange is priced, twice.
    private var index: Index

    package init(entries: [String: ModelPrice] = [:], updated: String? = nil) {
        self.entries = entries
        self.updated = updated
        self.index = Index(entries)
    }

    /// Parses the `pricing.json` format.
    package init(json data: Data) throws {
        let file = try JSONDecoder().decode(PricingFile.self, from: data)
        self.updated = file.updated
        self.entries = file.models.mapValues(\.price)
        self.index = Index(entries)
        for key in entries.keys where !key.contains(":") {
            throw PricingError.badKey(key)
        }
    }

    /// Entries of `other` replace or add to these (a user's `pricing.json` over the shipped one).
    package mutating func merge(_ other: PriceTable) {
        entries.merge(other.entries) { _, new in new }
        if let date = other.updated { updated = date }
    }

    /// The entry for a model served by `provider`: its own listing first, then the same model under any
    /// provider (OpenRouter and compatible endpoints resell the originals).
    package func lookup(provider: String, model: String) -> (key: String, price: ModelPrice)? {
        let name = Self.canonical(model)
        if let hit = find(name, in: provider) { return hit }
        for other in index.providers where other != provider {
            if let hit = find(name, in: other) { return hit }
        }
        return nil
    }

    /// The cost of `usage` on `model`, or nil when the model is not in the table.
    package func cost(provider: String, model: String?, usage: Usage, at date: Date) -> Cost? {
        guard let model, let (key, price) = lookup(provider: provider, model: model) else { return nil }
        return Cost.of(usage, rates: price.rates(inputTokens: usage.inputTokens, at: date), pricedAs: key)
    }

    private func find(_ name: String, in provider: String) -> (key: String, price: ModelPrice)? {
        let prefix = provider + ":"
        if let price = entries[prefix + name] { return (prefix + name, price) }
        if let key = index.aliases[prefix + name], let price = entries[key] { return (key, price) }
        var best: (key: String, price: ModelPrice, length: Int)?
        for (key, price) in entries where key.hasPrefix(prefix) {
            let listed = key.dropFirst(prefix.count)
            // A dated snapshot is its model (`gpt-5-mini-2025-08-07` is `gpt-5-mini`); any other suffix
            // names another model (`gpt-5.4-mini` is not `gpt-5.4`, `claude-sonnet-4-7` not
            // `claude-sonnet-4`), which stays unpriced rather than take a wrong price.
            guard name.hasPrefix(listed), Self.isSnapshot(name.dropFirst(listed.count)) else { continue }
            if listed.count > (best?.length ?? 0) { best = (key, price, listed.count) }
        }
        return best.map { ($0.key, $0.price) }
    }

    /// The providers listed, in order, and each entry's aliases as lookups name them
    /// (`provider:canonical alias` to the entry's key).
    private struct Index: Sendable {
        var providers: [String]
        var aliases: [String: String] = [:]

        init(_ entries: [String: ModelPrice]) {
            providers = Set(entries.keys.map { String($0.prefix(while: { $0 != ":" })) }).sorted()
            for (key, price) in entries.sorted(by: { $0.key < $1.key }) {
                let prefix = key.prefix(while: { $0 != ":" }) + ":"
                for alias in price.aliases {
                    let name = String(prefix + PriceTable.canonical(alias))
                    if aliases[name] == nil { aliases[name] = key }
                }
            }
        }
    }

    /// `-20250929`, `-2025-08-07`, `-0613`: a dash, then a date of four digits or more.
    static func isSnapshot(_ suffix: Substring) -> Bool {
        guard suffix.first == "-" else { return false }
        let digits = suffix.dropFirst().prefix { $0.isASCII && $0.isNumber }
        return digits.count >= 4 && (digits.endIndex == suffix.endIndex || suffix[digits.endIndex] == "-")
    }

    /// `anthropic/claude-sonnet-4.5:beta`, `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and
    /// `claude-sonnet-4-5@20250929` all become `claude-sonnet-4-5…`.
    static func canonical(_ model: String) -> String {
        var name = model.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) ? model.lowercased() : model
        if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        for vendor in ["us.anthropic.", "eu.anthropic.", "apac.anthropic.", "global.anthropic.", "anthropic."] where name.hasPrefix(vendor) {
            name = String(name.dropFirst(vendor.count))
        }
        if let colon = name.firstIndex(of: ":") { name = String(name[..<colon]) }
        if name.hasSuffix("-v1") || name.hasSuffix("-v2") { name = String(name.dropLast(3)) }
        if name.hasPrefix("claude"), name.utf8.contains(UInt8(ascii: ".")) {
            name = String(decoding: name.utf8.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
        }
        return name
    }
}

package enum PricingError: Error, CustomStringConvertible {
    case badKey(String)
    case badDate(String)

    package var description: String {
        switch self {
        case .badKey(let key): return "pricing entry '\(key)' must be keyed provider:model"
        case .badDate(let text): return "pricing change date '\(text)' must be YYYY-MM-DD"
        }
    }
}

/// The on-disk shape of `pricing.json`: each entry holds its rates beside `aliases`, `tiers`, `peak` and
/// `changes`, and each tier, peak or change holds rates beside its condition.
private struct PricingFile: Decodable {
    var updated: String?
    var models: [String: Entry]

    struct Entry: Decodable {
        var price: ModelPrice

        enum CodingKeys: String, CodingKey { case aliases, tiers, peak, changes }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            price = ModelPrice(
                rates: try Rates(from: decoder),
                tiers: try container.decodeIfPresent([TierEntry].self, forKey: .tiers)?.map(\.tier) ?? [],
                peak: try container.decodeIfPresent(PeakEntry.self, forKey: .peak)?.peak,
                aliases: try container.decodeIfPresent([String].self, forKey: .aliases) ?? [],
                changes: try container.decodeIfPresent([ChangeEntry].self, forKey: .changes)?.map(\.change) ?? [])
        }
    }

    struct ChangeEntry: Decodable {
        var change: ModelPrice.Change

        enum CodingKeys: String, CodingKey { case from, tiers }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let day = try container.decode(String.self, forKey: .from)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let parts = day.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, let from = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
                throw PricingError.badDate(day)
            }
            change = ModelPrice.Change(from: from, rates: try Rates(from: decoder),
                                       tiers: try container.decodeIfPresent([TierEntry].self, forKey: .tiers)?.map(\.tier) ?? [])
        }
    }

    struct TierEntry: Decodable {
        var tier: ModelPrice.Tier

        enum CodingKeys: String, CodingKey { case above = "above_input_tokens" }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tier = ModelPrice.Tier(aboveInputTokens: try container.decode(Int.self, forKey: .above),
                                   rates: try Rates(from: decoder))
        }
    }

    struct PeakEntry: Decodable {
        var peak: ModelPrice.Peak

        enum CodingKeys: String, CodingKey {
            case windows = "utc_windows"
            case weekdaysOnly = "weekdays_only"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            peak = ModelPrice.Peak(utcWindows: try container.decode([String].self, forKey: .windows),
                                   weekdaysOnly: try container.decodeIfPresent(Bool.self, forKey: .weekdaysOnly) ?? false,
                                   rates: try Rates(from: decoder))
        }
    }
}
