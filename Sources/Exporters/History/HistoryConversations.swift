import Foundation
import GRDB
import Proxy

/// Rebuilds what a continuing request stood on: a Responses request with `previous_response_id` (Codex
/// on a WebSocket) sends only its new input, and its exchange links to the one it continues. Walking
/// those links back and replaying them forward gives the conversation the model saw.
extension HistoryStore {
    /// The longest chain of continued responses walked back for one exchange.
    static let maxContinuations = 1000

    /// Fills `exchange.earlier`. `known` holds, by exchange id, conversations already rebuilt (each
    /// exchange's `conversationAfter`), so a session read in order walks each link once.
    static func rebuildEarlier(of exchange: inout Exchange, _ db: Database, known: [String: Prompt] = [:]) throws {
        var chain: [Exchange] = []
        var next = exchange.continues
        var before: Prompt?
        while let id = next, chain.count < maxContinuations {
            if let rebuilt = known[id] {
                before = rebuilt
                break
            }
            guard let earlier = try loadExchange(id: id, db) else { break }  // pruned: rebuild what is left
            chain.append(earlier)
            next = earlier.continues
        }
        for var earlier in chain.reversed() {
            earlier.earlier = before
            before = earlier.conversationAfter ?? before
        }
        exchange.earlier = before
    }

    /// Exchanges by id, in id order, each continuing request with its conversation rebuilt.
    func exchangesWithConversations(ids: [String]) throws -> [Exchange] {
        try pool.read { db in
            var after: [String: Prompt] = [:]
            return try ids.sorted().compactMap { id in
                guard var exchange = try Self.loadExchange(id: id, db) else { return nil }
                if exchange.continues != nil { try Self.rebuildEarlier(of: &exchange, db, known: after) }
                if exchange.transport == .webSocket { after[id] = exchange.conversationAfter }
                return exchange
            }
        }
    }
}
