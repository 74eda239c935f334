"""WebSocket upgrades through ccglass, driven by a real WebSocket client (`websockets`) against a mock of
the Responses API over WebSocket: what the client sees is what upstream did, frame for frame, and each
`response.create` with its events is recorded as one exchange."""
import json
import os
import socket
import subprocess
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import Proxy, binary
from mock_websocket import MockWebSocket

SESSION = "01a235a6-ea5a-7031-a046-87f88172bf3c"


def create(model="gpt-5.6-sol", kind="turn", turn="01a235a8-596f-73f1-85f6-68f6b76c9382", **extra):
    metadata = {"session_id": SESSION, "turn_id": turn, "request_kind": kind}
    return json.dumps({"type": "response.create", "model": model, "stream": True, "store": False,
                       "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say hi"}]}],
                       "client_metadata": {"x-codex-turn-metadata": json.dumps(metadata)}, **extra})


@pytest.fixture
def ws_mock():
    server = MockWebSocket()
    yield server
    server.close()


@pytest.fixture
def ws_proxy(ws_mock, tmp_path):
    p = Proxy(tmp_path / "home", {"openai": ws_mock.url})
    yield p
    p.stop()


def dial(proxy, compression="deflate", **kw):
    return connect(proxy.url.replace("http", "ws") + "/openai/v1/responses", compression=compression, max_size=None,
                   additional_headers={"session-id": SESSION, "Authorization": "Bearer sk-test-not-a-key",
                                       "openai-beta": "responses_websockets=2026-02-06"}, **kw)


def read_response(ws):
    events = []
    while not events or events[-1]["type"] != "response.completed":
        events.append(json.loads(ws.recv(timeout=10)))
    return events


@pytest.mark.parametrize("compression", ["deflate", None])
def test_responses_over_websocket_reach_the_client_and_are_recorded(ws_mock, ws_proxy, compression):
    with dial(ws_proxy, compression) as ws:
        ws.send(create(kind="prewarm", turn="", generate=False))
        first = read_response(ws)
        ws.send(create())
        second = read_response(ws)
    assert [e["type"] for e in first][-1] == "response.completed"
    assert "".join(e.get("delta", "") for e in second) == "hi from ws"
    # Upstream got the upgrade with the client's extension offer, and every message as sent.
    headers = {k.lower(): v for k, v in ws_mock.handshakes[0]}
    assert headers["upgrade"].lower() == "websocket" and "upgrade" in headers["connection"].lower()
    assert headers["openai-beta"] == "responses_websockets=2026-02-06"
    assert ("permessage-deflate" in headers.get("sec-websocket-extensions", "")) == (compression == "deflate")
    assert ws_mock.messages == [create(kind="prewarm", turn="", generate=False), create()]

    prewarm, turn = sorted(ws_proxy.wait_exchange(count=2), key=lambda e: e["id"])
    ws_proxy.wait_stored(2)  # the export below reads the history
    for exchange, sent in ((prewarm, ws_mock.messages[0]), (turn, ws_mock.messages[1])):
        assert exchange["transport"] == "websocket" and exchange["status"] == 101 and exchange["outcome"] == "ok"
        assert exchange["sessionID"] == SESSION and exchange["client"] != "unknown"
        assert exchange["response"]["usage"]["inputTokens"] == 1200 and exchange["response"]["usage"]["cacheReadTokens"] == 1000
        assert exchange["response"]["usage"]["outputTokens"] == 30
        assert exchange["cost"] is not None and exchange["cost"]["pricedAs"] == "openai:gpt-5.6-sol"
        assert exchange["timings"]["firstByte"] is not None
        exported = subprocess.run([binary(), "export", exchange["id"], "--format", "json", "--data-dir", str(ws_proxy.home)],
                                  capture_output=True, text=True, check=True).stdout
        assert json.loads(exported)["requestBody"] == sent
    assert prewarm["requestKind"] == "prewarm" and "turnID" not in prewarm
    assert turn["requestKind"] == "turn" and turn["turnID"] == "01a235a8-596f-73f1-85f6-68f6b76c9382"
    # The key crossed, and is recorded only as a fingerprint.
    assert "sk-test-not-a-key" not in json.dumps(turn)


def test_fragments_ping_and_close_code_pass_through(ws_mock, ws_proxy):
    received = {}

    async def script(request, ws):
        received["close"] = None
        await ws.send(["frag", "mented ", "reply"])  # one message in three frames
    ws_mock.script = script
    with dial(ws_proxy) as ws:
        message = create()
        ws.send([message[:10], message[10:50], message[50:]])  # the client fragments too
        assert ws.recv(timeout=5) == "fragmented reply"
        pong = ws.ping(b"are you there")
        assert pong.wait(5)
        ws.close(code=4001, reason="done here")
    assert ws_mock.messages == [message]
    deadline = time.time() + 5
    while not ws_mock.close_codes and time.time() < deadline:
        time.sleep(0.05)
    assert ws_mock.close_codes == [4001]
    exchange = ws_proxy.wait_exchange(lambda e: True)[0]
    assert exchange["outcome"] == "client_disconnected"  # no response.completed ever came
    assert exchange["requestBytes"] == len(message)


