import Foundation
import Proxy

/// The OpenTelemetry exporter: spans (and, when pushing, metrics) for every finished exchange, written
/// to JSON Lines trace files and/or pushed to a collector.
public final class TraceExporter: Sendable {
    let files: TraceFileWriter?
    let pusher: OTLPPusher?
    let captureContent: Bool
    let failures: FailureLog

    public init(files: TraceFileWriter?, pusher: OTLPPusher?, captureContent: Bool, failures: FailureLog) {
        self.files = files
        self.pusher = pusher
        self.captureContent = captureContent
        self.failures = failures
    }

    /// Follows the bus until it finishes, then lets the pusher flush.
    public func follow(_ bus: ExchangeBus) async {
        let queue = EventQueue(capacity: 20_000)
        let events = bus.subscribe("otel", capacity: 20_000, kinds: [.finished])
        let reader = Task {
            for await event in events where !queue.push(event) {
                failures.record(.exporter, "trace exporter fell behind; spans are being dropped")
            }
            queue.finish()
        }
        let pushing = pusher.map { pusher in Task { await pusher.run() } }
        var builder = SpanBuilder(captureContent: captureContent)
        var metrics = OTLPMetrics()
        func handle(_ batch: [ExchangeEvent]) {
            var spans: [OTLP.Span] = []
            for case .finished(let exchange) in batch {
                spans += builder.spans(for: exchange)
                if pusher != nil { metrics.record(exchange) }
            }
            guard !spans.isEmpty else { return }
            if let files {
                let line = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.resource, scopeSpans: [
                    OTLP.ScopeSpans(scope: OTLP.scope, spans: spans),
                ])])
                do {
                    try files.append(OTLP.json(line))
                } catch {
                    failures.record(.exporter, "cannot write trace file in \(files.directory.path): \(error)")
                }
            }
            if let pusher {
                pusher.enqueue(spans)
                pusher.offer(metrics.snapshot())
            }
        }
        await queue.batches { handle($0) }
        _ = await reader.value
        if let pusher {
            if !metrics.isEmpty { pusher.offer(metrics.snapshot()) }
            pusher.finish()
            await pushing?.value
        }
    }
}
