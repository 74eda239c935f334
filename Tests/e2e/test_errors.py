"""Failures upstream reach the client as they happened, and the exchange records them; bad input is
forwarded untouched and never crashes ccglass."""
import json
import socket
import time

import pytest

import rawhttp
from conftest import fake_key
from mock_upstream import (Reply, anthropic_error, anthropic_stream_events, anthropic_usage, json_reply,
                           openai_error, sse, stream_reply)

MESSAGES = "/anthropic/v1/messages"
JSON_HEADERS = [("Content-Type", "application/json"), ("x-api-key", fake_key("errors"))]
STREAM_BODY = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": True,
                          "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.mark.parametrize("status,payload,kind", [
    (429, anthropic_error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "rate_limit_error"),
    (500, anthropic_error("api_error", "Internal server error"), "api_error"),
    (529, anthropic_error("overloaded_error", "Overloaded"), "overloaded_error"),
])
def test_error_status_passes_through_and_is_recorded(proxy, mock, status, payload, kind):
    mock.enqueue(json_reply(payload, status=status, headers=[("retry-after", "7"), ("x-should-retry", "true")]))
    got_status, _, headers, raw, _ = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
    assert got_status == status
    h = {k.lower(): v for k, v in headers}
    assert h["retry-after"] == "7" and h["x-should-retry"] == "true"
    assert raw == mock.sent_body
    [exchange] = proxy.wait_exchange()
    assert exchange["status"] == status
    assert exchange["outcome"] == "http_error"
    assert exchange["response"]["error"]["type"] == kind
    assert exchange["errorMessage"] == payload["error"]["message"]


def test_openai_429_is_recorded_with_its_message(proxy, mock):
    mock.enqueue(json_reply(openai_error(), status=429, headers=[("retry-after", "3")]))
    status, _, _, raw, _ = rawhttp.request(proxy.url, "POST", "/openai/v1/chat/completions", JSON_HEADERS,
                                           b'{"model":"gpt-4.1","messages":[]}')
    assert status == 429 and json.loads(raw)["error"]["code"] == "rate_limit_exceeded"
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["error"]["type"] == "rate_limit_error"


def test_sse_error_event_after_200(proxy, mock):
    start = anthropic_usage(input_tokens=50, output_tokens=1)
    events = anthropic_stream_events(start_usage=start)[:3] + [("error", anthropic_error("overloaded_error", "Overloaded"))]
    mock.enqueue(stream_reply(events))
    status, _, _, raw, error = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
    assert status == 200 and error is None
    assert raw == b"".join(sse(events))
    [exchange] = proxy.wait_exchange()
    assert exchange["status"] == 200
    assert exchange["outcome"] == "provider_error"
    assert exchange["response"]["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert exchange["response"]["usage"]["inputTokens"] == 50


# burst: the four events and then broken chunk framing leave in one write, so ccglass's decoder fails in
# the same socket read that brought the events; those still reach the client before its stream ends.
@pytest.mark.parametrize("burst", [False, True])
def test_upstream_drop_mid_stream_ends_the_client_stream_too(proxy, mock, burst):
    start = anthropic_usage(input_tokens=80, output_tokens=1)
    events = anthropic_stream_events(start_usage=start, text="a longer answer that will be cut")
    mock.enqueue(stream_reply(events, drop_after=4, gap=0 if burst else 0.02, burst=burst))
    status, _, _, raw, error = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
    assert status == 200
    assert error is not None  # the chunked body never terminated, as with a direct connection
    assert raw == b"".join(sse(events)[:4])
    [exchange] = proxy.wait_exchange()
    assert exchange["outcome"] == "upstream_dropped"
    assert exchange["response"]["usage"]["inputTokens"] == 80
    # the proxy is still fine afterwards
    assert rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)[0] == 200


