"""The history: every exchange stored durably, bodies rebuilt byte for byte, reports that add up, no
secret on disk, and a store that survives crashes, concurrent writers and a broken disk."""
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import anthropic
import httpx2 as httpx
import openai
import pytest

import rawhttp
from conftest import Proxy, binary, fake_key, load_fixture, tmpfs
from mock_upstream import (anthropic_stream_events, anthropic_usage, chat_stream_chunks, chat_usage, json_reply,
                           stream_reply)

ANTHROPIC_KEY = fake_key("history-anthropic")
OPENAI_KEY = fake_key("history-openai")
FIXTURE_KEY = fake_key("history-fixture")


def cli(home, *args, check=True):
    result = subprocess.run([binary(), *args, "--data-dir", str(home)], capture_output=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"ccglass {' '.join(args)} failed: {result.stderr.decode()}")
    return result


def cli_json(home, *args):
    return json.loads(cli(home, *args, "--json").stdout)


def wait_rows(home, count, timeout=10):
    deadline = time.time() + timeout
    while True:
        rows = cli_json(home, "requests", "--limit", "1000") if (Path(home) / "history.sqlite").exists() else []
        finished = [r for r in rows if r["phase"] == "finished"]
        if len(finished) >= count:
            return finished
        if time.time() > deadline:
            raise AssertionError(f"{len(finished)} of {count} exchanges stored")
        time.sleep(0.1)


def sdk_traffic(proxy, mock):
    """Streams through both SDKs; returns the bodies they sent and the usage the mock answered with."""
    sent = []
    hook = {"request": [lambda r: sent.append(r.read())]}
    a = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key=ANTHROPIC_KEY, max_retries=0,
                            http_client=httpx.Client(event_hooks=hook))
    o = openai.OpenAI(base_url=f"{proxy.url}/openai/v1", api_key=OPENAI_KEY, max_retries=0,
                      http_client=httpx.Client(event_hooks=hook))
    usages = []
    for i in range(3):
        start = anthropic_usage(input_tokens=100 + i, output_tokens=1, cache_read=1000 * i, cache_5m=50, cache_1h=7)
        final = dict(start, output_tokens=20 + i)
        mock.enqueue(stream_reply(anthropic_stream_events(model="claude-haiku-4-5-20251001", start_usage=start, final_usage=final)))
        with a.messages.stream(model="claude-haiku-4-5", max_tokens=64,
                               messages=[{"role": "user", "content": f"prompt number {i} ünïcödé"}]) as s:
            s.get_final_message()
        usages.append({"input": 100 + i + 1000 * i + 57, "output": 20 + i, "cache_read": 1000 * i})
    mock.enqueue(stream_reply(chat_stream_chunks(model="gpt-4.1-mini", usage=chat_usage(prompt=400, completion=30, cached=128))))
    list(o.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "openai prompt"}],
                                   stream=True, stream_options={"include_usage": True}))
    usages.append({"input": 400, "output": 30, "cache_read": 128})
    return sent, usages


def test_sdk_bodies_round_trip_and_usage_totals_match(proxy, mock):
    sent, usages = sdk_traffic(proxy, mock)
    rows = wait_rows(proxy.home, 4)
    for row in rows:
        exported = json.loads(cli(proxy.home, "export", row["id"], "--format", "json").stdout)
        assert exported["requestBody"].encode() in sent
    assert sorted(json.loads(cli(proxy.home, "export", r["id"], "--format", "json").stdout)["requestBody"].encode()
                  for r in rows) == sorted(sent)
    report = cli_json(proxy.home, "usage", "--by", "model")
    total = report["total"]
    assert total["requests"] == 4
    assert total["inputTokens"] == sum(u["input"] for u in usages)
    assert total["outputTokens"] == sum(u["output"] for u in usages)
    assert total["cacheReadTokens"] == sum(u["cache_read"] for u in usages)
    assert total["cacheWrite5mTokens"] == 3 * 50 and total["cacheWrite1hTokens"] == 3 * 7
    assert {r["group"] for r in report["rows"]} == {"claude-haiku-4-5-20251001", "gpt-4.1-mini"}
    # Haiku 4.5: $1 in, $1.25 5m write, $2 1h write, $0.10 read, $5 out; gpt-4.1-mini: $0.40 in, $0.10 cached, $1.60 out
    haiku = sum((u["input"] - u["cache_read"] - 57) * 1 + 50 * 1.25 + 7 * 2 + u["cache_read"] * 0.1 + u["output"] * 5
                for u in usages[:3]) / 1e6
    mini = ((400 - 128) * 0.40 + 128 * 0.10 + 30 * 1.60) / 1e6
    assert total["costUSD"] == pytest.approx(haiku + mini, abs=1e-9)


