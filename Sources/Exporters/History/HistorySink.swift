import Proxy

/// The history as a sink of the bus: each batch in one transaction; at shutdown, what this process
/// left in flight is marked incomplete.
public struct HistorySink: ExchangeSink {
    public let store: HistoryStore
    public let failures: FailureLog
    public var name: String { "history" }
    public var kinds: Set<ExchangeEvent.Kind> { [.started, .finished] }
    public var failureKind: FailureLog.Kind { .store }

    public init(store: HistoryStore, failures: FailureLog) {
        self.store = store
        self.failures = failures
    }

    public func consume(_ batch: [ExchangeEvent]) async {
        await store.record(batch, failures: failures)
    }

    public func close() async {
        do {
            try store.markAbandoned(includingOwn: true)
        } catch {
            failures.record(.store, "could not close the history at \(store.url.path): \(error)")
        }
    }
}

/// Stands in for the history when it could not be opened: counts every exchange that goes unrecorded,
/// so `/metrics` shows the store is down.
public struct UnrecordedCounter: ExchangeSink {
    public let failures: FailureLog
    public var name: String { "history-unavailable" }
    public var kinds: Set<ExchangeEvent.Kind> { [.finished] }

    public init(failures: FailureLog) {
        self.failures = failures
    }

    public func consume(_ batch: [ExchangeEvent]) async {
        for _ in batch { failures.record(.store, "history unavailable; exchange not recorded") }
    }
}
