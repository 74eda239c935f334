import AsyncHTTPClient
import CompressNIO
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Proxy
import Synchronization

/// Pushes spans and metrics over OTLP/HTTP (protobuf by default, or JSON) to a collector: batched, from
/// a bounded queue, retried as the OTLP spec says (429, 502, 503, 504 and connection errors, with
/// back-off and `Retry-After`). A signal the receiver does not take (404, 405, 415, 501) is no longer
/// sent, said once. Nothing here waits on the forwarding path; what cannot be delivered is dropped and
/// counted, and the history keeps every exchange anyway.
package final class OTLPPusher: Sendable {
    package struct Options: Sendable {
        /// `http/protobuf` (OTLP's default) or `http/json`.
        package enum Encoding: String, Sendable, CaseIterable {
            case protobuf = "http/protobuf"
            case json = "http/json"
        }

        package enum Compression: String, Sendable, CaseIterable {
            case gzip, none
        }

        /// Where each signal goes; nil leaves it unsent.
        package var tracesURL: URL?
        package var metricsURL: URL?
        package var headers: [(String, String)]
        package var encoding = Encoding.protobuf
        package var compression = Compression.none
        package var resource = OTelResource.standard()
        package var flushInterval: Duration = .seconds(1)
        package var metricsInterval: Duration = .seconds(10)
        package var maxBatch = 512
        package var queueLimit = 8192
        package var maxAttempts = 5
        package var backoff: Duration = .milliseconds(500)
        /// How long a stopping ccglass keeps trying to deliver what it holds.
        package var drainTimeout: Duration = .seconds(5)

        /// Both signals under a collector's base URL (`…/v1/traces`, `…/v1/metrics`).
        package init(endpoint: URL, headers: [(String, String)]) {
            self.init(tracesURL: Self.signalURL(endpoint, "traces"), metricsURL: Self.signalURL(endpoint, "metrics"), headers: headers)
        }

        package init(tracesURL: URL?, metricsURL: URL?, headers: [(String, String)]) {
            self.tracesURL = tracesURL
            self.metricsURL = metricsURL
            self.headers = headers
        }

        /// The spec's rule for a base endpoint: the signal's path appended, whatever the base ends in.
        package static func signalURL(_ base: URL, _ signal: String) -> URL {
            var text = base.absoluteString
            while text.hasSuffix("/") { text.removeLast() }
            return URL(string: text + "/v1/" + signal) ?? base
        }

        func url(_ signal: String) -> URL? { signal == "traces" ? tracesURL : metricsURL }
    }

    /// Outcome of one batch, for `/metrics`.
    package enum BatchResult: String, Sendable {
        case sent, retried, dropped
    }

    let options: Options
    private let client: HTTPClient
    private let failures: FailureLog
    private let logger: Logger
    private let onBatch: @Sendable (String, BatchResult) -> Void
    private let spans = Mutex<[OTLP.Span]>([])
    /// What is pushed as metrics: cumulative, so each push sends all of it as it stands.
    private let metrics: OTLPMetrics
    /// Signals the receiver said it does not take, and signals whose last attempt failed (said once
    /// until one succeeds).
    private let refused = Mutex<Set<String>>([])
    private let failing = Mutex<Set<String>>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    /// Its own HTTP client: one that fails a refused connection at once (the pusher retries with its own
    /// back-off) instead of trying to connect until the request's deadline, so a dead receiver is said now.
    package init(options: Options, metrics: OTLPMetrics, failures: FailureLog, logger: Logger = Logger(label: "ccglass.otlp"),
                onBatch: @escaping @Sendable (String, BatchResult) -> Void = { _, _ in }) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        self.options = options
        self.metrics = metrics
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.failures = failures
        self.logger = logger
        self.onBatch = onBatch
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var sendsTraces: Bool { options.tracesURL != nil && !refused.withLock { $0.contains("traces") } }
    var sendsMetrics: Bool { options.metricsURL != nil && !refused.withLock { $0.contains("metrics") } }

    /// Queues spans; when the queue is full they are dropped (counted as a dropped batch).
    func enqueue(_ new: [OTLP.Span]) {
        guard sendsTraces else { return }
        let (accepted, full) = spans.withLock { queue -> (Bool, Bool) in
            guard queue.count + new.count <= options.queueLimit else { return (false, false) }
            queue += new
            return (true, queue.count >= options.maxBatch)
        }
        if !accepted {
            onBatch("traces", .dropped)
            failures.record(.exporter, "OTLP queue full (collector at \(options.tracesURL?.absoluteString ?? "?") too slow or down); spans dropped")
        }
        if full { wake.yield() }
    }

    /// Says what a stop that could not wait longer for the receiver leaves undelivered.
    func reportUndelivered() {
        let left = spans.withLock { $0.count }
        failures.record(.exporter, "OTLP push stopped undrained")
        logger.warning("""
            stopped after \(options.drainTimeout) without the OTLP receiver taking everything: \(left) queued span\(left == 1 ? "" : "s") \
            and the latest metrics were not delivered (the history keeps every exchange)
            """)
    }

    /// Sends until `finish()`; then flushes what is left once.
    package func run() async {
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
        try? await client.shutdown()
    }

    package func finish() { wake.finish() }

    private func flushSpans() async {
        while sendsTraces, !Task.isCancelled {
            let batch = spans.withLock { queue -> [OTLP.Span] in
                let batch = Array(queue.prefix(options.maxBatch))
                queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let data = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.Resource(options.resource), scopeSpans: [
                OTLP.ScopeSpans(scope: OTLP.scope, spans: batch),
            ])])
            await post("traces", options.encoding == .json ? OTLP.json(data) : try? OTLP.protobuf(data))
        }
    }

    private func flushMetrics() async {
        guard sendsMetrics, !metrics.isEmpty else { return }
        let metrics = metrics.snapshot(resource: options.resource)
        await post("metrics", options.encoding == .json ? try? OTLP.encoder.encode(metrics) : try? OTLP.protobuf(metrics))
    }

    private func post(_ signal: String, _ body: Data?) async {
        guard let body, let url = options.url(signal) else { return }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "content-type", value: options.encoding == .json ? "application/json" : "application/x-protobuf")
        for (name, value) in options.headers { request.headers.add(name: name, value: value) }
        var payload = ByteBuffer(data: body)
        if options.compression == .gzip, let compressed = try? payload.compress(with: .gzip()) {
            payload = compressed
            request.headers.add(name: "content-encoding", value: "gzip")
        }
        request.body = .bytes(payload)
        var delay = options.backoff
        for attempt in 1...options.maxAttempts {
            guard !Task.isCancelled else { break }
            var retryAfter: Duration?
            var why: String
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                let answer = try? await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    recovered(signal)
                    if let partial = answer.flatMap({ OTLP.partialSuccess(signal: signal, body: Data($0.readableBytesView), protobuf: options.encoding == .protobuf) }) {
                        logger.warning("the OTLP receiver at \(url.absoluteString) took \(signal) only in part (\(partial)); not retried")
                    }
                    onBatch(signal, .sent)
                    return
                }
                if [404, 405, 415, 501].contains(status) {
                    refuse(signal, url: url, status: status)
                    onBatch(signal, .dropped)
                    return
                }
                guard [429, 502, 503, 504].contains(status) else {
                    failures.record(.exporter, "OTLP receiver at \(url.absoluteString) refused \(signal) with HTTP \(status); batch dropped")
                    break
                }
                why = "HTTP \(status)"
                retryAfter = response.headers.first(name: "retry-after").flatMap { Self.retryAfter($0) }.map { min($0, .seconds(30)) }
            } catch {
                why = "\(error)"  // unreachable: retried like a 503
            }
            failingOnce(signal, url: url, why: why)
            guard attempt < options.maxAttempts else { break }
            onBatch(signal, .retried)
            try? await Task.sleep(for: retryAfter ?? delay)
            delay *= 2
        }
        onBatch(signal, .dropped)
        failures.record(.exporter, "could not deliver OTLP \(signal) to \(url.absoluteString); batches are being dropped")
    }

    /// `Retry-After`: seconds, or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, the one form RFC 9110
    /// asks senders for).
    static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return .seconds(max(0, seconds)) }
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
              let year = Int(parts[3]), (1970...9999).contains(year), (1...31).contains(day) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]), (0...60).contains(clock[2]) else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm): no calendar or formatter needed.
        let m = month + 1, y = m <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((m + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let at = Double(days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2])
        return .milliseconds(max(0, Int((at - now.timeIntervalSince1970) * 1000)))
    }

    private func refuse(_ signal: String, url: URL, status: Int) {
        guard refused.withLock({ $0.insert(signal).inserted }) else { return }
        if signal == "traces" { spans.withLock { $0.removeAll() } }  // refused metrics are not snapshot again
        let flag = signal == "traces" ? "--otlp-traces-endpoint" : "--otlp-metrics-endpoint"
        logger.warning("""
            the OTLP receiver at \(url.absoluteString) does not take \(signal) (HTTP \(status)\(status == 415 ? ": try --otlp-protocol \(options.encoding == .protobuf ? "http/json" : "http/protobuf")" : "")); \
            ccglass stops sending \(signal) to it until restarted. Point \(flag) (or OTEL_EXPORTER_OTLP_\(signal.uppercased())_ENDPOINT) at a receiver that does.
            """)
    }

    /// Said at the first failed attempt, not after the last retry: a collector that is down is news now.
    private func failingOnce(_ signal: String, url: URL, why: String) {
        guard failing.withLock({ $0.insert(signal).inserted }) else { return }
        logger.warning("cannot deliver OTLP \(signal) to \(url.absoluteString) (\(why)); retrying \(options.maxAttempts - 1) times with back-off, then dropping the batch")
    }

    private func recovered(_ signal: String) {
        if failing.withLock({ $0.remove(signal) }) != nil { logger.notice("OTLP \(signal) delivered to \(options.url(signal)?.absoluteString ?? "?") again") }
    }
}
