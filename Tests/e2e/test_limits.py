"""Rate-limit windows as the providers report them, through the official SDKs and `ccglass serve`:
`ccglass limits`, and `/metrics`. The mock sends each provider's real header families."""
import asyncio
import json
import os
import subprocess
import time
import urllib.request
from datetime import datetime

import anthropic
import openai
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import binary, fake_key
from mock_upstream import (anthropic_key_headers, anthropic_message, anthropic_stream_events, chat_completion, claude_plan_headers,
                           json_reply, openai_ratelimit_headers, stream_reply)


def limits(proxy):
    result = subprocess.run([binary(), "limits", "--json", "--data-dir", str(proxy.home)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def mcp_limits(home):
    """The `limits` tool through `ccglass mcp`, as an agent calls it."""
    async def call():
        params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(home)], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("limits", {})
                return result.is_error, result.content[0].text
    return asyncio.run(call())


def metrics(proxy):
    with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
        return r.read().decode()


def sample(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    lines = [l for l in text.splitlines() if l.startswith(name + "{") and all(f'{k}="{v}"' in l for k, v in labels.items())]
    assert len(lines) == 1, (name, want, [l for l in text.splitlines() if l.startswith(name)])
    line = lines[0]
    return float(line.rsplit(" ", 1)[1])


def epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def settle(proxy, count):
    """`ccglass limits` reads the history: wait until the writer's batch is on disk."""
    proxy.wait_exchange(count=count)
    proxy.wait_stored(count)


def test_a_claude_plans_windows_show_their_use_reset_and_refusals(proxy, mock):
    token = "sk-ant-oat01-" + fake_key("plan")  # Claude Code signed in to a plan sends its OAuth token as a bearer
    now = time.time()
    five_reset, seven_reset = now + 2 * 3600, now + 3 * 86400
    mock.enqueue(stream_reply(anthropic_stream_events(), headers=claude_plan_headers(0.62, 0.97, five_reset, seven_reset)),
                 stream_reply(anthropic_stream_events(), headers=claude_plan_headers(0.83, 1.04, five_reset, seven_reset, status="allowed_warning", claim="seven_day")),
                 json_reply({"type": "error", "error": {"type": "rate_limit_error", "message": "This request would exceed your account's rate limit."}},
                            status=429, headers=claude_plan_headers(1.0, 1.04, five_reset, seven_reset, status="rejected", only_binding=True)
                            + [("retry-after", "3600")]))
    sdk = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", auth_token=token, max_retries=0)
    for _ in range(2):
        with sdk.messages.with_streaming_response.create(model="claude-sonnet-4-5", max_tokens=50, stream=True,
                                                         messages=[{"role": "user", "content": "hi"}]) as raw:
            assert "message_stop" in "".join(raw.iter_lines())
    # The SDK sees the headers as Anthropic sent them.
    assert raw.headers["anthropic-ratelimit-unified-7d-utilization"] == "1.04"
    with pytest.raises(anthropic.RateLimitError):
        sdk.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "hi"}])
    settle(proxy, 3)
    report = limits(proxy)
    windows = {w["reading"]["name"]: w for w in report["windows"]}
    assert set(windows) == {"five_hour", "seven_day"}, windows
    five, seven = windows["five_hour"], windows["seven_day"]
    # The refusal carried only the binding 5-hour window: it is used up and refused once. The weekly
    # window keeps its reading from the response before, past 100 % as plans allow, where its own
    # status said `rejected` (counted) while the request went through on the plan's overage.
    assert five["reading"]["used"] == 1.0 and five["rejections"] == 1 and five["binding"] and five["projection"]["kind"] == "exhausted"
    assert seven["reading"]["used"] == 1.04 and seven["rejections"] == 1 and seven["reading"]["status"] == "rejected" and not seven["binding"]
    assert five["account"] == "…" + token[-4:] and token not in json.dumps(report)
    assert abs(epoch(five["reading"]["resetsAt"]) - int(five_reset)) < 1
    text = subprocess.run([binary(), "limits", "--data-dir", str(proxy.home)], capture_output=True, text=True, timeout=60).stdout
    assert "five_hour *" in text and "100%" in text and "104%" in text and "used up" in text
    failed, said = mcp_limits(proxy.home)
    assert not failed and "five_hour (binds now): 100% used" in said and "refused 1 request this week" in said, said
    assert "seven_day: 104% used" in said and token not in said
    m = metrics(proxy)
    assert sample(m, "ccglass_ratelimit_utilization_ratio", provider="anthropic", window="five_hour") == 1.0
    assert sample(m, "ccglass_ratelimit_utilization_ratio", provider="anthropic", window="seven_day") == 1.04
    assert sample(m, "ccglass_ratelimit_reset_timestamp_seconds", provider="anthropic", window="seven_day") == int(seven_reset)
    assert sample(m, "ccglass_ratelimit_rejections_total", provider="anthropic", window="five_hour") == 1
    assert sample(m, "ccglass_ratelimit_rejections_total", provider="anthropic", window="seven_day") == 1


