"""What the client and upstream see through ccglass is what they would see directly: real Claude Code
requests replayed byte for byte, SSE delivered as it is produced, gzip passed through still compressed."""
import gzip
import http.client
import json
import subprocess
import time
import zlib

import pytest

import rawhttp
from conftest import Proxy, fake_key, load_fixture
from mock_upstream import MockUpstream, anthropic_stream_events, anthropic_usage, sse, stream_reply, Reply

FIXTURES = ["messages-first-turn.json", "messages-tool-result-turn.json", "messages-mcp-tool-result-turn.json",
            "messages-bare-mode.json", "count-tokens.json"]


def fixture_request(name):
    fixture = load_fixture(name)
    # Real Claude Code bodies are compact JSON; non-ASCII stays UTF-8 as node sends it.
    body = json.dumps(fixture["body"], ensure_ascii=False, separators=(",", ":")).encode()
    return fixture, body


@pytest.mark.parametrize("name", FIXTURES)
def test_claude_code_request_reaches_upstream_byte_identical(proxy, mock, name):
    fixture, body = fixture_request(name)
    status, _, _, _, error = rawhttp.request(proxy.url, fixture["method"], "/anthropic" + fixture["raw_path"],
                                             fixture["headers"], body)
    assert status == 200 and error is None
    [got] = mock.received
    assert got.body == body
    assert got.path == fixture["raw_path"]
    sent = {k.lower(): v for k, v in fixture["headers"]}
    received = {k.lower(): v for k, v in got.headers}
    for header, value in sent.items():
        if header.startswith(("anthropic-", "x-")) or header in ("user-agent", "content-type", "accept"):
            assert received.get(header) == value, header
    assert received["accept-encoding"] == "gzip, deflate"  # br and zstd narrowed away
    assert received["content-length"] == str(len(body))
    assert received["host"] == f"127.0.0.1:{mock.port}"

    [exchange] = proxy.wait_exchange()
    assert exchange["client"] == "claude-code"
    assert exchange["sessionID"] == sent["x-claude-code-session-id"]
    assert exchange["request"]["model"] == fixture["body"]["model"]
    assert exchange["request"]["parsed"] is True
    assert exchange["requestBytes"] == len(body)
    # the recorded headers keep the key's last four characters only
    recorded = {h["name"].lower(): h["value"] for h in exchange["requestHeaders"]}
    assert recorded["x-api-key"] != sent["x-api-key"]


def send_chunked(url, path, headers, pieces):
    """A request whose body goes out in chunked encoding, a piece at a time with pauses, as a client
    streaming its upload would send it."""
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", path, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for piece in pieces:
        conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        time.sleep(0.05)
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def test_request_bodies_of_every_shape_reach_upstream_byte_identical(proxy, mock):
    """A small body, one over 1 MB (parsed on the recording thread) and a chunked upload sent in pieces:
    upstream gets the same bytes, in chunked encoding for the upload, and each exchange is parsed."""
    headers = [("x-api-key", fake_key("shapes")), ("anthropic-version", "2023-06-01"), ("content-type", "application/json")]
    small = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}).encode()
    large = json.dumps({"model": "claude-opus-4-5", "max_tokens": 8,
                        "messages": [{"role": "user", "content": "é" * (1 << 20)}]}, ensure_ascii=False).encode()
    assert len(large) > 1 << 20
    for body in (small, large):
        status, _, _, _, error = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", headers, body)
        assert status == 200 and error is None
    pieces = [small[:10], small[10:40], small[40:]]
    assert send_chunked(proxy.url, "/anthropic/v1/messages", headers, pieces) == 200

    got = [r.body for r in mock.received]
    assert got == [small, large, small]
    chunked_headers = {k.lower(): v for k, v in mock.received[2].headers}
    assert chunked_headers.get("transfer-encoding") == "chunked"
    exchanges = sorted(proxy.wait_exchange(count=3), key=lambda e: e["id"])
    assert [e["requestBytes"] for e in exchanges] == [len(small), len(large), len(small)]
    assert [e["request"]["model"] for e in exchanges] == ["claude-sonnet-4-5", "claude-opus-4-5", "claude-sonnet-4-5"]


def test_session_falls_back_to_metadata_user_id(proxy, mock):
    fixture, body = fixture_request("messages-bare-mode.json")
    headers = [h for h in fixture["headers"] if h[0].lower() != "x-claude-code-session-id"]
    rawhttp.request(proxy.url, "POST", "/anthropic" + fixture["raw_path"], headers, body)
    [exchange] = proxy.wait_exchange()
    assert exchange["sessionID"] == json.loads(fixture["body"]["metadata"]["user_id"])["session_id"]


def test_opus_5_5_fixture_is_priced_from_the_stream(proxy, mock):
    fixture, body = fixture_request("messages-first-turn.json")
    usage = anthropic_usage(input_tokens=3, output_tokens=1, cache_read=0, cache_5m=11000)
    final = dict(usage, output_tokens=120)
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-opus-5-5", start_usage=usage, final_usage=final)))
    rawhttp.request(proxy.url, "POST", "/anthropic" + fixture["raw_path"], fixture["headers"], body)
    [exchange] = proxy.wait_exchange()
    cost = exchange["cost"]
    # Opus 5.5: $4 in, $5 5m write, $20 out per MTok
    assert cost["input"] + cost["cacheWrite5m"] + cost["output"] == pytest.approx((3 * 4 + 11000 * 5 + 120 * 20) / 1e6, abs=1e-9)


