"""Leaving ccglass in front of an agent all day: faults upstream and downstream, a broken disk, hostile
requests, secrets, and sustained load. Each fault shows the client what a direct connection would, and
the exchange is recorded with the error."""
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import anthropic
import pytest

import rawhttp
from conftest import ROOT, Proxy, binary, fake_key, load_fixture, tmpfs
from mock_upstream import MockUpstream, Reply, anthropic_stream_events, anthropic_usage, sse, stream_reply

HEADERS = [("Content-Type", "application/json"), ("x-api-key", fake_key("hardening"))]
BODY = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def raw_exchange(port, request_bytes, head_only=False):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request_bytes)
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data and head_only:
                break
            if b"\r\n\r\n" in data and (b"Content-Length" in data or b"content-length" in data):
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
                if len(body) >= length:
                    break
    return data


# ---- not an open proxy ---------------------------------------------------------------------------

def test_absolute_uri_and_connect_are_refused(proxy, mock):
    absolute = raw_exchange(proxy.port, f"GET http://evil.example/anthropic/v1/models HTTP/1.1\r\nHost: evil.example\r\n\r\n".encode())
    assert absolute.startswith(b"HTTP/1.1 421") and b"it is not a forward proxy" in absolute
    # A response to CONNECT carries no body (HTTP framing); the status is the refusal.
    connect = raw_exchange(proxy.port, b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", head_only=True)
    assert connect.startswith(b"HTTP/1.1 405 Method Not Allowed")
    assert mock.received == []  # nothing went anywhere


def test_non_loopback_bind_warns(mock, tmp_path):
    p = Proxy(tmp_path / "home", {"anthropic": mock.url}, extra_args=["--host", "0.0.0.0"])
    try:
        assert "anyone who can reach it" in p.log_text()
    finally:
        p.stop()


# ---- upstream faults ----------------------------------------------------------------------------

def test_upstream_silent_before_headers_times_out_with_504(mock, tmp_path):
    p = Proxy(tmp_path / "home", {"anthropic": mock.url}, extra_args=["--read-timeout", "1"])
    try:
        mock.enqueue(Reply(delay_headers=4, headers=[("Content-Type", "application/json")], chunks=[(0, b"{}")], content_length=True))
        began = time.time()
        status, _, _, raw, _ = rawhttp.request(p.url, "POST", "/anthropic/v1/messages", HEADERS, BODY)
        assert status == 504 and time.time() - began < 3.5
        assert json.loads(raw)["error"]["type"] == "upstream_timeout"
        [exchange] = p.wait_exchange()
        assert exchange["outcome"] == "upstream_timeout"
    finally:
        p.stop()


def test_upstream_stalling_mid_stream_ends_the_client_stream(mock, tmp_path):
    p = Proxy(tmp_path / "home", {"anthropic": mock.url}, extra_args=["--read-timeout", "1"])
    try:
        events = anthropic_stream_events(start_usage=anthropic_usage(input_tokens=40, output_tokens=1))
        pieces = sse(events)
        mock.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], chunks=[(0, pieces[0]), (0, pieces[1]), (5, pieces[2])]))
        status, _, _, raw, error = rawhttp.request(p.url, "POST", "/anthropic/v1/messages", HEADERS, BODY)
        assert status == 200 and error is not None and raw == pieces[0] + pieces[1]
        [exchange] = p.wait_exchange()
        assert exchange["outcome"] == "upstream_timeout"
        assert exchange["response"]["usage"]["inputTokens"] == 40
    finally:
        p.stop()


def test_dns_failure_is_a_quick_502(tmp_path):
    p = Proxy(tmp_path / "home", {"anthropic": "http://no-such-host.invalid"})
    try:
        began = time.time()
        status, _, _, raw, _ = rawhttp.request(p.url, "POST", "/anthropic/v1/messages", HEADERS, BODY)
        assert status == 502 and time.time() - began < 10
        message = json.loads(raw)["error"]["message"]
        assert "no-such-host.invalid" in message
        assert p.wait_exchange()[0]["outcome"] == "upstream_unreachable"
    finally:
        p.stop()


def test_tls_failure_is_a_502_that_says_so(mock, tmp_path):
    # an https upstream that only speaks plain HTTP: the handshake fails
    p = Proxy(tmp_path / "home", {"anthropic": f"https://127.0.0.1:{mock.port}"})
    try:
        status, _, _, raw, _ = rawhttp.request(p.url, "POST", "/anthropic/v1/messages", HEADERS, BODY)
        assert status == 502
        message = json.loads(raw)["error"]["message"].lower()
        assert "ssl" in message or "tls" in message or "handshake" in message
        assert p.wait_exchange()[0]["outcome"] == "upstream_unreachable"
    finally:
        p.stop()


