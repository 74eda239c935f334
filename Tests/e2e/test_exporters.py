"""Standard formats out: a real Prometheus scrapes /metrics and answers every dashboard and alert
query; trace files parse as OTLP with the GenAI attributes; OTLP/HTTP push reaches a collector."""
import base64
import copy
import gzip
import json
import re
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anthropic
import openai
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

import rawhttp
from conftest import Proxy
from mock_upstream import (anthropic_error, anthropic_stream_events, anthropic_usage, chat_stream_chunks, chat_usage,
                           claude_plan_headers, json_reply, stream_reply)
from prometheus_server import PrometheusServer, alert_rules, for_prometheus, grafana_exprs, left_of_threshold

SESSION = "5b0c7a8e-1111-4222-8333-944455556666"


def traffic(proxy, mock):
    """A mix of models, clients, cache use, a tool loop and failures; returns what the mock reported."""
    sent = {"input": 0, "output": 0, "cache_read": 0, "requests": 0, "with_usage": 0}
    a = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key-anthropic", max_retries=0,
                            default_headers={"X-Claude-Code-Session-Id": SESSION})
    tool = {"id": "toolu_loop1", "name": "Bash", "input": {"command": "ls"}}
    for i, (model, reuse) in enumerate([("claude-sonnet-4-5-20250929", 0), ("claude-haiku-4-5-20251001", 4000),
                                        ("claude-sonnet-4-5-20250929", 9000)]):
        start = anthropic_usage(input_tokens=300 + i, output_tokens=1, cache_read=reuse, cache_5m=100)
        final = dict(start, output_tokens=40 + i)
        # A Claude plan's 5-hour window climbing 10 points a request: at that pace it runs out long
        # before its reset in two hours.
        limits = claude_plan_headers(0.6 + 0.1 * i, 0.3, time.time() + 7200, time.time() + 86400 * 3)
        mock.enqueue(stream_reply(anthropic_stream_events(model=model, start_usage=start, final_usage=final,
                                                          tool_use=tool if i == 0 else None), gap=0.01, headers=limits))
        messages = [{"role": "user", "content": "list the files"}]
        if i == 1:
            messages += [{"role": "assistant", "content": [{"type": "tool_use", **tool}]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_loop1", "content": "a.txt"}]}]
        if i == 1:
            time.sleep(0.3)  # the tool "runs"
        with a.messages.stream(model=model.rsplit("-", 1)[0], max_tokens=64, messages=messages) as s:
            s.get_final_message()
        sent["input"] += 300 + i + reuse + 100
        sent["output"] += 40 + i
        sent["cache_read"] += reuse
        sent["requests"] += 1
        sent["with_usage"] += 1
    o = openai.OpenAI(base_url=f"{proxy.url}/openai/v1", api_key="test-key-openai", max_retries=0)
    mock.enqueue(stream_reply(chat_stream_chunks(model="gpt-4.1-mini", usage=chat_usage(prompt=500, completion=25, cached=256))))
    list(o.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}], stream=True,
                                   stream_options={"include_usage": True}))
    sent["input"] += 500
    sent["output"] += 25
    sent["cache_read"] += 256
    sent["requests"] += 1
    sent["with_usage"] += 1
    for _ in range(2):
        mock.enqueue(json_reply(anthropic_error("overloaded_error", "Overloaded"), status=529))
        rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", [("Content-Type", "application/json"), ("User-Agent", "curl/8.5")],
                        b'{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}')
        sent["requests"] += 1
    return sent


def scrape(proxy):
    with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        return r.read().decode()


