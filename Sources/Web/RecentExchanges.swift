import Exporters
import Foundation
import Proxy
import Synchronization

/// The last exchanges this process saw, in flight ones included, kept in memory for the live views.
package final class RecentExchanges: ExchangeSink {
    package var name: String { "live" }
    package var kinds: Set<ExchangeEvent.Kind> { [.started, .updated, .finished] }
    package var batchWindow: Duration { .zero }
    private let state = Mutex<(order: [String], byID: [String: Exchange])>(([], [:]))
    package let capacity: Int

    package init(capacity: Int = 500) {
        self.capacity = capacity
    }

    package func consume(_ batch: [ExchangeEvent]) async {
        for event in batch { record(event.exchange) }
    }

    package func record(_ exchange: Exchange) {
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
    package func list(limit: Int = 100) -> [Exchange] {
        state.withLock { state in state.order.suffix(limit).reversed().compactMap { state.byID[$0] } }
    }

    package func exchange(id: String) -> Exchange? {
        state.withLock { $0.byID[id] }
    }
}