def test_sse_events_reach_the_client_as_they_are_sent(proxy, mock):
    events = anthropic_stream_events(text="one two three four five six")
    mock.enqueue(stream_reply(events, gap=0.2))
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    arrivals = []
    for at, line in rawhttp.stream_lines(proxy.url, "/anthropic/v1/messages",
                                         [("Content-Type", "application/json"), ("x-api-key", "k")], body):
        if line.startswith(b"event:"):
            arrivals.append(at)
    sent = mock.sent_at
    assert len(arrivals) == len(events) == len(sent)
    lags = [a - s for a, s in zip(arrivals, sent)]
    # Each event is delivered on its own, not held back for the next: lag stays far below the 200 ms gap.
    assert max(lags) < 0.05, lags
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) > 0.15, gaps


def test_gzip_sse_reaches_client_compressed_and_is_still_parsed(proxy, mock):
    start = anthropic_usage(input_tokens=100, output_tokens=1, cache_read=5000)
    events = anthropic_stream_events(text="compressed hello", start_usage=start, final_usage=dict(start, output_tokens=42))
    mock.enqueue(stream_reply(events, gzip=True))
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    status, _, headers, raw, error = rawhttp.request(
        proxy.url, "POST", "/anthropic/v1/messages",
        [("Content-Type", "application/json"), ("Accept-Encoding", "gzip, br"), ("x-api-key", "k")], body)
    assert status == 200 and error is None
    assert dict((k.lower(), v) for k, v in headers)["content-encoding"] == "gzip"
    assert raw == mock.sent_body  # the compressed bytes, unchanged
    assert zlib.decompress(raw, 31) == b"".join(sse(events))
    assert mock.received[0].header("accept-encoding") == "gzip"
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["usage"]["inputTokens"] == 5100
    assert exchange["response"]["usage"]["outputTokens"] == 42
    assert exchange["response"]["text"] == "compressed hello"
    assert exchange["responseBytes"] == len(raw)


def test_gzip_json_response_with_content_length(proxy, mock):
    from mock_upstream import chat_completion, chat_usage, json_reply
    mock.enqueue(json_reply(chat_completion(model="gpt-4.1", usage=chat_usage(prompt=77, completion=7)), gzip=True))
    body = b'{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}'
    status, _, headers, raw, error = rawhttp.request(
        proxy.url, "POST", "/openai/v1/chat/completions",
        [("Content-Type", "application/json"), ("Accept-Encoding", "gzip")], body)
    assert status == 200 and error is None
    h = {k.lower(): v for k, v in headers}
    assert h["content-length"] == str(len(raw)) and raw == mock.sent_body
    assert json.loads(gzip.decompress(raw))["usage"]["prompt_tokens"] == 77
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["usage"]["inputTokens"] == 77


# ---- HTTPS upstreams ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost, as a private CA would issue."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def test_https_upstream_streams_through_on_one_kept_alive_connection(tmp_path, certificate):
    server = MockUpstream(tls=certificate)
    p = Proxy(tmp_path / "home", {"anthropic": f"https://localhost:{server.port}"},
              extra_args=["--ca-file", str(certificate[0])])
    try:
        fixture, body = fixture_request("messages-first-turn.json")
        events = anthropic_stream_events(start_usage=anthropic_usage(input_tokens=12, cache_read=300, output_tokens=1))
        server.enqueue(stream_reply(events), stream_reply(events))
        # Two requests on one client connection, as an SDK sends them: both go upstream on one connection.
        client = http.client.HTTPConnection("127.0.0.1", p.port, timeout=30)
        headers = {k: v for k, v in fixture["headers"] if k.lower() not in ("host", "content-length")}
        for _ in range(2):
            client.request("POST", "/anthropic" + fixture["raw_path"], body=body, headers=headers)
            response = client.getresponse()
            assert response.status == 200
            assert response.read() == b"".join(sse(events))
        client.close()
        first, second = server.received
        assert first.body == body and second.body == body
        assert first.header("host") == f"localhost:{server.port}"
        assert first.peer == second.peer, "the second request opened a new TLS connection instead of reusing the first"
        exchanges = p.wait_exchange(count=2)
        assert [e["response"]["usage"]["cacheReadTokens"] for e in exchanges] == [300, 300]
    finally:
        p.stop()
        server.close()


def test_untrusted_https_upstream_is_a_502_that_names_the_certificate(tmp_path, certificate):
    server = MockUpstream(tls=certificate)
    p = Proxy(tmp_path / "home", {"anthropic": f"https://localhost:{server.port}"}, env={"NODE_EXTRA_CA_CERTS": ""})
    try:
        status, _, _, raw, _ = rawhttp.request(p.url, "POST", "/anthropic/v1/messages", [("Content-Type", "application/json")], b"{}")
        assert status == 502
        assert "certificate" in json.loads(raw)["error"]["message"].lower()
        assert p.wait_exchange()[0]["outcome"] == "upstream_unreachable"
        assert server.received == []
    finally:
        p.stop()
        server.close()