def metric_sum(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture
def budgeted_proxy(mock, tmp_path):
    """`ccglass serve` with a daily budget the traffic crosses and a weekly one it does not."""
    upstreams = {name: mock.url for name in ("anthropic", "openai", "deepseek", "moonshot")}
    p = Proxy(tmp_path / "home", upstreams, extra_args=["--budget-daily", "0.0001", "--budget-weekly", "1000"])
    yield p
    p.stop()


def test_prometheus_scrapes_and_every_dashboard_and_alert_query_returns_data(budgeted_proxy, mock, tmp_path):
    proxy = budgeted_proxy
    rules = copy.deepcopy(alert_rules())
    for rule in rules["groups"][0]["rules"]:
        if "alert" in rule:
            rule["for"] = "0s"
    prometheus = PrometheusServer(tmp_path / "prom", proxy.port, rules=rules)
    try:
        sent = traffic(proxy, mock)
        prometheus.wait_for("sum(ccglass_requests_total)", lambda v: v == sent["requests"])
        time.sleep(3)  # a few more scrapes so rate() windows hold two samples of every series

        text = scrape(proxy)
        check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
        assert check.returncode == 0 and check.stdout == b"" and check.stderr == b"", check.stdout + check.stderr

        for expr in grafana_exprs():
            assert prometheus.query(for_prometheus(expr)), f"no data for dashboard query {expr}"
        for rule in rules["groups"][0]["rules"]:
            expr = rule["expr"] if "record" in rule else left_of_threshold(rule["expr"])
            assert prometheus.query(expr), f"no data for rule expression {expr}"
        rules_check = subprocess.run(["promtool", "check", "rules", str(Path(__file__).parents[2] / "dashboards" / "ccglass-alerts.yml")],
                                     capture_output=True)
        assert rules_check.returncode == 0, rules_check.stdout + rules_check.stderr
        # More 529s, now that Prometheus knows the series (rate() needs the increase to happen between
        # scrapes): the error-spike alert fires, its `for` shortened for the test.
        for _ in range(3):
            mock.enqueue(json_reply(anthropic_error("overloaded_error", "Overloaded"), status=529))
            rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", [("Content-Type", "application/json"), ("User-Agent", "curl/8.5")],
                            b'{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}')
        deadline = time.time() + 20
        while not any(a["labels"]["alertname"] == "CcglassErrorSpike" and a["state"] == "firing" for a in prometheus.alerts()):
            assert time.time() < deadline, prometheus.alerts()
            time.sleep(0.5)
        # The plan's 5-hour window, projected from its readings, runs out before it resets.
        [runs_out] = [a for a in prometheus.alerts() if a["labels"]["alertname"] == "CcglassRateLimitRunsOutBeforeReset"]
        assert runs_out["state"] == "firing" and runs_out["labels"]["window"] == "five_hour", runs_out
        assert {a["labels"]["window"] for a in prometheus.alerts() if a["labels"]["alertname"] == "CcglassRateLimitNearlyUsed"} == {"five_hour"}
        assert {a["labels"]["budget"] for a in prometheus.alerts() if a["labels"]["alertname"] == "CcglassBudgetCrossed"} == {"daily"}
    finally:
        prometheus.stop()


def test_metric_values_equal_what_upstream_sent(proxy, mock):
    sent = traffic(proxy, mock)
    deadline = time.time() + 10
    while metric_sum(scrape(proxy), "ccglass_requests_total") < sent["requests"]:
        assert time.time() < deadline
        time.sleep(0.1)
    text = scrape(proxy)
    assert metric_sum(text, "gen_ai_client_token_usage_sum", gen_ai_token_type="input") == sent["input"]
    assert metric_sum(text, "gen_ai_client_token_usage_sum", gen_ai_token_type="output") == sent["output"]
    assert metric_sum(text, "gen_ai_client_token_usage_count", gen_ai_token_type="input") == sent["with_usage"]
    assert metric_sum(text, "ccglass_tokens_total", type="cache_read") == sent["cache_read"]
    assert metric_sum(text, "ccglass_tokens_total", type="input") == sent["input"]
    assert metric_sum(text, "gen_ai_client_operation_duration_seconds_count") == sent["requests"]
    assert metric_sum(text, "gen_ai_client_operation_duration_seconds_count", error_type="529") == 2
    assert metric_sum(text, "ccglass_requests_total", status_class="5xx", client="curl") == 2
    assert metric_sum(text, "ccglass_requests_in_flight") == 0
    # TTFT is only for streamed requests: the three anthropic streams and the openai stream
    assert metric_sum(text, "gen_ai_client_operation_time_to_first_chunk_seconds_count") == 6
    # histogram buckets are the spec's
    assert 'le="67108864.0"' in text or 'le="67108864"' in text
    assert 'le="81.92"' in text
    cost = metric_sum(text, "ccglass_cost_usd_total")
    assert cost > 0
    assert "session" not in text.lower() and "msg_" not in text


