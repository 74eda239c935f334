"""Why the cache missed and where the tokens go, through every surface: the CLI, the MCP server and
the dashboard, over real Claude Code requests sent through the proxy."""
import asyncio
import copy
import json
import os
import subprocess

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import rawhttp
from conftest import binary, load_fixture
from mock_upstream import anthropic_stream_events, anthropic_usage, stream_reply
from test_dashboard import browser, click, wait  # noqa: F401 (fixture)

SESSION = "7c1d2e3f-4a5b-4c6d-8e7f-901234567890"


def send(proxy, mock, body, read, write, model="claude-opus-5-5"):
    fixture = load_fixture("messages-tool-result-turn.json")
    headers = [(k, SESSION if k == "X-Claude-Code-Session-Id" else v) for k, v in fixture["headers"]]
    body = dict(body, model=model)
    usage = anthropic_usage(input_tokens=3, output_tokens=1, cache_read=read, cache_5m=write)
    mock.enqueue(stream_reply(anthropic_stream_events(model=model, start_usage=usage, final_usage=dict(usage, output_tokens=120))))
    status, *_ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages?beta=true", headers, json.dumps(body).encode())
    assert status == 200


def grow(body, turn):
    body = copy.deepcopy(body)
    body["messages"] += [{"role": "assistant", "content": [{"type": "tool_use", "id": f"toolu_{turn}", "name": "Bash", "input": {"command": f"step {turn}"}}]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{turn}", "content": f"output {turn}\n" * 30}]}]
    return body


def session_traffic(proxy, mock):
    body = load_fixture("messages-tool-result-turn.json")["body"]
    send(proxy, mock, body, read=0, write=20_000)                   # cold
    body = grow(body, 1)
    send(proxy, mock, body, read=20_000, write=2_000)               # hit
    body = grow(body, 2)
    body["system"][2]["text"] += "\nA new instruction."             # the big system block edited
    send(proxy, mock, body, read=0, write=24_000)                   # miss: prefix changed
    body = grow(body, 3)
    send(proxy, mock, body, read=0, write=26_000, model="claude-sonnet-4-5")  # miss: model switch
    exchanges = proxy.wait_exchange(count=4)
    proxy.wait_stored(4)  # the reports below read the history
    return exchanges


def cli(proxy, *args):
    result = subprocess.run([binary(), *args, "--data-dir", str(proxy.home)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_cache_report_names_causes_and_dollars(proxy, mock):
    session_traffic(proxy, mock)
    report = json.loads(cli(proxy, "cache", SESSION, "--json"))
    assert [e["verdict"] for e in report["events"]] == ["cold", "hit", "miss", "miss"]
    third, fourth = report["events"][2], report["events"][3]
    assert third["cause"]["kind"] == "prefix_changed" and third["cause"]["block"] == "system block 3"
    assert third["lostTokens"] == 22_000
    assert third["lostUSD"] == pytest.approx(22_000 * (5.00 - 0.20) / 1e6, abs=1e-9)   # Opus 5.5 write vs read
    assert fourth["cause"]["kind"] == "model_changed"
    assert fourth["lostUSD"] == pytest.approx(24_000 * (3.75 - 0.30) / 1e6, abs=1e-9)  # Sonnet 4.5
    assert report["lostUSD"] == pytest.approx(third["lostUSD"] + fourth["lostUSD"], abs=1e-12)
    text = cli(proxy, "cache", SESSION)
    assert "prefix_changed" in text and "system block 3" in text and "model changed from claude-opus-5-5 to claude-sonnet-4-5" in text
    assert "cache efficiency" in text


def test_context_parts_sum_to_reported_input_for_every_exchange(proxy, mock):
    exchanges = session_traffic(proxy, mock)
    for exchange in exchanges:
        breakdown = json.loads(cli(proxy, "context", exchange["id"], "--json"))
        assert sum(p["tokens"] for p in breakdown["parts"]) == exchange["response"]["usage"]["inputTokens"]
        assert not breakdown["estimated"]
    newest = json.loads(cli(proxy, "context", exchanges[0]["id"], "--json"))
    kinds = {(p["kind"], p.get("tool")) for p in newest["parts"]}
    assert ("tool_result", "Bash") in kinds and ("tool_schema", "Bash") in kinds and ("system", None) in kinds
    assert "tool_result" in cli(proxy, "context", exchanges[0]["id"][-12:])


def test_mcp_cache_report_and_context_breakdown(proxy, mock):
    exchanges = session_traffic(proxy, mock)

    async def call():
        params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(proxy.home)], env=dict(os.environ, CCGLASS_SESSION=SESSION))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = {t.name for t in (await session.list_tools()).tools}
                cache = await session.call_tool("cache_report", {})
                context = await session.call_tool("context_breakdown", {"id": exchanges[0]["id"]})
                return names, cache, context

    names, cache, context = asyncio.run(call())
    assert {"cache_report", "context_breakdown"} <= names
    text = cache.content[0].text
    assert not cache.is_error and "prefix_changed at system block 3" in text and "model_changed" in text
    assert "lost to misses: 46.0k tokens" in text
    assert not context.is_error and "tool_result Bash" in context.content[0].text


def test_dashboard_shows_the_miss_and_the_context(proxy, mock, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    exchanges = session_traffic(proxy, mock)
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 4)
    wait(browser, lambda d: any(o.get_attribute("value") == SESSION for o in d.find_elements(By.CSS_SELECTOR, "#session option")))
    Select(browser.find_element(By.ID, "session")).select_by_value(SESSION)
    panel = wait(browser, lambda d: "lost" in d.find_element(By.ID, "cache-panel").text and d.find_element(By.ID, "cache-panel").text)
    assert "2 misses" in panel and "system block 3" in panel
    # the third request (second newest row): its overview names the miss
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 4)
    click(browser, f'#rows tr[data-id="{exchanges[1]["id"]}"]')
    verdict = wait(browser, lambda d: "cache miss" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body").text)
    assert "system block 3 changed" in verdict and "22.0k tokens not read from cache" in verdict
    click(browser, '#detail-tabs button[data-pane="context"]')
    context = wait(browser, lambda d: "tool result" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body").text)
    assert "Bash" in context and "system prompt" in context
    from test_dashboard import console_errors, shot
    shot(browser, "cache-and-context")
    assert console_errors(browser) == []