def test_refused_upstream_gives_502_with_a_json_reason(tmp_path):
    from conftest import Proxy
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()
    proxy = Proxy(tmp_path / "home", {"anthropic": f"http://127.0.0.1:{dead_port}"})
    try:
        began = time.time()
        status, _, headers, raw, _ = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
        assert time.time() - began < 5  # refused fails fast; the agent's SDK decides whether to retry
        assert status == 502
        body = json.loads(raw)
        assert body["error"]["type"] == "upstream_unreachable"
        assert f"127.0.0.1:{dead_port}" in body["error"]["message"]
        [exchange] = proxy.wait_exchange()
        assert exchange["outcome"] == "upstream_unreachable"
        assert exchange.get("status") is None
    finally:
        proxy.stop()


def test_client_disconnect_cancels_the_upstream_request(proxy, mock):
    events = anthropic_stream_events(text="x" * 40)
    many = events[:2] + [events[3]] * 60 + events[-2:]
    mock.enqueue(stream_reply(many, gap=0.05))
    sock = socket.create_connection(("127.0.0.1", proxy.port))
    request = (f"POST {MESSAGES} HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(STREAM_BODY)}\r\n\r\n").encode() + STREAM_BODY
    sock.sendall(request)
    assert b"200" in sock.recv(4096)
    time.sleep(0.2)
    sock.close()
    deadline = time.time() + 5
    while not (mock.received and mock.received[0].peer_closed) and time.time() < deadline:
        time.sleep(0.05)
    assert mock.received[0].peer_closed, "upstream kept streaming to nobody"
    assert len(mock.sent_at) < 40
    [exchange] = proxy.wait_exchange()
    assert exchange["outcome"] == "client_disconnected"


def test_malformed_json_body_is_forwarded_unchanged_and_marked_unparsed(proxy, mock):
    body = b'{"model": "claude-sonnet-4-5", "messages": [ this is not json'
    status, _, _, _, _ = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, body)
    assert status == 200
    assert mock.received[0].body == body
    [exchange] = proxy.wait_exchange()
    assert exchange["request"]["parsed"] is False
    assert exchange["outcome"] == "ok"


def test_non_utf8_bytes_pass_both_ways(proxy, mock):
    body = b'{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"\xff\xfe\xc3("}]}'
    junk = b"event: message_start\ndata: \xff\xfe not utf-8 \x80\x81\n\n"
    mock.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], chunks=[(0, junk)]))
    status, _, _, raw, error = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, body)
    assert status == 200 and error is None
    assert mock.received[0].body == body
    assert raw == junk
    [exchange] = proxy.wait_exchange()
    assert exchange["request"]["parsed"] is False
    assert exchange["response"]["parseFailures"] == 1


def test_truncated_sse_is_forwarded_and_does_not_break_the_next_request(proxy, mock):
    events = sse(anthropic_stream_events())
    cut = b"".join(events[:3]) + events[3][: len(events[3]) // 2]
    mock.enqueue(Reply(headers=[("Content-Type", "text/event-stream")], chunks=[(0, cut)]))
    status, _, _, raw, error = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
    assert status == 200 and raw == cut and error is None
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["complete"] is False
    assert exchange["response"]["parseFailures"] >= 1
    status, _, _, _, _ = rawhttp.request(proxy.url, "POST", MESSAGES, JSON_HEADERS, STREAM_BODY)
    assert status == 200
    assert len(proxy.wait_exchange(count=2)) == 2


def test_unknown_prefix_is_a_json_404_naming_the_providers(proxy):
    status, _, _, raw, _ = rawhttp.request(proxy.url, "GET", "/antropic/v1/messages", [])
    assert status == 404
    message = json.loads(raw)["error"]["message"]
    assert "anthropic" in message and "openai" in message and "/antropic/v1/messages" in message


def test_second_instance_on_the_same_port_exits_2_with_one_line(proxy, tmp_path):
    import subprocess
    from conftest import binary
    result = subprocess.run([binary(), "serve", "--port", str(proxy.port)], capture_output=True, text=True,
                            timeout=30, env={"CCGLASS_HOME": str(tmp_path / "other"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert lines[-1].startswith("ccglass:") and "already in use" in lines[-1]
