import Foundation
import Proxy

/// Where a request's input tokens go: system prompt, each tool's schema, and the messages by kind (user
/// text, assistant text, thinking, each tool's calls and results, images). Pieces are weighed by size and
/// the weights scaled so the parts add up exactly to the input tokens the provider reported.
package struct ContextBreakdown: Sendable, Codable, Equatable {
    package struct Part: Sendable, Codable, Equatable {
        package var kind: ContextKind
        /// The tool, for schemas, calls and results.
        package var tool: String?
        package var tokens: Int
        package var pieces: Int
    }

    package var exchangeID: String
    /// The provider's input tokens (cache included); the parts sum to this.
    package var inputTokens: Int
    /// True when no usage was reported: the total itself is an estimate (about four characters a token).
    package var estimated: Bool
    /// Largest first.
    package var parts: [Part]

    package static func of(_ exchange: Exchange) -> ContextBreakdown {
        let pieces = exchange.conversation?.pieces ?? []
        let weights = pieces.map { max($0.weight, 1) }
        let reported = exchange.usage.flatMap { $0.inputTokens > 0 ? $0.inputTokens : nil }
        let total = reported ?? weights.reduce(0, +) / 4
        let tokens = apportion(total, by: weights)
        var parts: [String: Part] = [:]
        var order: [String] = []
        for (piece, count) in zip(pieces, tokens) {
            let key = piece.kind.rawValue + "|" + (piece.tool ?? "")
            if parts[key] == nil {
                parts[key] = Part(kind: piece.kind, tool: piece.tool, tokens: 0, pieces: 0)
                order.append(key)
            }
            parts[key]!.tokens += count
            parts[key]!.pieces += 1
        }
        var list = order.map { parts[$0]! }
        if pieces.isEmpty, total > 0 { list = [Part(kind: .other, tool: nil, tokens: total, pieces: 1)] }
        list.sort { $0.tokens > $1.tokens }
        return ContextBreakdown(exchangeID: exchange.id, inputTokens: total, estimated: reported == nil, parts: list)
    }

    /// `total` split in proportion to `weights`, as integers that add up to `total` exactly
    /// (largest remainder).
    static func apportion(_ total: Int, by weights: [Int]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double($0) * Double(total) / Double(sum) }
        var shares = exact.map { Int($0.rounded(.down)) }
        let leftover = total - shares.reduce(0, +)
        let order = exact.indices.sorted { exact[$0] - Double(shares[$0]) > exact[$1] - Double(shares[$1]) }
        for index in order.prefix(leftover) { shares[index] += 1 }
        return shares
    }
}
