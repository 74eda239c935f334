"""The real Claude Code CLI in auto mode (`--permission-mode auto`) through `ccglass serve`: its requests
ask the server to review each proposed tool call (`safeguards`), the mock answers with a verdict per call
(`safeguard_results` on the final `message_delta`), and Claude Code runs the call that passed and refuses
the flagged one. ccglass must carry both sides untouched and show each verdict."""
import json
import os
import subprocess
import time
import urllib.request

from conftest import binary
from mock_upstream import anthropic_stream_events, anthropic_usage, default_reply, stream_reply
from test_wrappers import claude_binary, claude_env  # noqa: F401 (claude_env is a fixture)

PUSH = {"id": "toolu_push", "name": "Bash", "input": {"command": "git push --force origin main", "description": "Force-push"}}
ECHO = {"id": "toolu_echo", "name": "Bash", "input": {"command": "echo reviewed-and-run", "description": "Echo"}}
VERDICTS = [{"type": "dangerous_tool_use", "status": {"type": "available", "tool_uses": {
    "toolu_push": {"type": "evaluated", "outcome": "flagged", "explanation": "Force-pushes over main",
                   "cited_rule": {"type": "soft_deny", "path": "auto_mode.soft_deny[0]"}},
    "toolu_echo": {"type": "evaluated", "outcome": "not_flagged"}}}}]


