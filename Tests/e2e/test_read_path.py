"""The dashboard's reads and reports run off the event loops that forward traffic: a stream keeps its
pace while the heaviest report runs again and again over a large history."""
import http.client
import json
import subprocess
import threading
import time
import urllib.request

from conftest import ROOT, Proxy
from mock_upstream import anthropic_stream_events, stream_reply

GAP = 0.1


def test_a_stream_keeps_its_pace_while_the_dashboard_reports_over_100_000_exchanges(mock, tmp_path):
    home = tmp_path / "home"
    bench = ROOT / ".build" / "debug" / "ccglass-bench"
    subprocess.run([str(bench), "seed", str(home), "big-session", "100000"], check=True, capture_output=True, timeout=600)
    proxy = Proxy(home, {"anthropic": mock.url})
    try:
        events = anthropic_stream_events(text="x" * 40)
        mock.enqueue(stream_reply(events[:2] + [events[3]] * 25 + events[-2:], gap=GAP))
        done = threading.Event()
        reports = []

        def report():
            # The cache report of the 100 000-exchange session reads and analyses its last 1000 turns.
            while not done.is_set():
                began = time.monotonic()
                request = urllib.request.Request(f"{proxy.url}/api/sessions/big-session/cache",
                                                 headers={"Authorization": f"Bearer {proxy.token}"})
                with urllib.request.urlopen(request, timeout=60) as r:
                    assert json.loads(r.read())["exchanges"] == 1000
                reports.append(time.monotonic() - began)

        workers = [threading.Thread(target=report) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.5)  # the reports are running
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
        body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": True,
                           "messages": [{"role": "user", "content": "hi"}]})
        connection.request("POST", "/anthropic/v1/messages", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        arrivals = [time.monotonic() for line in iter(response.readline, b"") if line.startswith(b"event:")]
        done.set()
        for worker in workers:
            worker.join()
        gaps = [b - a for a, b in zip(arrivals[1:], arrivals[2:])]  # the first event leaves at once
        assert len(arrivals) == 29
        # Each report takes most of a second or more: on a forwarding loop it would hold events back that long.
        assert reports and min(reports) > 0.3, reports
        assert max(gaps) < GAP + 0.15, f"an event waited {max(gaps) * 1000:.0f} ms behind a report (reports took {reports})"
    finally:
        proxy.stop()