def test_a_100_mb_response_is_streamed_not_held(proxy, mock):
    block = os.urandom(1 << 20)

    def generate():
        for i in range(100):
            yield block[i:] + block[:i]
    mock.enqueue(Reply(headers=[("Content-Type", "application/octet-stream")], generate=generate))
    before = rss_kb(proxy.process.pid)
    digest, size, peak = hashlib.sha256(), 0, 0
    with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        sock.sendall(b"POST /anthropic/v1/files HTTP/1.1\r\nHost: 127.0.0.1:" + str(proxy.port).encode() + b"\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        while stream.readline() not in (b"\r\n", b""):
            pass
        while True:
            length = int(stream.readline().strip(), 16)
            if length == 0:
                break
            chunk = stream.read(length)
            stream.readline()
            digest.update(chunk)
            size += len(chunk)
            if size % (10 << 20) < len(chunk):
                peak = max(peak, rss_kb(proxy.process.pid))
    assert (size, digest.hexdigest()) == mock.generated
    assert peak - before < 60_000, f"ccglass grew {(peak - before) // 1024} MB while relaying 100 MB"
    [exchange] = proxy.wait_exchange()
    assert exchange["responseBytes"] == 100 << 20 and exchange["responseBodyTruncated"] is True


def test_a_slow_client_gets_everything_and_holds_back_upstream(proxy, mock):
    payload = os.urandom(8 << 20)
    mock.enqueue(Reply(headers=[("Content-Type", "application/octet-stream")], chunks=[(0, payload[i:i + 65536]) for i in range(0, len(payload), 65536)]))
    received = b""
    with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        sock.sendall(b"POST /anthropic/v1/files HTTP/1.1\r\nHost: 127.0.0.1:" + str(proxy.port).encode() + b"\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
        began = time.time()
        while time.time() - began < 1.5:  # a client reading 256 KB every 0.1 s
            received += sock.recv(262144)
            time.sleep(0.1)
        mid_rss = rss_kb(proxy.process.pid)
        sock.settimeout(10)
        while True:
            piece = sock.recv(1 << 20)
            if not piece:
                break
            received += piece
            if received.endswith(b"0\r\n\r\n"):
                break
    body = received.partition(b"\r\n\r\n")[2]
    decoded, rest = b"", body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        n = int(size_line, 16)
        if n == 0:
            break
        decoded += rest[:n]
        rest = rest[n + 2:]
    assert decoded == payload
    assert proxy.wait_exchange()[0]["outcome"] == "ok"
    assert mid_rss < 200_000


# ---- store faults --------------------------------------------------------------------------------

def test_full_disk_keeps_forwarding_and_reports_once(mock, tmp_path):
    with tmpfs(tmp_path / "tiny", "size=3m") as home:
        p = Proxy(home, {"anthropic": mock.url}, log_dir=tmp_path)
        try:
            fixture = load_fixture("messages-first-turn.json")
            for i in range(60):
                body = dict(fixture["body"], messages=fixture["body"]["messages"] + [{"role": "user", "content": os.urandom(20000).hex()}])
                status, *_ = rawhttp.request(p.url, "POST", "/anthropic/v1/messages?beta=true", fixture["headers"], json.dumps(body).encode())
                assert status == 200
            time.sleep(1)
            with urllib.request.urlopen(p.url + "/metrics") as r:
                metrics = r.read().decode()
            failures = float(re.search(r'ccglass_observability_failures_total\{kind="store"\} (\S+)', metrics).group(1))
            assert failures > 0
        finally:
            p.stop()
        log = p.log_text()
        assert log.count("could not write") == 1 and ("full" in log.lower() or "disk" in log.lower())


# ---- secrets -------------------------------------------------------------------------------------

def test_no_secret_in_data_logs_traces_or_metrics(mock, tmp_path):
    keys = [fake_key("scan-anthropic"), fake_key("scan-openai")]
    p = Proxy(tmp_path / "home", {"anthropic": mock.url, "openai": mock.url}, extra_args=["--capture-content"])
    try:
        client = anthropic.Anthropic(base_url=f"{p.url}/anthropic", api_key=keys[0], max_retries=0)
        client.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        rawhttp.request(p.url, "POST", "/openai/v1/chat/completions?key=" + keys[1],
                        [("Content-Type", "application/json"), ("Authorization", "Bearer " + keys[1]), ("Cookie", "session=" + keys[1])],
                        b'{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}')
        p.wait_exchange(count=2)
        with urllib.request.urlopen(p.url + "/metrics") as r:
            metrics = r.read()
        detail = json.dumps(p.get_json("/api/exchanges?limit=10")).encode()
        time.sleep(1)
    finally:
        p.stop()
    places = {str(path): path.read_bytes() for path in Path(p.home).rglob("*") if path.is_file()}
    places["serve log"] = p.log_path.read_bytes()
    places["/metrics"] = metrics
    places["dashboard API"] = detail
    assert any("traces" in name for name in places)
    for key in keys:
        for name, data in places.items():
            assert key.encode() not in data and key[10:-4].encode() not in data, f"{key} in {name}"


# ---- load ----------------------------------------------------------------------------------------

def test_sustained_concurrent_streams_lose_nothing(tmp_path):
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (scripts/setup --test installs it)")
    bench = ROOT / ".build" / "debug" / "ccglass-bench"
    mock_port = socket.socket()
    mock_port.bind(("127.0.0.1", 0))
    port = mock_port.getsockname()[1]
    mock_port.close()
    upstream = subprocess.Popen([str(bench), "mock", str(port), "20", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        p = Proxy(tmp_path / "home", {"anthropic": f"http://127.0.0.1:{port}"}, extra_args=["--log-level", "warning"])
        try:
            samples = []
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    samples.append(rss_kb(p.process.pid))
                    time.sleep(0.5)
            sampler = threading.Thread(target=sample)
            sampler.start()
            # 32 streams keep a debug build on 2 cores busy without queueing past capacity (slowest ~1 s,
            # against wrk's 10 s timeout); 500 streams on a release build are `ccglass-bench load`'s job.
            result = subprocess.run(["wrk", "-t2", "-c32", "-d12s", "--timeout", "10s", "-s", str(ROOT / "scripts/load/post-message.lua"),
                                     f"{p.url}/anthropic/v1/messages"], env=dict(os.environ, STREAM="1"), capture_output=True, text=True, timeout=60)
            stop.set()
            sampler.join()
            out = result.stdout
            completed = int(re.search(r"(\d+) requests in", out).group(1))
            assert "Non-2xx" not in out and "Socket errors" not in out, out
            assert completed > 200, out
            deadline = time.time() + 20
            while True:
                usage = json.loads(subprocess.run([binary(), "usage", "--json", "--by", "client", "--data-dir", str(p.home)], capture_output=True).stdout)
                ok = sum(r["requests"] - r["errors"] for r in usage["rows"])
                if ok >= completed or time.time() > deadline:
                    break
                time.sleep(0.5)
            assert ok >= completed  # every completed stream is in the history (plus streams cut by wrk's deadline)
            warm = samples[len(samples) // 3:]
            assert max(warm) - min(warm) < 100 * 100, f"RSS moved {max(warm) - min(warm)} KB under steady load"
        finally:
            p.stop()
    finally:
        upstream.terminate()
        upstream.wait()


# ---- connections and shutdown --------------------------------------------------------------------

def read_response(stream):
    """One HTTP/1.1 response from a buffered socket file: (status, headers, body), chunked or sized."""
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, headers, stream.read(int(headers["content-length"]))
    body = b""
    while (size := int(stream.readline().strip(), 16)) > 0:
        body += stream.read(size)
        stream.readline()
    stream.readline()
    return status, headers, body


def test_one_connection_carries_proxied_and_dashboard_requests_in_order(proxy, mock):
    # Pipelined in one write: the relay and Hummingbird take turns on the connection, answers in order.
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}).encode()
    host = f"Host: 127.0.0.1:{proxy.port}\r\n".encode()
    post = b"POST /anthropic/v1/messages HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    health = b"GET /api/health HTTP/1.1\r\n" + host + b"\r\n"
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(post + health + post + health)
        stream = sock.makefile("rb")
        answers = [read_response(stream) for _ in range(4)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 200]
    assert json.loads(answers[0][2])["type"] == "message" and json.loads(answers[2][2])["type"] == "message"
    assert json.loads(answers[1][2])["service"] == "ccglass" and json.loads(answers[3][2])["service"] == "ccglass"
    assert [r.body for r in mock.received] == [body, body]
    assert len(proxy.wait_exchange(count=2)) == 2


def test_sigterm_lets_a_stream_in_flight_finish(mock, tmp_path):
    p = Proxy(tmp_path / "home", {"anthropic": mock.url})
    events = anthropic_stream_events(start_usage=anthropic_usage(input_tokens=5, output_tokens=1))
    mock.enqueue(stream_reply(events, gap=0.25))
    threading.Timer(0.5, lambda: p.process.send_signal(subprocess.signal.SIGTERM)).start()
    try:
        status, _, _, raw, error = rawhttp.request(p.url, "POST", "/anthropic/v1/messages",
                                                   [("Content-Type", "application/json")], b'{"model":"claude-sonnet-4-5","stream":true}')
        assert status == 200 and error is None
        assert raw == b"".join(sse(events)), "the stream was cut when ccglass was asked to stop"
        assert p.process.wait(timeout=10) == 0
    finally:
        p.stop()
    # Recorded before it exited.
    again = Proxy(tmp_path / "home", {"anthropic": mock.url})
    try:
        [exchange] = again.wait_exchange()
        assert exchange["outcome"] == "ok" and exchange["response"]["usage"]["inputTokens"] == 5
    finally:
        again.stop()


def test_an_upstream_that_closes_idle_connections_costs_no_request(tmp_path):
    # API load balancers drop idle kept-alive connections; the next request must not land on a dead one.
    server = MockUpstream(idle_timeout=0.3)
    p = Proxy(tmp_path / "home", {"anthropic": server.url})
    try:
        client = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
        body = b'{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[]}'
        for _ in range(3):
            client.request("POST", "/anthropic/v1/messages", body=body, headers={"Content-Type": "application/json"})
            response = client.getresponse()
            assert response.status == 200, response.read()
            assert json.loads(response.read())["type"] == "message"
            time.sleep(0.8)  # long enough for the upstream to close the connection ccglass kept
        peers = [r.peer for r in server.received]
        assert len(set(peers)) == 3  # three upstream connections: none reused after the upstream closed it
        assert all(e["outcome"] == "ok" for e in p.wait_exchange(count=3))
    finally:
        p.stop()
        server.close()


def test_after_a_slow_client_the_upstream_connection_serves_the_next_request(proxy, mock):
    # Back-pressure pauses reading from upstream; a connection back in the pool must read again.
    payload = os.urandom(4 << 20)
    mock.enqueue(Reply(headers=[("Content-Type", "application/octet-stream")], chunks=[(0, payload)], content_length=True))
    head = (b"POST /anthropic/v1/files HTTP/1.1\r\nHost: 127.0.0.1:" + str(proxy.port).encode()
            + b"\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        sock.sendall(head)
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        length = 0
        while (line := stream.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = b""
        while len(body) < length:  # slowly to the last byte, as a slow client reads
            body += stream.read(min(16384, length - len(body)))
            time.sleep(0.002)
        assert body == payload
        for _ in range(2):  # the same client connection, so the same event loop and its pooled upstream connection
            sock.sendall(head)
            status, _, body = read_response(stream)
            assert status == 200 and json.loads(body)
    peers = [r.peer for r in mock.received]
    assert len(peers) == 3 and peers[1] == peers[0], "the pooled connection was not reused"


def test_copy_as_curl_is_safe_to_paste_into_a_shell(proxy, mock, tmp_path):
    # Header values and the body come from the agent: pasted, none of it may run. Only the credential
    # placeholders are left for the shell to fill in.
    key = fake_key("curl")
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 5,
                       "messages": [{"role": "user", "content": "it's $(touch pwned-body) `touch pwned-tick`"}]})
    headers = [("Content-Type", "application/json"), ("x-api-key", key), ("X-Note", "$(touch pwned-header)"),
               ("X-Quote", "say \"$HOME\" and 'it'")]
    rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", headers, body.encode())
    [exchange] = proxy.wait_exchange()
    command = proxy.exchange(exchange["id"])["curl"]
    assert key not in command
    scratch = tmp_path / "paste-here"
    scratch.mkdir()
    run = subprocess.run(["bash", "-c", 'curl() { printf "%s\\n" "$@"; }\n' + command], cwd=scratch, capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"], "ANTHROPIC_API_KEY": "filled-in-key", "HOME": "/nowhere"})
    assert run.returncode == 0, run.stderr
    args = run.stdout.split("\n")
    assert list(scratch.iterdir()) == []  # nothing ran
    assert "X-Note: $(touch pwned-header)" in args and "X-Quote: say \"$HOME\" and 'it'" in args
    assert "x-api-key: filled-in-key" in args
    assert body in run.stdout
