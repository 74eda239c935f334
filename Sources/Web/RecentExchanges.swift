import Exporters
import Foundation
import Proxy
import Synchronization

/// The last exchanges this process saw, in flight ones included, kept in memory for the live views.
public final class RecentExchanges: ExchangeSink {
    public var name: String { "live" }
    public var kinds: Set<ExchangeEvent.Kind> { [.started, .updated, .finished] }
    public var batchWindow: Duration { .zero }
    private let state = Mutex<(order: [String], byID: [String: Exchange])>(([], [:]))
    public let capacity: Int

    public init(capacity: Int = 500) {
        self.capacity = capacity
    }

    public func consume(_ batch: [ExchangeEvent]) async {
        for event in batch { record(event.exchange) }
    }

    public func record(_ exchange: Exchange) {
        state.withLock { state in
            if state.byID.updateValue(exchange, forKey: exchange.id) == nil {
                state.order.append(exchange.id)
                if state.order.count > capacity {
                    let evicted = state.order.removeFirst()
                    state.byID.removeValue(forKey: evicted)
                }
            }
        }
    }

    /// Newest first.
    public func list(limit: Int = 100) -> [Exchange] {
        state.withLock { state in state.order.suffix(limit).reversed().compactMap { state.byID[$0] } }
    }

    public func exchange(id: String) -> Exchange? {
        state.withLock { $0.byID[id] }
    }
}