def two_calls_reply(events_sent):
    """The first turn proposes both calls, with their verdicts; later turns just finish."""
    state = {"turn": 0}

    def reply(record):
        body = json.loads(record.decoded() or b"{}")
        if "/messages" not in record.path or "count_tokens" in record.path or not body.get("stream"):
            return default_reply(record.path, record.body)
        state["turn"] += 1
        usage = anthropic_usage(input_tokens=800, output_tokens=30)
        if state["turn"] > 1:
            return stream_reply(anthropic_stream_events(model=body["model"], text="Pushed nothing.", start_usage=usage, final_usage=usage))
        events = anthropic_stream_events(model=body["model"], text="Running both.", tool_use=ECHO, start_usage=usage, final_usage=usage,
                                         safeguard_results=VERDICTS)
        # A second tool_use block before message_delta: both calls in one answer.
        delta_at = next(i for i, (name, _) in enumerate(events) if name == "message_delta")
        args = json.dumps(PUSH["input"])
        events[delta_at:delta_at] = [
            ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": PUSH["id"], "name": "Bash", "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": args}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 2})]
        response = stream_reply(events)
        events_sent.append(response)
        return response
    return reply


def test_auto_modes_verdicts_reach_claude_code_and_each_flagged_call_is_shown(claude_env, proxy, mock):
    env, tmp = claude_env
    env = dict(env, ANTHROPIC_BASE_URL=f"{proxy.url}/anthropic")
    sent = []
    mock.enqueue(*[two_calls_reply(sent)] * 20)
    result = subprocess.run([claude_binary(), "--permission-mode", "auto", "-p", "push my work", "--session-id",
                             "5b0c8a8e-4f1e-4c55-9d0e-7a3c1f2e9b10"], env=env, capture_output=True, text=True, timeout=180, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Pushed nothing."
    turns = [r for r in mock.received if r.method == "POST" and "/messages" in r.path and b'"stream":true' in r.decoded()]
    first, second = json.loads(turns[0].decoded()), json.loads(turns[1].decoded())
    # Upstream got the request's review ask and its beta, as Claude Code sent them.
    assert first["safeguards"][0]["type"] == "dangerous_tool_use" and first["safeguards"][0]["classifier_context"]["permission_mode"] == "auto"
    assert "dangerous-tool-use-2026-09-03" in turns[0].header("anthropic-beta")
    # Claude Code read the verdicts through ccglass: it ran the call that passed and refused the flagged one.
    results = {b["tool_use_id"]: b for m in second["messages"] for b in (m["content"] if isinstance(m["content"], list) else []) if b.get("type") == "tool_result"}
    assert "reviewed-and-run" in json.dumps(results["toolu_echo"]["content"]) and not results["toolu_echo"].get("is_error")
    assert results["toolu_push"]["is_error"] and "auto mode classifier" in json.dumps(results["toolu_push"]["content"])
    assert "Force-pushes over main" in json.dumps(results["toolu_push"]["content"])
    assert second["safeguards"][0]["classifier_context"]["refused_calls"] == ["toolu_push"]

    reviewed = proxy.wait_exchange(lambda e: any(c.get("review") for c in e["response"]["toolCalls"]))[0]
    assert reviewed["request"]["reviewMode"] == "auto"
    verdicts = {c["id"]: c["review"] for c in reviewed["response"]["toolCalls"]}
    assert verdicts == {"toolu_push": {"verdict": "flagged", "detail": "Force-pushes over main", "rule": "soft_deny auto_mode.soft_deny[0]"},
                        "toolu_echo": {"verdict": "not_flagged"}}
    # The body ccglass kept (and the dashboard shows) is the bytes upstream sent, verdicts included.
    assert proxy.exchange(reviewed["id"])["responseText"].encode() == b"".join(piece for _, piece in sent[0].chunks)
    proxy.wait_stored(count=len(turns))
    home = ["--data-dir", str(proxy.home)]
    rows = json.loads(subprocess.run([binary(), "requests", "--json", *home], capture_output=True, text=True).stdout)
    flagged = [r for r in rows if r["flaggedCalls"]]
    assert [r["id"] for r in flagged] == [reviewed["id"]] and flagged[0]["flaggedCalls"] == 1 and flagged[0]["reviewMode"] == "auto"
    table = subprocess.run([binary(), "requests", *home], capture_output=True, text=True).stdout
    assert "⚑ 1 flagged" in table and "did not run them" in table
    markdown = subprocess.run([binary(), "export", reviewed["id"], "--format", "md", *home], capture_output=True, text=True).stdout
    assert "`toolu_push`" in markdown and "auto mode: flagged, not run: Force-pushes over main, rule soft_deny auto_mode.soft_deny[0]" in markdown
    echo = next(line for line in markdown.splitlines() if "`toolu_echo`" in line)
    assert "echo reviewed-and-run" in echo and echo.endswith("— auto mode: not flagged")

    # MCP: the agent asking about its own session hears which call was blocked, and how many.
    from test_claude_agents import mcp_call
    mcp_env = dict(os.environ, CCGLASS_HOME=str(proxy.home))
    sessions = mcp_call(mcp_env, "list_sessions")
    assert "5b0c8a8e-4f1e-4c55-9d0e-7a3c1f2e9b10" in sessions and "1 tool call flagged by auto mode" in sessions
    recent = mcp_call(mcp_env, "recent_requests", {"session": "5b0c8a8e-4f1e-4c55-9d0e-7a3c1f2e9b10"})
    assert "(1 flagged by auto mode's review and not run)" in recent
    request = mcp_call(mcp_env, "request_detail", {"id": reviewed["id"]})
    assert "tool call Bash (toolu_push)" in request and "[auto mode: flagged, not run: Force-pushes over main" in request

    with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
        metrics = r.read().decode()
    assert 'ccglass_tool_reviews_total{provider="anthropic",verdict="flagged"} 1' in metrics
    assert 'ccglass_tool_reviews_total{provider="anthropic",verdict="not_flagged"} 1' in metrics
    from test_exporters import attrs, read_spans
    deadline = time.time() + 10
    while True:
        tools = {attrs(s)["gen_ai.tool.call.id"]: attrs(s) for s in read_spans(proxy.home) if s.name == "execute_tool Bash"}
        if len(tools) == 2 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert tools["toolu_push"]["ccglass.tool.review.verdict"] == "flagged"
    assert tools["toolu_echo"]["ccglass.tool.review.verdict"] == "not_flagged"
