import Proxy

/// One consumer of the bus: the history, the trace exporter, Prometheus, the dashboard's memory. It
/// only handles batches; `SinkService` does the rest (subscribing, queueing, counting drops, starting
/// and draining), the same way for every sink, so adding one touches no other.
package protocol ExchangeSink: Sendable {
    /// Names its subscription in logs and drop counts.
    var name: String { get }
    var kinds: Set<ExchangeEvent.Kind> { get }
    /// How many events may wait before new ones are dropped (and counted).
    var capacity: Int { get }
    /// How long events gather after the first one before a batch is handed over.
    var batchWindow: Duration { get }
    /// The kind of failure a drop counts as.
    var failureKind: FailureLog.Kind { get }
    /// Before the first batch.
    func open() async
    /// One batch, in order. A failure is the sink's to count: it never reaches the forwarding path.
    func consume(_ batch: [ExchangeEvent]) async
    /// After the last batch, at shutdown: flush, close.
    func close() async
}

extension ExchangeSink {
    package var capacity: Int { 20_000 }
    package var batchWindow: Duration { EventQueue.batchWindow }
    package var failureKind: FailureLog.Kind { .exporter }
    package func open() async {}
    package func close() async {}
}