def test_no_api_key_anywhere_in_the_data_directory(proxy, mock):
    sdk_traffic(proxy, mock)
    fixture = load_fixture("messages-first-turn.json")
    headers = [(k, FIXTURE_KEY if k == "x-api-key" else v) for k, v in fixture["headers"]]
    rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages?beta=true", headers,
                    json.dumps(fixture["body"]).encode())
    wait_rows(proxy.home, 5)
    proxy.stop()
    secrets = [ANTHROPIC_KEY, OPENAI_KEY, FIXTURE_KEY]
    for path in Path(proxy.home).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"{secret} found in {path}"
                assert secret[8:-4].encode() not in data, f"part of {secret} found in {path}"


def test_exports_in_every_format(proxy, mock):
    sdk_traffic(proxy, mock)
    row = wait_rows(proxy.home, 4)[-1]  # the oldest: the first anthropic stream
    raw = cli(proxy.home, "export", row["id"][-12:], "--format", "raw").stdout
    assert raw.startswith(f"POST {mock.url}/v1/messages HTTP/1.1\r\n".encode())
    assert b"event: message_stop" in raw
    har = json.loads(cli(proxy.home, "export", row["id"], "--format", "har").stdout)
    entry = har["log"]["entries"][0]
    assert har["log"]["version"] == "1.2"
    assert entry["request"]["url"] == f"{mock.url}/v1/messages"
    assert "prompt number 0" in entry["request"]["postData"]["text"]
    assert entry["response"]["status"] == 200
    assert "message_start" in entry["response"]["content"]["text"]
    md = cli(proxy.home, "export", row["id"], "--format", "md").stdout.decode()
    assert "claude-haiku-4-5-20251001" in md and "prompt number 0" in md and "$0.0" in md
    listing = cli(proxy.home, "requests").stdout.decode()
    assert "prompt number 2" in listing and "openai prompt" in listing
    assert cli(proxy.home, "export", "nope", "--format", "raw", check=False).returncode != 0


def test_kill_9_mid_stream_keeps_completed_exchanges_and_marks_the_open_one(proxy, mock):
    sent, _ = sdk_traffic(proxy, mock)
    wait_rows(proxy.home, 4)
    events = anthropic_stream_events(text="y" * 10)
    mock.enqueue(stream_reply(events[:2] + [events[3]] * 200, gap=0.05))
    body = json.dumps({"model": "claude-haiku-4-5", "max_tokens": 5, "stream": True,
                       "messages": [{"role": "user", "content": "the one that dies"}]}).encode()
    threading.Thread(target=lambda: rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                                    [("Content-Type", "application/json")], body), daemon=True).start()
    deadline = time.time() + 5
    while not any(r["phase"] == "started" for r in cli_json(proxy.home, "requests")) and time.time() < deadline:
        time.sleep(0.05)
    proxy.process.send_signal(signal.SIGKILL)
    proxy.process.wait()
    rows = cli_json(proxy.home, "requests", "--limit", "100")
    assert len(rows) == 5
    killed = [r for r in rows if r["outcome"] == "incomplete"]
    assert len(killed) == 1
    for row in rows:
        if row["outcome"] == "incomplete":
            continue
        assert row["outcome"] == "ok" and row["usage"]["inputTokens"] > 0
        assert json.loads(cli(proxy.home, "export", row["id"], "--format", "json").stdout)["requestBody"].encode() in sent
    # a restarted ccglass keeps serving and recording on the same history
    again = Proxy(proxy.home, {"anthropic": mock.url})
    try:
        anthropic.Anthropic(base_url=f"{again.url}/anthropic", api_key="k", max_retries=0).messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "after restart"}])
        assert len(wait_rows(proxy.home, 6)) == 6
    finally:
        again.stop()


