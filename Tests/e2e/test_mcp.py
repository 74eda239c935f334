"""`ccglass mcp` driven by the official MCP Python client, over a history filled by real SDK traffic."""
import asyncio
import json
import os

import anthropic
import openai
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import binary
from mock_upstream import anthropic_stream_events, anthropic_usage, chat_usage, json_reply, chat_completion, stream_reply

SESSION = "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc"


def fill(proxy, mock):
    a = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key-anthropic", max_retries=0,
                            default_headers={"X-Claude-Code-Session-Id": SESSION})
    tool = {"id": "toolu_m1", "name": "Grep", "input": {"pattern": "flux"}}
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", text="Searching for it.", tool_use=tool,
                                                      start_usage=anthropic_usage(input_tokens=900, output_tokens=1, cache_read=12000),
                                                      final_usage=anthropic_usage(input_tokens=900, output_tokens=60, cache_read=12000))))
    with a.messages.stream(model="claude-sonnet-4-5", max_tokens=100, system=[{"type": "text", "text": "You are a careful agent.", "cache_control": {"type": "ephemeral"}}],
                           tools=[{"name": "Grep", "description": "search", "input_schema": {"type": "object"}}],
                           messages=[{"role": "user", "content": "Where is the flux capacitor configured?"}]) as s:
        s.get_final_message()
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", text="In config/delorean.yml.")))
    with a.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=[
            {"role": "user", "content": "Where is the flux capacitor configured?"},
            {"role": "assistant", "content": [{"type": "tool_use", **tool}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_m1", "content": "config/delorean.yml:3: flux: on"}]}]) as s:
        s.get_final_message()
    mock.enqueue(json_reply(chat_completion(model="gpt-4.1-mini", text="Other session.", usage=chat_usage(prompt=50, completion=5))))
    openai.OpenAI(base_url=f"{proxy.url}/openai/v1", api_key="test-key-openai", max_retries=0).chat.completions.create(
        model="gpt-4.1-mini", messages=[{"role": "user", "content": "an unrelated openai question"}])
    proxy.wait_exchange(count=3)
    # the history writer is asynchronous: wait until the third row is on disk
    import subprocess
    import time
    deadline = time.time() + 10
    while True:
        rows = json.loads(subprocess.run([binary(), "requests", "--json", "--data-dir", str(proxy.home)], capture_output=True).stdout or "[]")
        if len([r for r in rows if r["phase"] == "finished"]) >= 3 or time.time() > deadline:
            return rows
        time.sleep(0.1)


async def call_all(home, env=None):
    params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(home)], env=dict(os.environ, **(env or {})))
    results = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            results["tools"] = {t.name: t for t in (await session.list_tools()).tools}
            for name, args in [("recent_requests", {}), ("recent_requests", {"all_sessions": True, "limit": 10}),
                               ("list_sessions", {}), ("usage_summary", {"by": "model"}), ("search_requests", {"query": "DELOREAN"}), ("search_requests", {"query": "searching for IT"}),
                               ("request_detail", {"id": "does-not-exist"}), ("usage_summary", {"by": "planet"}),
                               ("search_requests", {"query": "nothing like this anywhere"})]:
                result = await session.call_tool(name, args)
                results[(name, json.dumps(args, sort_keys=True))] = (result.is_error, result.content[0].text)
            rows = results.get("_rows")
    return results


def test_tools_are_listed_with_schemas(proxy):
    results = asyncio.run(call_all(proxy.home))
    tools = results["tools"]
    assert set(tools) == {"recent_requests", "request_detail", "list_sessions", "usage_summary", "search_requests",
                          "cache_report", "context_breakdown", "limits", "agent_breakdown"}
    assert tools["request_detail"].input_schema["required"] == ["id"]
    assert tools["search_requests"].input_schema["properties"]["query"]["type"] == "string"
    assert "model" in tools["usage_summary"].input_schema["properties"]["by"]["enum"]
    for tool in tools.values():
        assert len(tool.description) > 40


def test_every_tool_answers_from_real_traffic(proxy, mock):
    rows = fill(proxy, mock)
    results = asyncio.run(call_all(proxy.home, env={"CCGLASS_SESSION": SESSION}))

    error, text = results[("recent_requests", "{}")]
    assert not error
    assert f"session {SESSION}" in text
    assert "Where is the flux capacitor configured?" in text and "tool calls: Grep" in text
    assert "unrelated openai question" not in text  # another session
    assert "cache read 12.0k" in text and "$" in text

    error, text = results[("recent_requests", json.dumps({"all_sessions": True, "limit": 10}, sort_keys=True))]
    assert not error and "unrelated openai question" in text and text.count(" · id ") == 3

    error, text = results[("list_sessions", "{}")]
    assert not error and SESSION in text and "(current)" in text and "2 requests" in text

    error, text = results[("usage_summary", json.dumps({"by": "model"}, sort_keys=True))]
    assert not error and "claude-sonnet-4-5-20250929: 2 requests" in text and "gpt-4.1-mini: 1 requests" in text
    assert "TOTAL: 3 requests" in text

    # found in the second request's tool result and answer (request parts and response text are both searched)
    error, text = results[("search_requests", json.dumps({"query": "DELOREAN"}, sort_keys=True))]
    assert not error and text.count(" · id ") == 1 and "out 5" in text
    error, text = results[("search_requests", json.dumps({"query": "searching for IT"}, sort_keys=True))]
    assert not error and text.count(" · id ") == 1 and "tool calls: Grep" in text

    error, text = results[("request_detail", json.dumps({"id": "does-not-exist"}, sort_keys=True))]
    assert error and "No request with id does-not-exist" in text
    error, text = results[("usage_summary", json.dumps({"by": "planet"}, sort_keys=True))]
    assert error and "`by` must be one of" in text
    error, text = results[("search_requests", json.dumps({"query": "nothing like this anywhere"}, sort_keys=True))]
    assert error and "No request or answer contains" in text


def test_request_detail_shows_what_was_sent_and_received(proxy, mock):
    rows = fill(proxy, mock)
    first = [r for r in rows if r.get("toolNames") == ["Grep"]][0]

    async def detail():
        params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(proxy.home)], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("request_detail", {"id": first["id"][-12:]})

    result = asyncio.run(detail())
    text = result.content[0].text
    assert not result.is_error
    assert "system prompt (1 block)" in text and "[cache_control ephemeral]" in text and "You are a careful agent." in text
    assert "tools (1): Grep" in text
    assert '[user] "Where is the flux capacitor configured?"' in text
    assert 'text: "Searching for it."' in text and "tool call Grep (toolu_m1)" in text
    assert "cache read 12000" in text and "cost: $" in text and "stop reason: tool_use" in text


def test_empty_history_is_a_readable_tool_error(tmp_path):
    async def call():
        params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(tmp_path / "empty")], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("recent_requests", {})

    result = asyncio.run(call())
    assert result.is_error and "No requests recorded yet" in result.content[0].text