def test_a_10_mb_message_crosses_whole_and_is_recorded(ws_mock, ws_proxy):
    big = create(instructions="x" * (10 << 20))
    with dial(ws_proxy) as ws:
        ws.send(big)
        read_response(ws)
    assert ws_mock.messages == [big]
    exchange = ws_proxy.wait_exchange()[0]
    assert exchange["requestBytes"] == len(big) and exchange["response"]["usage"]["outputTokens"] == 30


def test_upstream_dropping_mid_response_reaches_the_client_and_is_recorded(ws_mock, ws_proxy):
    async def script(request, ws):
        await ws.send(json.dumps({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5.6-sol"}}))
        ws.transport.abort()  # no close frame: the connection just ends
    ws_mock.script = script
    with dial(ws_proxy) as ws:
        ws.send(create())
        assert json.loads(ws.recv(timeout=5))["type"] == "response.created"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    exchange = ws_proxy.wait_exchange()[0]
    assert exchange["outcome"] == "upstream_dropped" and exchange["response"]["id"] == "resp_1"


def test_upstream_close_code_ends_the_response_as_an_error(ws_mock, ws_proxy):
    async def script(request, ws):
        await ws.send(json.dumps({"type": "response.created", "response": {"id": "resp_2", "model": "gpt-5.6-sol"}}))
        await ws.close(code=1011, reason="overloaded")
    ws_mock.script = script
    with dial(ws_proxy) as ws:
        ws.send(create())
        ws.recv(timeout=5)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 1011 and closed.value.rcvd.reason == "overloaded"
    exchange = ws_proxy.wait_exchange()[0]
    assert exchange["outcome"] == "upstream_dropped" and "1011" in exchange["errorMessage"]


def test_a_refused_upgrade_reaches_the_client_as_upstream_sent_it(tmp_path):
    mock = MockWebSocket(refuse=426)
    proxy = Proxy(tmp_path / "home", {"openai": mock.url})
    try:
        with pytest.raises(InvalidStatus) as refused:
            dial(proxy)
        assert refused.value.response.status_code == 426
        assert b"websockets are not enabled" in refused.value.response.body
        exchange = proxy.wait_exchange()[0]
        assert exchange["status"] == 426 and exchange["outcome"] == "http_error" and "transport" not in exchange
    finally:
        proxy.stop()
        mock.close()


def test_a_dead_upstream_gives_502(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    proxy = Proxy(tmp_path / "home", {"openai": f"http://127.0.0.1:{dead}"})
    try:
        with pytest.raises(InvalidStatus) as refused:
            dial(proxy)
        assert refused.value.response.status_code == 502
        assert proxy.wait_exchange()[0]["outcome"] == "upstream_unreachable"
    finally:
        proxy.stop()


def test_each_event_reaches_the_client_as_it_is_sent(tmp_path):
    mock = MockWebSocket(gap=0.2)
    proxy = Proxy(tmp_path / "home", {"openai": mock.url})
    try:
        with dial(proxy) as ws:
            ws.send(create())
            arrived = []
            while len(arrived) < 11:
                event = json.loads(ws.recv(timeout=10))
                arrived.append(time.monotonic())
                if event["type"] == "response.completed":
                    break
        delays = [got - sent for got, (sent, _) in zip(arrived, mock.sent_at)]
        assert len(delays) == len(mock.sent_at)
        assert max(delays) < 0.05, delays  # 200 ms apart upstream; each one here within a few ms
    finally:
        proxy.stop()
        mock.close()


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def test_a_client_that_does_not_read_holds_upstream_back_not_memory(ws_mock, ws_proxy):
    chunk = "y" * (1 << 20)

    async def script(request, ws):
        for i in range(200):
            await ws.send(json.dumps({"type": "response.output_text.delta", "delta": chunk, "n": i}))
        await ws.send(json.dumps({"type": "response.completed", "response": {"id": "r", "model": "gpt-5.6-sol"}}))
    ws_mock.script = script
    before = rss_kb(ws_proxy.process.pid)
    with dial(ws_proxy, compression=None, max_queue=1) as ws:
        ws.send(create())
        time.sleep(3)  # 200 MB on offer; the client reads none of it
        held = rss_kb(ws_proxy.process.pid) - before
        got = [json.loads(ws.recv(timeout=10)) for _ in range(201)]
    assert held < 64 << 10, f"ccglass grew by {held} KB while the client did not read"
    assert [e.get("n") for e in got[:200]] == list(range(200)) and got[-1]["type"] == "response.completed"
