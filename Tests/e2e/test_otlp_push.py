"""OTLP/HTTP push as a team's receiver sees it: protobuf by default (decoded with the official
opentelemetry-proto classes), JSON on request, gzip, the standard OTEL_* variables, a receiver that takes
one signal and not the other, the spec's retries, and a stop that does not wait forever for a dead one."""
import os
import re
import signal
import subprocess
import time
import urllib.request

import anthropic
from google.protobuf import json_format

from conftest import Proxy, binary
from prometheus_server import grafana_exprs
from test_exporters import Collector, metric_sum, read_spans, traffic


def wait_for(condition, timeout=20, what=""):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.1)


def one_request(proxy):
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0)
    client.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}])


def points(request):
    """Every metric point of an export request, keyed by metric name and attributes, times left out."""
    out = {}
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                data = metric.histogram.data_points if metric.HasField("histogram") else metric.sum.data_points
                for point in data:
                    fields = json_format.MessageToDict(point)
                    attributes = tuple(sorted((a["key"], str(a["value"])) for a in fields.pop("attributes", [])))
                    fields.pop("startTimeUnixNano", None)
                    fields.pop("timeUnixNano", None)
                    out[(metric.name, metric.unit, attributes)] = fields
    return out


def test_protobuf_push_carries_every_field_the_json_files_do_and_gzip_is_accepted(mock, tmp_path):
    collector = Collector()
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url, "openai": mock.url},
                  extra_args=["--otlp-endpoint", collector.url, "--otlp-compression", "gzip", "--otlp-flush-ms", "100",
                              "--otlp-metrics-seconds", "1"])
    try:
        traffic(proxy, mock)
        wait_for(lambda: len(collector.spans()) >= 7 and collector.metrics, what="spans and metrics pushed")
        assert all(h["content-type"] == "application/x-protobuf" and h["content-encoding"] == "gzip" for h in collector.headers)
        pushed = {s.span_id: s for s in collector.spans()}
        written = {s.span_id: s for s in read_spans(proxy.home)}
        assert pushed.keys() == written.keys() and len(pushed) == 7
        for span_id, span in pushed.items():
            assert span == written[span_id], span.name  # every field: ids, times, kind, attributes, status
        # One recording feeds the push and /metrics: a collector and a scrape count the same.
        with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
            scraped = r.read().decode()
        def pushed_sum(name, **labels):
            return sum(p.as_double for rm in collector.metrics[-1].resource_metrics for sm in rm.scope_metrics for m in sm.metrics
                       if m.name == name for p in m.sum.data_points
                       if all(any(a.key == k and a.value.string_value == v for a in p.attributes) for k, v in labels.items()))
        wait_for(lambda: pushed_sum("ccglass.requests") == metric_sum(scraped, "ccglass_requests_total") == 6, what="every request pushed")
        for kind in ("input", "output", "cache_read", "cache_write_5m"):
            assert pushed_sum("ccglass.tokens", type=kind) == metric_sum(scraped, "ccglass_tokens_total", type=kind) > 0, kind
        assert abs(pushed_sum("ccglass.cost") - metric_sum(scraped, "ccglass_cost_usd_total")) < 1e-12
        assert pushed_sum("ccglass.requests", status_class="5xx") == metric_sum(scraped, "ccglass_requests_total", status_class="5xx") == 2
        resource = {a.key: a.value.string_value for a in collector.traces[0].resource_spans[0].resource.attributes}
        assert resource["service.name"] == "ccglass" and resource["host.name"] == os.uname().nodename and resource["user.name"]
        # The Grafana Team row reads these metrics as a Collector remote-writes them (README's config: dots to
        # underscores, no suffixes, resource attributes as labels): each name it queries is one ccglass pushes.
        pushed = {m.name.replace(".", "_") for rm in collector.metrics[-1].resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
        resource_labels = {a.key.replace(".", "_") for a in collector.metrics[-1].resource_metrics[0].resource.attributes}
        queries = grafana_exprs(pushed=True)
        assert queries
        for expr in queries:
            assert set(re.findall(r"\((ccglass_\w+)\[", expr)) <= pushed, expr
            assert set(re.findall(r"by \(([^)]*)\)", expr)[0].replace(" ", "").split(",")) <= resource_labels | {"type"}, expr
    finally:
        proxy.stop()
        collector.close()
    # The same traffic pushed as JSON: each metric point the same, field for field, but for its times.
    json_collector = Collector()
    again = Proxy(tmp_path / "home2", {"anthropic": mock.url, "openai": mock.url},
                  extra_args=["--otlp-endpoint", json_collector.url, "--otlp-protocol", "http/json", "--otlp-flush-ms", "100",
                              "--otlp-metrics-seconds", "1", "--no-trace-files"])
    try:
        traffic(again, mock)
        # Times differ between two runs: the timing histograms are compared by their counts and bounds.
        def comparable(request):
            out = points(request)
            for (name, _, _), fields in out.items():
                if name in ("gen_ai.client.operation.duration", "gen_ai.client.operation.time_to_first_chunk", "ccglass.proxy.overhead"):
                    fields.pop("sum")
                    fields.pop("bucketCounts")
            return out
        wait_for(lambda: json_collector.metrics and comparable(json_collector.metrics[-1]) == comparable(collector.metrics[-1]),
                 what=f"the JSON push's metrics to match the protobuf push's: {json_collector.metrics and comparable(json_collector.metrics[-1])} {comparable(collector.metrics[-1])}")
        assert all(h["content-type"] == "application/json" and "content-encoding" not in h for h in json_collector.headers)
        assert len(points(collector.metrics[-1])) > 20
    finally:
        again.stop()
        json_collector.close()


def test_the_standard_otel_variables_are_honoured_and_flags_win(mock, tmp_path):
    base, traces_only = Collector(), Collector()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": base.url + "/", "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20team-token, x-team=glass",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
           "OTEL_SERVICE_NAME": "ccglass-alice", "OTEL_RESOURCE_ATTRIBUTES": "user.name=alice,team=infra%2Cplatform",
           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces_only.url + "/custom/traces"}
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url}, env=env, extra_args=["--otlp-flush-ms", "50", "--otlp-metrics-seconds", "1"])
    try:
        one_request(proxy)
        wait_for(lambda: traces_only.spans() and base.metrics, what="traces to the signal URL, metrics to the base")
        assert traces_only.attempts == ["/custom/traces"] and set(base.attempts) == {"/v1/metrics"}  # the base gained /v1/metrics, no //
        for headers in traces_only.headers + base.headers:
            assert headers["authorization"] == "Bearer team-token" and headers["x-team"] == "glass"
            assert headers["content-type"] == "application/json" and headers["content-encoding"] == "gzip"
        resource = {a.key: a.value.string_value for a in traces_only.traces[0].resource_spans[0].resource.attributes}
        assert (resource["service.name"], resource["user.name"], resource["team"]) == ("ccglass-alice", "alice", "infra,platform")
        assert "team-token" not in proxy.log_text()
    finally:
        proxy.stop()
    # Flags over variables: the endpoint, protocol, a header and an attribute; OTEL_METRICS_EXPORTER=none honoured.
    flagged = Collector()
    metrics_before = len(base.attempts)
    proxy = Proxy(tmp_path / "home2", {"anthropic": mock.url}, env=dict(env, OTEL_METRICS_EXPORTER="none"),
                  extra_args=["--otlp-traces-endpoint", flagged.url + "/v1/traces", "--otlp-protocol", "http/protobuf",
                              "--otlp-header", "authorization=Bearer mine", "--otlp-resource-attribute", "user.name=bob",
                              "--otlp-flush-ms", "50", "--otlp-metrics-seconds", "1"])
    try:
        one_request(proxy)
        wait_for(lambda: flagged.spans(), what="spans to the flag's URL")
        time.sleep(1.5)
        # No metrics anywhere: not to the flag's receiver, not to the variables' base.
        assert set(flagged.attempts) == {"/v1/traces"} and len(base.attempts) == metrics_before
        headers = flagged.headers[0]
        assert headers["content-type"] == "application/x-protobuf" and headers["authorization"] == "Bearer mine"
        resource = {a.key: a.value.string_value for a in flagged.traces[0].resource_spans[0].resource.attributes}
        assert resource["user.name"] == "bob" and resource["team"] == "infra,platform"
    finally:
        proxy.stop()
        for c in (base, traces_only, flagged):
            c.close()
    grpc = subprocess.run([binary(), "serve", "--port", "0", "--data-dir", str(tmp_path / "home3")], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4317", OTEL_EXPORTER_OTLP_PROTOCOL="grpc"))
    assert grpc.returncode != 0 and "not gRPC: use http/protobuf" in grpc.stderr, grpc.stderr


def test_a_signal_the_receiver_does_not_take_is_dropped_once_with_a_clear_line(mock, tmp_path):
    # Arize Phoenix's answer to metrics: 405. And a JSON-only receiver's answer to protobuf: 415.
    collector = Collector(otherwise={"/v1/metrics": 405})
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", collector.url, "--otlp-flush-ms", "50", "--otlp-metrics-seconds", "1"])
    try:
        for _ in range(3):
            one_request(proxy)
            time.sleep(1.2)
        wait_for(lambda: len(collector.spans()) == 3, what="spans still delivered")
        assert collector.attempts.count("/v1/metrics") == 1, collector.attempts
        log = proxy.log_text()
        assert log.count("does not take metrics (HTTP 405)") == 1 and "--otlp-metrics-endpoint" in log, log
    finally:
        proxy.stop()
        collector.close()
    json_only = Collector(otherwise={"/v1/traces": 415})
    proxy = Proxy(tmp_path / "home2", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", json_only.url, "--otlp-flush-ms", "50", "--otlp-metrics-seconds", "60"])
    try:
        one_request(proxy)
        wait_for(lambda: "does not take traces" in proxy.log_text(), what="the 415 said")
        one_request(proxy)
        time.sleep(0.5)
        assert json_only.attempts.count("/v1/traces") == 1
        assert "(HTTP 415: try --otlp-protocol http/json)" in proxy.log_text()
    finally:
        proxy.stop()
        json_only.close()


def test_retries_follow_retry_after_and_a_partial_success_is_logged_not_retried(mock, tmp_path):
    collector = Collector(statuses=[429], headers=[("Retry-After", "2")], partial=(1, "span too large"))
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", collector.url, "--otlp-flush-ms", "50", "--otlp-metrics-seconds", "60"])
    try:
        one_request(proxy)
        wait_for(lambda: collector.spans(), what="the retried batch delivered")
        times = [t for t in collector.attempt_times if t[0] == "/v1/traces"]
        assert len(times) == 2 and times[1][1] - times[0][1] >= 1.9  # waited as Retry-After said, not the 0.5 s back-off
        time.sleep(0.5)
        assert len([t for t in collector.attempt_times if t[0] == "/v1/traces"]) == 2  # the partial success was not retried
        log = proxy.log_text()
        assert "cannot deliver OTLP traces" in log and "HTTP 429" in log
        assert "took traces only in part (1 rejected: span too large); not retried" in log
    finally:
        proxy.stop()
        collector.close()


def test_a_stop_with_the_receiver_down_ends_within_the_drain_time_and_says_what_it_left(mock, tmp_path):
    dead = Collector()
    dead.close()  # connection refused from now on
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", dead.url, "--otlp-flush-ms", "50", "--otlp-drain-seconds", "2"])
    for _ in range(5):
        one_request(proxy)
    proxy.wait_stored(count=5)
    wait_for(lambda: "cannot deliver OTLP traces" in proxy.log_text(), timeout=5, what="the first failed attempt said at once")
    began = time.monotonic()
    proxy.process.send_signal(signal.SIGTERM)
    proxy.process.wait(timeout=30)
    took = time.monotonic() - began
    log = proxy.log_text()
    proxy.stop()
    print(f"stopped in {took:.2f} s with a 2 s drain")
    assert took < 2 + 2.5, f"took {took:.1f} s to stop with a 2 s drain"  # the drain, plus the listener's own shutdown
    assert "stopped after 2.0 seconds without the OTLP receiver taking everything" in log, log
    rows = subprocess.run([binary(), "requests", "--json", "--data-dir", str(tmp_path / "home")], capture_output=True, text=True).stdout
    assert rows.count('"phase" : "finished"') + rows.count('"phase":"finished"') == 5  # nothing in the history lost


def test_batches_a_dead_receiver_never_takes_are_counted_as_dropped(mock, tmp_path):
    from test_exporters import scrape
    dead = Collector()
    dead.close()
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url}, extra_args=["--otlp-endpoint", dead.url, "--otlp-flush-ms", "50"])
    try:
        for _ in range(3):
            one_request(proxy)

        def counted(result):
            lines = [l for l in scrape(proxy).splitlines()
                     if l.startswith("ccglass_otlp_batches_total{") and f'result="{result}"' in l and 'signal="traces"' in l]
            return sum(float(l.rsplit(" ", 1)[1]) for l in lines)
        # Five attempts with 0.5 + 1 + 2 + 4 s of back-off: dropped after about 7.5 s, each retry counted.
        wait_for(lambda: counted("dropped") >= 1, timeout=20, what="a dropped batch counted")
        assert counted("retried") >= 4 and counted("sent") == 0
        assert "could not deliver OTLP traces" in proxy.log_text()
    finally:
        proxy.stop()