def test_label_cardinality_stays_bounded(proxy, mock):
    for i in range(80):
        mock.enqueue(json_reply({"id": "x", "type": "message", "model": f"invented-model-{i}", "content": [],
                                 "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}))
        rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", [("Content-Type", "application/json")],
                        b'{"model":"m","max_tokens":1,"messages":[]}')
    deadline = time.time() + 10
    while metric_sum(scrape(proxy), "ccglass_requests_total") < 80:
        assert time.time() < deadline
        time.sleep(0.1)
    models = set(re.findall(r'ccglass_requests_total\{[^}]*model="([^"]*)"', scrape(proxy)))
    assert len(models) <= 65 and "_other" in models


HEX_IDS = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


def otlp_to_proto(text, message):
    """Parses OTLP JSON with the official protobuf classes. OTLP JSON writes ids as hex where the plain
    proto3 JSON mapping expects base64, so each id is checked to be hex of the right length and
    converted; every other field must parse strictly (an unknown key, such as a snake_case one, fails)."""
    document = json.loads(text)

    def walk(node):
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key in HEX_IDS and isinstance(value, str):
                    assert re.fullmatch(f"[0-9a-f]{{{HEX_IDS[key]}}}", value), f"{key} {value!r} is not {HEX_IDS[key]} hex digits"
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return json_format.ParseDict(document, message)


def read_spans(home):
    spans = []
    files = sorted((Path(home) / "traces").glob("ccglass-traces-*.jsonl"))
    assert files, "no trace file written"
    for file in files:
        for line in file.read_text().splitlines():
            data = otlp_to_proto(line, trace_pb2.TracesData())  # raises on anything not OTLP JSON
            for rs in data.resource_spans:
                assert {kv.key: kv.value.string_value for kv in rs.resource.attributes}["service.name"] == "ccglass"
                for ss in rs.scope_spans:
                    spans.extend(ss.spans)
    return spans


def attrs(span):
    out = {}
    for kv in span.attributes:
        which = kv.value.WhichOneof("value")
        value = getattr(kv.value, which)
        if which == "array_value":
            value = [getattr(v, v.WhichOneof("value")) for v in value.values]
        out[kv.key] = value
    return out


def wait_spans(home, count, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            spans = read_spans(home)
        except AssertionError:
            spans = []
        if len(spans) >= count:
            return spans
        assert time.time() < deadline, f"{len(spans)} spans"
        time.sleep(0.1)


def test_trace_files_are_otlp_with_genai_attributes_and_a_tool_loop(proxy, mock):
    traffic(proxy, mock)
    spans = wait_spans(proxy.home, 7)
    chats = [s for s in spans if s.name.startswith("chat ")]
    tools = [s for s in spans if s.name.startswith("execute_tool ")]
    assert len(chats) == 6 and len(tools) == 1
    for span in spans:
        assert re.fullmatch(r"[0-9a-f]{32}", span.trace_id.hex()) and re.fullmatch(r"[0-9a-f]{16}", span.span_id.hex())
    first = next(s for s in chats if attrs(s).get("gen_ai.response.model") == "claude-sonnet-4-5-20250929" and attrs(s)["gen_ai.usage.cache_read.input_tokens"] == 0)
    a = attrs(first)
    assert first.name == "chat claude-sonnet-4-5" and first.kind == trace_pb2.Span.SPAN_KIND_CLIENT
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "anthropic"
    assert a["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert a["gen_ai.usage.input_tokens"] == 400 and a["gen_ai.usage.output_tokens"] == 40
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 100
    assert a["gen_ai.response.finish_reasons"] == ["tool_use"]
    assert a["gen_ai.conversation.id"] == SESSION
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == mock.port
    assert a["gen_ai.request.stream"] is True and 0 < a["gen_ai.response.time_to_first_chunk"] < 5
    assert a["ccglass.cost.usd"] == pytest.approx((300 * 3 + 100 * 3.75 + 40 * 15) / 1e6, abs=1e-9)
    assert "gen_ai.input.messages" not in a  # content is opt-in
    # one trace per session; the tool span hangs off the chat span that asked for it
    session_traces = {s.trace_id for s in chats if attrs(s).get("gen_ai.conversation.id") == SESSION}
    assert len(session_traces) == 1
    [tool] = tools
    t = attrs(tool)
    assert tool.name == "execute_tool Bash" and tool.kind == trace_pb2.Span.SPAN_KIND_INTERNAL
    assert t["gen_ai.tool.call.id"] == "toolu_loop1" and t["gen_ai.tool.name"] == "Bash"
    assert tool.trace_id in session_traces and tool.parent_span_id == first.span_id
    assert tool.start_time_unix_nano == first.end_time_unix_nano
    assert (tool.end_time_unix_nano - tool.start_time_unix_nano) / 1e9 >= 0.25
    failed = [s for s in chats if attrs(s).get("http.response.status_code") == 529]
    assert len(failed) == 2 and all(s.status.code == trace_pb2.Status.STATUS_CODE_ERROR for s in failed)
    assert all(attrs(s)["error.type"] == "529" for s in failed)


def test_capture_content_puts_messages_in_spans(mock, tmp_path):
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url}, extra_args=["--capture-content"])
    try:
        mock.enqueue(stream_reply(anthropic_stream_events(text="the answer")))
        list(anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0).messages.create(
            model="claude-haiku-4-5", max_tokens=5, stream=True, system="be brief",
            messages=[{"role": "user", "content": "the question"}]))
        [span] = wait_spans(proxy.home, 1)
        a = attrs(span)
        assert json.loads(a["gen_ai.input.messages"]) == [{"role": "user", "parts": [{"type": "text", "content": "the question"}]}]
        assert json.loads(a["gen_ai.system_instructions"]) == [{"type": "text", "content": "be brief"}]
        assert json.loads(a["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": "the answer"}]
    finally:
        proxy.stop()


class Collector:
    """A test-side OTLP/HTTP receiver, as the spec has one: decodes protobuf (with the official
    opentelemetry-proto classes) or JSON by Content-Type, gzip by Content-Encoding, answers each path from
    a script of statuses (then 200, or `otherwise` for a path), and keeps what it parsed."""

    def __init__(self, statuses=(), metrics_statuses=(), otherwise=None, partial=None, headers=None):
        self.statuses = {"/v1/traces": list(statuses), "/v1/metrics": list(metrics_statuses)}
        self.otherwise = otherwise or {}
        self.partial = partial  # an ExportTraceServiceResponse's partial_success to answer with
        self.reply_headers = headers or []
        self.traces, self.metrics, self.headers, self.attempts, self.raw, self.attempt_times = [], [], [], [], [], []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.headers.append({k.lower(): v for k, v in self.headers.items()})
                collector.attempts.append(self.path)
                collector.attempt_times.append((self.path, time.monotonic()))
                collector.raw.append((self.path, dict(self.headers), body))
                script = collector.statuses.get(self.path, [])
                status = script.pop(0) if script else collector.otherwise.get(self.path, 200)
                protobuf = self.headers.get("Content-Type") == "application/x-protobuf"
                if status == 200:
                    if self.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    trace = self.path.endswith("/traces")
                    message = trace_service_pb2.ExportTraceServiceRequest() if trace else metrics_service_pb2.ExportMetricsServiceRequest()
                    if protobuf:
                        message.ParseFromString(body)
                    else:
                        message = otlp_to_proto(body, message)
                    (collector.traces if trace else collector.metrics).append(message)
                response = trace_service_pb2.ExportTraceServiceResponse()
                if collector.partial and status == 200 and self.path.endswith("/traces"):
                    response.partial_success.rejected_spans = collector.partial[0]
                    response.partial_success.error_message = collector.partial[1]
                answer = response.SerializeToString() if protobuf else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf" if protobuf else "application/json")
                for name, value in collector.reply_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self):
        return [s for r in self.traces for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_otlp_push_delivers_spans_and_metrics_and_retries_503(mock, tmp_path):
    collector = Collector(statuses=[503])
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url, "openai": mock.url},
                  extra_args=["--otlp-endpoint", collector.url, "--otlp-header", "Authorization=Bearer collector-token",
                              "--otlp-flush-ms", "100", "--otlp-metrics-seconds", "1", "--no-trace-files"])
    try:
        traffic(proxy, mock)
        def usage_points():
            if not collector.metrics:
                return 0
            latest = collector.metrics[-1]
            return sum(p.count for rm in latest.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
                       if m.name == "gen_ai.client.token.usage" for p in m.histogram.data_points)

        deadline = time.time() + 20
        while len(collector.spans()) < 7 or usage_points() < 8:
            assert time.time() < deadline, (len(collector.spans()), usage_points(), collector.attempts)
            time.sleep(0.2)
        assert collector.attempts.count("/v1/traces") >= 2  # the 503 was retried
        assert len({s.span_id for s in collector.spans()}) == len(collector.spans()) == 7  # nothing lost, nothing doubled
        assert all(h.get("authorization") == "Bearer collector-token" for h in collector.headers)
        latest = collector.metrics[-1]
        metrics = {m.name: m for rm in latest.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
        usage = metrics["gen_ai.client.token.usage"]
        assert list(usage.histogram.data_points[0].explicit_bounds)[:3] == [1, 4, 16]
        assert sum(p.count for p in usage.histogram.data_points) == 2 * 4  # input and output per exchange with usage
        assert metrics["gen_ai.client.operation.duration"].unit == "s"
        assert "retried" in scrape(proxy)
        assert not (tmp_path / "home" / "traces").exists()
    finally:
        proxy.stop()
        collector.close()


def test_collector_down_does_not_touch_forwarding(mock, tmp_path):
    collector = Collector()
    collector.close()  # nothing listens there any more
    proxy = Proxy(tmp_path / "home", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", collector.url, "--otlp-flush-ms", "50"])
    try:
        client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0)
        began = time.time()
        for _ in range(20):
            assert client.messages.create(model="claude-haiku-4-5", max_tokens=5,
                                          messages=[{"role": "user", "content": "hi"}]).content[0].text
        assert time.time() - began < 10
        assert len(wait_spans(proxy.home, 20)) == 20  # trace files still written
    finally:
        proxy.stop()
