import Exporters
import Hummingbird
import Proxy

extension Router {
    /// `GET /metrics`: Prometheus text format. No token: it holds counts, never content or ids.
    package func addMetricsRoute(_ exporter: PrometheusExporter) {
        get("metrics") { _, _ -> Response in
            // Off the forwarding loops: the budgets' gauges read the history.
            let text = try await OffLoopExecutor.reading.run { exporter.render() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
