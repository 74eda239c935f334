import Foundation
import Proxy
import Synchronization

/// The OpenTelemetry exporter: spans for every finished exchange, written to JSON Lines trace files
/// and/or pushed to a collector (the pushed metrics come from `PrometheusExporter`'s recording).
package final class TraceExporter: ExchangeSink {
    let files: TraceFileWriter?
    let pusher: OTLPPusher?
    let failures: FailureLog
    let resource: OTelResource
    package var name: String { "otel" }
    package var kinds: Set<ExchangeEvent.Kind> { [.finished] }

    /// Batches arrive one at a time; the lock only makes the builder shareable.
    private let builder: Mutex<SpanBuilder>
    private let pushing = Mutex<Task<Void, Never>?>(nil)

    package init(files: TraceFileWriter?, pusher: OTLPPusher?, captureContent: Bool, failures: FailureLog,
                resource: OTelResource = .standard()) {
        self.files = files
        self.pusher = pusher
        self.failures = failures
        self.resource = resource
        builder = Mutex(SpanBuilder(captureContent: captureContent))
    }

    package func open() async {
        guard let pusher else { return }
        pushing.withLock { $0 = Task { await pusher.run() } }
    }

    package func consume(_ batch: [ExchangeEvent]) async {
        let spans = builder.withLock { builder in
            var spans: [OTLP.Span] = []
            for case .finished(let exchange) in batch { spans += builder.spans(for: exchange) }
            return spans
        }
        guard !spans.isEmpty else { return }
        if let files {
            let line = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.Resource(resource), scopeSpans: [
                OTLP.ScopeSpans(scope: OTLP.scope, spans: spans),
            ])])
            do {
                try files.append(OTLP.json(line))
            } catch {
                failures.record(.exporter, "cannot write trace file in \(files.directory.path): \(error)")
            }
        }
        pusher?.enqueue(spans)
    }

    /// Lets the pusher send what it holds, for at most its drain time; then says what it leaves behind.
    package func close() async {
        guard let pusher else { return }
        pusher.finish()
        guard let task = pushing.withLock({ $0 }) else { return }
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await task.value; return true }
            group.addTask { try? await Task.sleep(for: pusher.options.drainTimeout); return false }
            let first = await group.next() ?? true
            if !first { task.cancel() }
            group.cancelAll()
            return first
        }
        if !drained { pusher.reportUndelivered() }
    }
}