def test_api_key_limits_are_counts_left(proxy, mock):
    mock.enqueue(json_reply(anthropic_message(), headers=anthropic_key_headers(input_tokens=(2_000_000, 1_500_000))),
                 json_reply(chat_completion(), headers=openai_ratelimit_headers(tokens=(30000, 12000), reset_tokens="1m30s")))
    anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key=fake_key("k"), max_retries=0).messages.create(
        model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "hi"}])
    sent = time.time()
    openai.OpenAI(base_url=f"{proxy.url}/openai/v1", api_key=fake_key("o"), max_retries=0).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    settle(proxy, 2)
    windows = {(w["provider"], w["reading"]["name"]): w for w in limits(proxy)["windows"]}
    anthropic_input = windows[("anthropic", "input_tokens")]
    assert anthropic_input["reading"]["used"] == 0.25 and anthropic_input["reading"]["remaining"] == 1_500_000 and anthropic_input["reading"]["limit"] == 2_000_000
    tokens = windows[("openai", "tokens")]
    assert tokens["reading"]["used"] == pytest.approx(0.6) and abs(epoch(tokens["reading"]["resetsAt"]) - (sent + 90)) < 5
    assert sample(metrics(proxy), "ccglass_ratelimit_utilization_ratio", provider="openai", window="tokens") == pytest.approx(0.6)


def test_no_readings_say_so(proxy):
    result = subprocess.run([binary(), "limits", "--data-dir", str(proxy.home)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "No rate-limit readings yet" in result.stdout
    failed, said = mcp_limits(proxy.home)
    assert failed and "No rate-limit readings yet" in said


def test_a_crossed_daily_budget_shows_everywhere_and_changes_no_byte(mock, tmp_path):
    from conftest import Proxy
    from rawhttp import request
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps({"budgets": {"daily": 0.05, "weekly": 10, "session": 1}}))
    proxy = Proxy(home, {"anthropic": mock.url})
    try:
        # Each answer costs 10 000 × $3/M + 1 000 × $15/M = $0.045 on Sonnet 4.5: the second passes $0.05.
        reply = anthropic_message(usage={"input_tokens": 10000, "output_tokens": 1000})
        body = b'{"model":"claude-sonnet-4-5",  "max_tokens":50,\n "messages":[{"role":"user","content":"hi \\u00e9"}]}'
        headers = [("content-type", "application/json"), ("x-api-key", fake_key("budget")), ("anthropic-version", "2023-06-01")]
        for turn in range(2):
            mock.enqueue(json_reply(reply))
            status, _, _, got, error = request(proxy.url, "POST", "/anthropic/v1/messages", headers, body)
            # Crossing the budget changes nothing on the wire: the same request went up, the same answer came back.
            assert status == 200 and error is None and got == json.dumps(reply).encode()
            assert mock.received[-1].body == body
            settle(proxy, turn + 1)
            if turn == 0:
                daily = {b["period"]: b for b in limits(proxy)["budgets"]}["daily"]
                assert daily["spentUSD"] == pytest.approx(0.045) and not daily["crossed"]
        budgets = {b["period"]: b for b in limits(proxy)["budgets"]}
        assert set(budgets) == {"daily", "weekly", "session"}
        daily, weekly, session = budgets["daily"], budgets["weekly"], budgets["session"]
        assert daily["spentUSD"] == pytest.approx(0.09) and daily["used"] == pytest.approx(1.8) and daily["crossed"]
        assert daily["limitUSD"] == 0.05 and epoch(daily["resetsAt"]) > time.time()
        assert weekly["spentUSD"] == pytest.approx(0.09) and not weekly["crossed"]
        assert session["spentUSD"] == pytest.approx(0.09) and session["session"]
        text = subprocess.run([binary(), "limits", "--data-dir", str(home)], capture_output=True, text=True, timeout=60).stdout
        assert "daily" in text and "$0.090000" in text and "180% CROSSED" in text, text
        # A flag takes the file's place.
        flagged = subprocess.run([binary(), "limits", "--json", "--budget-daily", "1", "--data-dir", str(home)],
                                 capture_output=True, text=True, timeout=60)
        assert {b["period"]: b for b in json.loads(flagged.stdout)["budgets"]}["daily"]["crossed"] is False
        failed, said = mcp_limits(home)
        assert not failed and "daily budget: $0.090000 of $0.050000 (180%) — CROSSED" in said, said
        m = metrics(proxy)
        assert sample(m, "ccglass_budget_used_ratio", budget="daily") == pytest.approx(1.8)
        assert sample(m, "ccglass_budget_spent_usd", budget="weekly") == pytest.approx(0.09)
        assert sample(m, "ccglass_budget_limit_usd", budget="session") == 1
        answer = proxy.get_json("/api/limits")
        assert {b["period"] for b in answer["budgets"] if b["crossed"]} == {"daily"}
    finally:
        proxy.stop()


def test_a_malformed_budget_config_is_one_clear_line(mock, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text('{"budgets": {"daily": "five dollars"}}')
    result = subprocess.run([binary(), "serve", "--port", "0", "--data-dir", str(home)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "config.json" in result.stderr and "budgets" in result.stderr, result.stderr
    (home / "config.json").write_text('{"budgets": {"monthly": 5}}')
    result = subprocess.run([binary(), "limits", "--data-dir", str(home)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and 'unknown budget "monthly"' in result.stderr, result.stderr
