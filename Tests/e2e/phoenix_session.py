"""Runs inside a network namespace of its own (test_phoenix.py starts it so): Arize Phoenix as the OTLP
receiver, the mock upstream, and `ccglass serve --otlp-endpoint` between an Anthropic client and the mock.
Prints one JSON report: what ccglass recorded, what Phoenix shows, and what ccglass logged.

    python phoenix_session.py PHOENIX_BIN CCGLASS_BIN WORK_DIR"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import anthropic  # noqa: E402
from mock_upstream import MockUpstream, anthropic_stream_events, anthropic_usage, stream_reply  # noqa: E402
from conftest import Proxy  # noqa: E402

phoenix_bin, ccglass_bin, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
os.environ["CCGLASS_BIN"] = ccglass_bin
PORT = 6006


def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as r:
        return json.loads(r.read())


def post(path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


phoenix_log = open(work / "phoenix.log", "wb")
phoenix = subprocess.Popen([phoenix_bin, "serve"], stdout=phoenix_log, stderr=subprocess.STDOUT,
                           env=dict(os.environ, PHOENIX_WORKING_DIR=str(work / "phoenix"), PHOENIX_HOST="127.0.0.1",
                                    PHOENIX_PORT=str(PORT), PHOENIX_TELEMETRY_ENABLED="false"))
mock = MockUpstream()
proxy = None
report = {}
try:
    deadline = time.time() + 120
    while True:
        try:
            get("/v1/projects")
            break
        except Exception:
            assert phoenix.poll() is None, (work / "phoenix.log").read_text()
            assert time.time() < deadline, "Phoenix did not start"
            time.sleep(0.5)
    proxy = Proxy(work / "home", {"anthropic": mock.url},
                  extra_args=["--otlp-endpoint", f"http://127.0.0.1:{PORT}", "--otlp-flush-ms", "100", "--otlp-metrics-seconds", "1"])
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key", max_retries=0)
    for model, tokens in (("claude-sonnet-4-5-20250929", (1200, 350, 30000, 2000)), ("claude-haiku-4-5-20251001", (400, 60, 0, 800)),
                          ("claude-opus-4-6", (90, 20, 5000, 0))):
        usage = anthropic_usage(input_tokens=tokens[0], output_tokens=1, cache_read=tokens[2], cache_5m=tokens[3])
        mock.enqueue(stream_reply(anthropic_stream_events(model=model, start_usage=usage, final_usage=dict(usage, output_tokens=tokens[1]))))
        with client.messages.stream(model=model, max_tokens=500, messages=[{"role": "user", "content": "hi"}]) as s:
            s.get_final_message()
    proxy.wait_stored(count=3)
    time.sleep(3)  # a metrics push too, which Phoenix refuses
    rows = json.loads(subprocess.run([ccglass_bin, "requests", "--json", "--data-dir", str(work / "home")],
                                     capture_output=True, text=True, check=True).stdout)
    report["ccglass"] = [{"model": r["model"], "usage": r["usage"], "costUSD": r["costUSD"]} for r in rows]
    deadline = time.time() + 30
    while True:
        spans = get("/v1/projects/default/spans?limit=100").get("data", [])
        if len(spans) >= 3 or time.time() > deadline:
            break
        time.sleep(0.5)
    report["spans"] = spans
    # Phoenix's own cost per span, from its price table (GraphQL: the REST span has no cost).
    query = """query { projects { edges { node { name spans(first: 100) { edges { node {
        name spanKind attributes costSummary { total { cost tokens } prompt { cost tokens } completion { cost tokens } } } } } } } } }"""
    try:
        report["graphql"] = post("/graphql", {"query": query})
    except Exception as e:  # noqa: BLE001
        report["graphql_error"] = str(e)
finally:
    if proxy:
        proxy.stop()
        report["ccglass_log"] = proxy.log_text()
    mock.close()
    phoenix.terminate()
    try:
        phoenix.wait(timeout=20)
    except subprocess.TimeoutExpired:
        phoenix.kill()
print(json.dumps(report))