def test_two_processes_writing_at_once_lose_nothing(mock, tmp_path):
    home = tmp_path / "shared"
    first = Proxy(home, {"anthropic": mock.url})
    second = Proxy(home, {"anthropic": mock.url})
    errors = []

    def hammer(p, n):
        client = anthropic.Anthropic(base_url=f"{p.url}/anthropic", api_key="k", max_retries=0)
        for i in range(n):
            try:
                client.messages.create(model="claude-haiku-4-5", max_tokens=5,
                                       messages=[{"role": "user", "content": f"{p.port} {i}"}])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

    try:
        threads = [threading.Thread(target=hammer, args=(p, 40)) for p in (first, second) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        rows = wait_rows(home, 240)
        assert len({r["id"] for r in rows}) == 240
    finally:
        first.stop()
        second.stop()
    for p in (first, second):
        assert "locked" not in p.log_text() and "could not write" not in p.log_text()


def test_rm_and_prune_reclaim_space(proxy, mock):
    fixture = load_fixture("messages-tool-result-turn.json")
    for i in range(5):
        headers = [(k, f"session-{i % 2}" if k == "X-Claude-Code-Session-Id" else v) for k, v in fixture["headers"]]
        body = dict(fixture["body"], messages=fixture["body"]["messages"] + [{"role": "user", "content": f"turn {i}"}])
        rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages?beta=true", headers, json.dumps(body).encode())
    wait_rows(proxy.home, 5)
    sessions = {r["group"] for r in cli_json(proxy.home, "usage", "--by", "session")["rows"]}
    assert sessions == {"session-0", "session-1"}
    out = cli(proxy.home, "rm", "session-0").stdout.decode()
    assert out.startswith("Deleted 3 exchanges")
    assert {r["group"] for r in cli_json(proxy.home, "usage", "--by", "session")["rows"]} == {"session-1"}
    assert cli(proxy.home, "prune", "--older-than", "30d").stdout.decode().startswith("Deleted 0 exchanges")
    out = cli(proxy.home, "prune", "--older-than", "0m").stdout.decode()
    assert out.startswith("Deleted 2 exchanges")
    assert cli_json(proxy.home, "requests") == []


def test_read_only_data_dir_still_forwards_and_says_so_once(mock, tmp_path):
    with tmpfs(tmp_path / "ro", "ro,size=1m") as home:
        p = Proxy(home, {"anthropic": mock.url}, log_dir=tmp_path)
        try:
            client = anthropic.Anthropic(base_url=f"{p.url}/anthropic", api_key="k", max_retries=0)
            for _ in range(3):
                assert client.messages.create(model="claude-haiku-4-5", max_tokens=5,
                                              messages=[{"role": "user", "content": "hi"}]).content[0].text
        finally:
            p.stop()
        log = p.log_text()
        assert log.count("history disabled") == 1
        assert "Requests are still forwarded" in log


def test_corrupt_database_is_left_alone_and_forwarding_continues(mock, tmp_path):
    home = tmp_path / "corrupt"
    home.mkdir()
    junk = b"this is not a database" * 100
    (home / "history.sqlite").write_bytes(junk)
    p = Proxy(home, {"anthropic": mock.url})
    try:
        client = anthropic.Anthropic(base_url=f"{p.url}/anthropic", api_key="k", max_retries=0)
        assert client.messages.create(model="claude-haiku-4-5", max_tokens=5,
                                      messages=[{"role": "user", "content": "hi"}]).content[0].text
    finally:
        p.stop()
    assert "history disabled" in p.log_text()
    assert (home / "history.sqlite").read_bytes() == junk
