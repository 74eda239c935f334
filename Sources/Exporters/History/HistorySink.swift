import Proxy

/// The history as a sink of the bus: each batch in one transaction; at shutdown, what this process
/// left in flight is marked incomplete.
package struct HistorySink: ExchangeSink {
    package let store: HistoryStore
    package let failures: FailureLog
    package var name: String { "history" }
    package var kinds: Set<ExchangeEvent.Kind> { [.started, .finished] }
    package var failureKind: FailureLog.Kind { .store }

    package init(store: HistoryStore, failures: FailureLog) {
        self.store = store
        self.failures = failures
    }

    package func consume(_ batch: [ExchangeEvent]) async {
        await store.record(batch, failures: failures)
    }

    package func close() async {
        do {
            try store.markAbandoned(includingOwn: true)
        } catch {
            failures.record(.store, "could not close the history at \(store.url.path): \(error)")
        }
    }
}

/// Stands in for the history when it could not be opened: counts every exchange that goes unrecorded,
/// so `/metrics` shows the store is down.
package struct UnrecordedCounter: ExchangeSink {
    package let failures: FailureLog
    package var name: String { "history-unavailable" }
    package var kinds: Set<ExchangeEvent.Kind> { [.finished] }

    package init(failures: FailureLog) {
        self.failures = failures
    }

    package func consume(_ batch: [ExchangeEvent]) async {
        for _ in batch { failures.record(.store, "history unavailable; exchange not recorded") }
    }
}
