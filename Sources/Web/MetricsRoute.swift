import Exporters
import Hummingbird

extension Router {
    /// `GET /metrics`: Prometheus text format. No token: it holds counts, never content or ids.
    public func addMetricsRoute(_ exporter: PrometheusExporter) {
        get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: exporter.render())))
        }
    }
}
