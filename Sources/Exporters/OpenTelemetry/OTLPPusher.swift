import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Proxy
import Synchronization

/// Pushes spans and metrics as OTLP/HTTP JSON to a collector (`<endpoint>/v1/traces`, `/v1/metrics`):
/// batched, retried with backoff on 429/502/503/504 and connection errors, from a bounded queue. Nothing
/// here ever waits on the forwarding path; what cannot be delivered is dropped and counted.
public final class OTLPPusher: Sendable {
    public struct Options: Sendable {
        public var endpoint: URL
        public var headers: [(String, String)]
        public var flushInterval: Duration = .seconds(1)
        public var metricsInterval: Duration = .seconds(10)
        public var maxBatch = 512
        public var queueLimit = 8192
        public var maxAttempts = 5
        public var backoff: Duration = .milliseconds(500)

        public init(endpoint: URL, headers: [(String, String)]) {
            self.endpoint = endpoint
            self.headers = headers
        }
    }

    /// Outcome of one batch, for `/metrics`.
    public enum BatchResult: String, Sendable {
        case sent, retried, dropped
    }

    let options: Options
    private let client: HTTPClient
    private let failures: FailureLog
    private let onBatch: @Sendable (String, BatchResult) -> Void
    private let spans = Mutex<[OTLP.Span]>([])
    private let latestMetrics = Mutex<OTLP.MetricsData?>(nil)
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    public init(options: Options, client: HTTPClient, failures: FailureLog,
                onBatch: @escaping @Sendable (String, BatchResult) -> Void = { _, _ in }) {
        self.options = options
        self.client = client
        self.failures = failures
        self.onBatch = onBatch
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues spans; when the queue is full they are dropped (counted as a dropped batch).
    func enqueue(_ new: [OTLP.Span]) {
        let (accepted, full) = spans.withLock { queue -> (Bool, Bool) in
            guard queue.count + new.count <= options.queueLimit else { return (false, false) }
            queue += new
            return (true, queue.count >= options.maxBatch)
        }
        if !accepted {
            onBatch("traces", .dropped)
            failures.record(.exporter, "OTLP queue full (collector at \(options.endpoint) too slow or down); spans dropped")
        }
        if full { wake.yield() }
    }

    /// The metrics to send next (cumulative, so only the latest matters).
    func offer(_ metrics: OTLP.MetricsData) {
        latestMetrics.withLock { $0 = metrics }
    }

    /// Sends until `finish()`; then flushes what is left once.
    public func run() async {
        let ticker = Task { [wake, options] in
            while !Task.isCancelled {
                try? await Task.sleep(for: options.flushInterval)
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        var lastMetrics = ContinuousClock.now
        for await _ in wakes {
            await flushSpans()
            if ContinuousClock.now - lastMetrics >= options.metricsInterval {
                lastMetrics = .now
                await flushMetrics()
            }
        }
        await flushSpans()
        await flushMetrics()
    }

    public func finish() { wake.finish() }

    private func flushSpans() async {
        while true {
            let batch = spans.withLock { queue -> [OTLP.Span] in
                let batch = Array(queue.prefix(options.maxBatch))
                queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let body = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.resource, scopeSpans: [
                OTLP.ScopeSpans(scope: OTLP.scope, spans: batch),
            ])])
            await post("traces", OTLP.json(body))
        }
    }

    private func flushMetrics() async {
        guard let metrics = latestMetrics.withLock({ $0 }) else { return }
        await post("metrics", try? OTLP.encoder.encode(metrics))
    }

    private func post(_ signal: String, _ body: Data?) async {
        guard let body else { return }
        var request = HTTPClientRequest(url: options.endpoint.appendingPathComponent("v1/\(signal)").absoluteString)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in options.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        var delay = options.backoff
        for attempt in 1...options.maxAttempts {
            var retryAfter: Duration?
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    onBatch(signal, .sent)
                    return
                }
                guard [429, 502, 503, 504].contains(status) else {
                    failures.record(.exporter, "OTLP collector at \(options.endpoint) refused \(signal) with HTTP \(status); batch dropped")
                    break
                }
                retryAfter = response.headers.first(name: "retry-after").flatMap(Int.init).map { .seconds(min($0, 30)) }
            } catch {
                // The collector is unreachable: retried like a 503.
            }
            guard attempt < options.maxAttempts else { break }
            onBatch(signal, .retried)
            try? await Task.sleep(for: retryAfter ?? delay)
            delay *= 2
        }
        onBatch(signal, .dropped)
        failures.record(.exporter, "could not deliver OTLP \(signal) to \(options.endpoint); batches are being dropped")
    }
}
