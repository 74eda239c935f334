"""`ccglass claude` and friends: mechanics with a stub agent, then the real Claude Code CLI against the
mock upstream, including the agent calling ccglass's MCP server about its own history."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import Proxy, binary, fake_key
from mock_upstream import anthropic_stream_events, claude_plan_headers, code_assist_sse_reply, default_reply, gemini_response, gemini_usage, json_reply, stream_reply

STUB = r'''#!/usr/bin/env python3
import json, os, signal, sys, time, urllib.request
report = {"args": sys.argv[1:], "env": {k: v for k, v in os.environ.items() if k.endswith("_BASE_URL") or k.startswith("CCGLASS")}}
if os.environ.get("STUB_REQUEST"):
    body = json.dumps({"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "stub says hi"}]}).encode()
    req = urllib.request.Request(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages", data=body, headers={"content-type": "application/json", "x-api-key": "stub-key-not-a-key"})
    report["answer"] = json.loads(urllib.request.urlopen(req).read())["content"][0]["text"]
print(json.dumps(report), flush=True)
if os.environ.get("STUB_WAIT"):
    signal.signal(signal.SIGINT, lambda *a: (print("got SIGINT", flush=True), sys.exit(130)))
    open(os.environ["STUB_WAIT"], "w").close()
    time.sleep(30)
sys.exit(int(os.environ.get("STUB_EXIT", "0")))
'''


@pytest.fixture
def stub_env(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex", "opencode", "myagent"):
        path = bin_dir / name
        path.write_text(STUB)
        path.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL")}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", HOME=str(home), CCGLASS_HOME=str(tmp_path / "ccglass"))
    return env, tmp_path


def wrapped(env, *args, timeout=60, cwd=None):
    return subprocess.run([binary(), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def report(result):
    return json.loads(result.stdout.splitlines()[0])


def test_env_and_arguments_pass_through_and_exit_code_propagates(stub_env):
    env, _ = stub_env
    result = wrapped(dict(env, STUB_EXIT="42"), "claude", "--no-mcp", "-p", "hello world", "--model", "opus", "--", "-x", "a b", "")
    assert result.returncode == 42
    got = report(result)
    base = got["env"]["ANTHROPIC_BASE_URL"]
    assert base.startswith("http://127.0.0.1:") and base.endswith("/anthropic")
    assert got["env"]["CCGLASS_RUN_ID"]
    assert got["args"][:2] == ["--settings", json.dumps({"env": {"ANTHROPIC_BASE_URL": base}}, separators=(",", ":"))]
    assert got["args"][2:] == ["-p", "hello world", "--model", "opus", "--", "-x", "a b", ""]
    assert "ccglass: watching claude → https://api.anthropic.com" in result.stderr


def test_mcp_config_registers_ccglass_for_the_run(stub_env):
    env, tmp = stub_env
    got = report(wrapped(env, "claude", "-p", "x"))
    config = json.loads(got["args"][got["args"].index("--mcp-config") + 1])
    server = config["mcpServers"]["ccglass"]
    assert Path(server["command"]).name == "ccglass" and server["args"][:1] == ["mcp"]
    assert server["env"]["CCGLASS_RUN_ID"] == got["env"]["CCGLASS_RUN_ID"]
    no = report(wrapped(env, "claude", "--no-mcp", "--no-settings-override", "-p", "x"))
    assert no["args"] == ["-p", "x"]


def test_settings_file_base_url_becomes_the_upstream_and_is_overridden(stub_env, mock):
    env, tmp = stub_env
    settings = Path(env["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": mock.url}}))
    result = wrapped(dict(env, STUB_REQUEST="1"), "claude", "-p", "x")
    assert result.returncode == 0, result.stderr
    got = report(result)
    assert got["answer"] == "Hello there!"  # went through ccglass to the upstream the settings file named
    [sent] = [r for r in mock.received if r.method == "POST"]
    assert json.loads(sent.body)["messages"][0]["content"] == "stub says hi"
    assert got["args"][1] == json.dumps({"env": {"ANTHROPIC_BASE_URL": got["env"]["ANTHROPIC_BASE_URL"]}}, separators=(",", ":"))
    assert f"watching claude → {mock.url} (from {settings})" in result.stderr
    assert "ccglass: 1 request · " in result.stderr  # the exit summary


def test_environment_base_url_is_detected_too(stub_env, mock):
    env, _ = stub_env
    result = wrapped(dict(env, STUB_REQUEST="1", ANTHROPIC_BASE_URL=mock.url), "claude", "--quiet", "-p", "x")
    assert report(result)["answer"] == "Hello there!" and result.stderr == ""


def test_sigint_is_forwarded_and_its_exit_code_returned(stub_env):
    env, tmp = stub_env
    ready = tmp / "ready"
    process = subprocess.Popen([binary(), "claude", "--no-mcp", "-p", "x"], env=dict(env, STUB_WAIT=str(ready)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not ready.exists():
        assert time.time() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert "got SIGINT" in out
    assert process.returncode == 130


def test_missing_agent_is_one_line_and_127(stub_env):
    env, _ = stub_env
    result = wrapped(dict(env, PATH="/usr/bin:/bin"), "claude", "-p", "x")
    assert result.returncode == 127
    assert result.stderr.strip().splitlines() == ["ccglass: claude not found on PATH; install Claude Code: npm install -g @anthropic-ai/claude-code"]


def test_other_presets_and_generic_run(stub_env):
    env, _ = stub_env
    codex = report(wrapped(env, "codex", "--quiet", "exec", "hi"))
    # Codex reads no variable: the base URL and the MCP server go in as `-c` pairs ahead of its arguments.
    assert codex["args"][-2:] == ["exec", "hi"]
    pairs = dict(a.split("=", 1) for a in codex["args"][1:-2:2])
    assert codex["args"][0:-2:2] == ["-c"] * len(pairs)
    assert pairs["openai_base_url"] == '"' + codex["env"]["OPENAI_BASE_URL"] + '"' and codex["env"]["OPENAI_BASE_URL"].endswith("/openai/v1")
    assert pairs["mcp_servers.ccglass.args"].startswith('["mcp", "--data-dir", ')
    assert "chatgpt_base_url" not in pairs  # signed in with an API key, the ChatGPT route is not used
    kimi = report(wrapped(env, "kimi", "--quiet", "--no-mcp", "-p", "hi"))
    assert kimi["env"]["ANTHROPIC_BASE_URL"].endswith("/moonshot/anthropic")
    deepseek = report(wrapped(env, "deepseek", "--quiet", "--no-mcp", "-p", "hi"))
    assert deepseek["env"]["ANTHROPIC_BASE_URL"].endswith("/deepseek/anthropic")
    opencode = report(wrapped(env, "opencode", "--quiet"))
    assert opencode["env"]["ANTHROPIC_BASE_URL"].endswith("/anthropic") and opencode["env"]["OPENAI_BASE_URL"].endswith("/openai/v1")
    generic = report(wrapped(env, "run", "--provider", "deepseek", "--env-var", "MY_BASE_URL", "--quiet", "--", "myagent", "--flag"))
    assert generic["env"]["MY_BASE_URL"].endswith("/deepseek/v1") and generic["args"] == ["--flag"]


def test_a_running_daemon_is_shared_and_tags_the_run(stub_env, mock, tmp_path):
    env, _ = stub_env
    daemon = Proxy(Path(env["CCGLASS_HOME"]), {"anthropic": mock.url})
    try:
        result = wrapped(dict(env, STUB_REQUEST="1"), "claude", "--port", str(daemon.port), "--upstream", mock.url, "-p", "x")
        got = report(result)
        run = got["env"]["CCGLASS_RUN_ID"]
        assert got["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{daemon.port}/_run/{run}/anthropic"
        [exchange] = daemon.wait_exchange()
        assert exchange["runID"] == run
        assert "ccglass: 1 request · " in result.stderr
    finally:
        daemon.stop()


def test_proxy_prints_the_base_url(stub_env, mock):
    env, _ = stub_env
    daemon = Proxy(Path(env["CCGLASS_HOME"]), {"openai": mock.url})
    try:
        result = wrapped(env, "proxy", "--provider", "openai", "--port", str(daemon.port))
        assert result.stdout.strip() == f"http://127.0.0.1:{daemon.port}/openai/v1"
    finally:
        daemon.stop()


# ---- ccglass gemini ------------------------------------------------------------------------------

# A stand-in for the Gemini CLI that reports what it was started with and sends what the real CLI sends:
# signed in with Google, Code Assist's `v1internal:streamGenerateContent?alt=sse` with the request wrapped
# beside its session and prompt ids (gemini-cli's `code_assist/server.ts` and `converter.ts`); with an API
# key, the Gemini API through the google-genai SDK. It reads the settings file ccglass hands it while the
# run lasts, as the CLI does at start.
GEMINI_STUB = r"""#!{python}
import json, os, sys, urllib.request
env = {k: v for k, v in os.environ.items() if k in ("CODE_ASSIST_ENDPOINT", "GOOGLE_GEMINI_BASE_URL", "GEMINI_CLI_SYSTEM_SETTINGS_PATH") or k.startswith("CCGLASS")}
report = {"args": sys.argv[1:], "env": env}
settings = os.environ.get("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
if settings and os.path.exists(settings):
    try:
        report["settings"] = json.load(open(settings))
    except ValueError:
        report["settings"] = "not JSON"  # the CLI reads comments; this stand-in does not
    report["settings_mode"] = oct(os.stat(settings).st_mode & 0o777)
if os.environ.get("STUB_REQUEST") == "code-assist":
    body = {"model": "gemini-2.5-pro", "project": "proj-stub-1", "user_prompt_id": "gem-session-1########1",
            "request": {"contents": [{"role": "user", "parts": [{"text": "gemini stub says hi"}]}],
                        "systemInstruction": {"role": "user", "parts": [{"text": "You are an interactive CLI agent."}]},
                        "generationConfig": {"temperature": 0, "topP": 1, "thinkingConfig": {"includeThoughts": True}},
                        "session_id": "gem-session-1"}}
    req = urllib.request.Request(os.environ["CODE_ASSIST_ENDPOINT"] + "/v1internal:streamGenerateContent?alt=sse",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["STUB_TOKEN"],
                                          "User-Agent": "GeminiCLI/0.19.4/gemini-2.5-pro (linux; x64)"})
    text = ""
    for line in urllib.request.urlopen(req):
        if line.startswith(b"data: "):
            text += "".join(p.get("text", "") for p in json.loads(line[6:])["response"]["candidates"][0]["content"]["parts"] if not p.get("thought"))
    report["answer"] = text
if os.environ.get("STUB_REQUEST") == "api":
    from google import genai
    from google.genai import types
    client = genai.Client(api_key=os.environ["GEMINI_API_KEY"], http_options=types.HttpOptions(base_url=os.environ["GOOGLE_GEMINI_BASE_URL"]))
    report["answer"] = client.models.generate_content(model="gemini-2.5-flash", contents="gemini stub says hi").text
print(json.dumps(report), flush=True)
sys.exit(int(os.environ.get("STUB_EXIT", "0")))
"""


@pytest.fixture
def gemini_env(stub_env):
    env, tmp = stub_env
    path = tmp / "bin" / "gemini"
    path.write_text(GEMINI_STUB.replace("{python}", sys.executable))
    path.chmod(0o755)
    env = {k: v for k, v in env.items() if not k.startswith(("GEMINI_", "GOOGLE_", "CODE_ASSIST"))}
    # No system settings file unless a test writes one.
    env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] = str(tmp / "system-settings.json")
    return env, tmp


def test_gemini_signed_in_goes_through_code_assist_and_is_recorded(gemini_env, mock):
    env, tmp = gemini_env
    token = "ya29." + fake_key("gemini-oauth")
    chunks = [gemini_response("Hello ", model="gemini-2.5-pro", usage=gemini_usage(prompt=5200, cached=4096), finish=None, thought="Plan"),
              gemini_response("from Gemini.", model="gemini-2.5-pro", usage=gemini_usage(prompt=5200, candidates=12, cached=4096, thoughts=30))]
    # ccglass first asks the endpoint whether it is a ccglass itself (GET /api/health): answer that as an API would.
    mock.enqueue(*[lambda r: code_assist_sse_reply(chunks) if r.method == "POST" else default_reply(r.path, r.body)] * 2)
    result = wrapped(dict(env, STUB_REQUEST="code-assist", STUB_TOKEN=token, CODE_ASSIST_ENDPOINT=mock.url, STUB_EXIT="3"),
                     "gemini", "-p", "hi there", "--yolo")
    assert result.returncode == 3, result.stderr
    got = report(result)
    assert got["args"] == ["-p", "hi there", "--yolo"]
    assert got["env"]["CODE_ASSIST_ENDPOINT"].startswith("http://127.0.0.1:") and got["env"]["CODE_ASSIST_ENDPOINT"].endswith("/code-assist")
    # Without an API key the Gemini API variable stays unset: set, it would switch the CLI to gateway auth.
    assert "GOOGLE_GEMINI_BASE_URL" not in got["env"]
    assert got["answer"] == "Hello from Gemini."
    [sent] = [r for r in mock.received if r.method == "POST"]
    assert sent.path == "/v1internal:streamGenerateContent?alt=sse" and sent.header("authorization") == "Bearer " + token
    assert f"watching gemini → {mock.url} (from $CODE_ASSIST_ENDPOINT)" in result.stderr
    assert "ccglass: 1 request · " in result.stderr
    [row] = history(env)
    assert row["sessionKey"] == "gem-session-1" and row["client"] == "gemini-cli" and row["prompt"] == "gemini stub says hi"
    exchange = json.loads(subprocess.run([binary(), "export", row["id"], "--format", "json"], env=env, capture_output=True).stdout)
    assert exchange["provider"] == "code-assist" and exchange["providerOTelName"] == "gcp.gemini"
    assert exchange["request"]["turnID"] == "gem-session-1########1" and exchange["response"]["text"] == "Hello from Gemini."
    u = exchange["response"]["usage"]
    assert (u["inputTokens"], u["cacheReadTokens"], u["outputTokens"], u["reasoningTokens"]) == (5200, 4096, 42, 30)
    # 1104 uncached input at $1.25, 4096 cached at $0.125, 42 output (thoughts included) at $10 per million:
    # what the API would charge, since a Google sign-in is not billed per token.
    assert exchange["cost"]["pricedAs"] == "gemini:gemini-2.5-pro" and exchange["billing"] == "subscription"
    total = (1104 * 1.25 + 4096 * 0.125 + 42 * 10) / 1e6
    assert sum(exchange["cost"][k] for k in ("input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h")) == pytest.approx(total, abs=1e-12)
    assert row["apiEquivalent"] is True and row["costUSD"] == pytest.approx(total, abs=1e-12)
    assert f"· ${total:.4f} API-equivalent ·" in result.stderr
    listed = subprocess.run([binary(), "requests"], env=env, capture_output=True, text=True).stdout
    assert f"≈${total:.4f}" in listed and "≈ API-equivalent: signed-in (subscription) traffic is not billed per token" in listed
    for path in Path(env["CCGLASS_HOME"]).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_gemini_with_an_api_key_goes_through_the_gemini_api(gemini_env, mock):
    env, _ = gemini_env
    key = fake_key("gemini-api")
    mock.enqueue(*[lambda r: json_reply(gemini_response("Keyed hello.", usage=gemini_usage(prompt=10, candidates=4)))
                   if r.method == "POST" else default_reply(r.path, r.body)] * 2)
    result = wrapped(dict(env, STUB_REQUEST="api", GEMINI_API_KEY=key, GOOGLE_GEMINI_BASE_URL=mock.url), "gemini", "--quiet")
    assert result.returncode == 0, result.stderr
    got = report(result)
    assert got["answer"] == "Keyed hello." and got["env"]["GOOGLE_GEMINI_BASE_URL"].endswith("/gemini")
    [sent] = [r for r in mock.received if r.method == "POST"]
    assert sent.path.endswith("/models/gemini-2.5-flash:generateContent") and sent.header("x-goog-api-key") == key
    [row] = history(env)
    assert row["client"] == "google-genai" and row["model"] == "gemini-2.5-flash"


def test_gemini_api_key_in_settings_or_environment_decides_the_route(gemini_env):
    env, tmp = gemini_env
    # A key in the environment with no auth type chosen: the CLI uses the Gemini API.
    keyed = report(wrapped(dict(env, GEMINI_API_KEY=fake_key("k")), "gemini", "--quiet", "--no-mcp"))
    assert keyed["env"]["GOOGLE_GEMINI_BASE_URL"].endswith("/gemini")
    # Signed in with Google in the user's settings: the key is ignored, so is the Gemini API route.
    settings = Path(env["HOME"]) / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"security": {"auth": {"selectedType": "oauth-personal"}}}))
    signed_in = report(wrapped(dict(env, GEMINI_API_KEY=fake_key("k")), "gemini", "--quiet", "--no-mcp"))
    assert "GOOGLE_GEMINI_BASE_URL" not in signed_in["env"] and signed_in["env"]["CODE_ASSIST_ENDPOINT"].endswith("/code-assist")
    # A workspace's choice wins over the user's.
    workspace = tmp / "project"
    (workspace / ".gemini").mkdir(parents=True)
    (workspace / ".gemini" / "settings.json").write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    chosen = report(wrapped(env, "gemini", "--quiet", "--no-mcp", cwd=workspace))
    assert chosen["env"]["GOOGLE_GEMINI_BASE_URL"].endswith("/gemini")


def test_gemini_gets_the_mcp_server_in_a_copy_of_the_system_settings(gemini_env):
    env, tmp = gemini_env
    system = Path(env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"])
    original = {"general": {"vimMode": True}, "mcpServers": {"team": {"command": "team-mcp"}}}
    system.write_text(json.dumps(original))
    got = report(wrapped(env, "gemini", "--quiet"))
    handed = got["env"]["GEMINI_CLI_SYSTEM_SETTINGS_PATH"]
    assert handed != str(system) and got["settings_mode"] == "0o600"
    servers = got["settings"]["mcpServers"]
    assert servers["team"] == {"command": "team-mcp"} and got["settings"]["general"] == {"vimMode": True}
    ccglass = servers["ccglass"]
    assert Path(ccglass["command"]).name == "ccglass" and ccglass["args"][:1] == ["mcp"]
    assert ccglass["env"]["CCGLASS_RUN_ID"] == got["env"]["CCGLASS_RUN_ID"]
    assert not Path(handed).exists()  # removed when the run ends
    assert json.loads(system.read_text()) == original  # the user's file is never touched
    # --no-mcp hands the CLI its own system settings.
    plain = report(wrapped(env, "gemini", "--quiet", "--no-mcp"))
    assert plain["env"]["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] == str(system)


def test_gemini_system_settings_ccglass_cannot_read_are_left_alone(gemini_env):
    env, _ = gemini_env
    system = Path(env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"])
    system.write_text('{\n  // the team\'s settings\n  "general": {"vimMode": true}\n}\n')
    result = wrapped(dict(env, STUB_EXIT="0"), "gemini", "--quiet")
    assert result.returncode == 0
    got = report(result)
    assert got["env"]["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] == str(system) and got["settings"] == "not JSON"
    assert f"ccglass: {system} is not plain JSON; ccglass leaves it alone and registers no MCP server" in result.stderr


# ---- the real Claude Code CLI --------------------------------------------------------------------

def claude_binary():
    try:
        import claude_agent_sdk
    except ImportError:
        pytest.skip("claude-agent-sdk (which bundles the Claude Code CLI) is not installed")
    path = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    if not path.exists():
        pytest.skip("the claude-agent-sdk wheel has no bundled CLI")
    return path


@pytest.fixture
def claude_env(tmp_path, mock):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").symlink_to(claude_binary())
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE"))}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", HOME=str(home), CCGLASS_HOME=str(tmp_path / "ccglass"),
               CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", ANTHROPIC_API_KEY=fake_key("claude-code"),
               ANTHROPIC_BASE_URL=mock.url)
    return env, tmp_path


def history(env):
    return json.loads(subprocess.run([binary(), "requests", "--json", "--limit", "100"], env=env, capture_output=True).stdout)


def test_claude_code_print_mode_is_recorded_with_its_session(claude_env, mock):
    env, tmp = claude_env
    session = str(uuid.uuid4())
    # A session budget of half a hundredth of a cent: this run crosses it, and is only told so.
    result = wrapped(env, "claude", "--budget-session", "0.00005", "-p", "say hi", "--session-id", session, timeout=180, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello there!\n"
    assert "of $0.000050 (" in result.stderr and f"in session {session} is crossed (budgets only warn" in result.stderr, result.stderr
    assert "ccglass: session budget: $0.0" in result.stderr
    posts = [r for r in mock.received if r.method == "POST"]
    assert posts and posts[0].header("x-claude-code-session-id") == session
    assert all(b"budget" not in r.body for r in posts)
    rows = history(env)
    assert rows and all(r["sessionKey"] == session for r in rows)
    assert rows[-1]["client"] == "claude-code" and rows[-1]["prompt"] == "say hi"
    assert "ccglass: " in result.stderr and " request" in result.stderr


def test_claude_code_signed_in_to_a_plan_costs_the_api_equivalent(claude_env, mock):
    env, tmp = claude_env
    env = {k: v for k, v in env.items() if k != "ANTHROPIC_API_KEY"}
    token = "sk-ant-oat01-" + fake_key("claude-oauth")
    resets = time.time() + 2 * 3600, time.time() + 3 * 86400

    def plan_reply(record):  # the plan's windows on every answer: the 5-hour one at 86 %
        reply = default_reply(record.path, record.body)
        reply.headers += claude_plan_headers(0.86, 0.41, *resets, status="allowed_warning")
        return reply
    mock.enqueue(*[plan_reply] * 10)
    Path(env["CCGLASS_HOME"]).mkdir(exist_ok=True)
    (Path(env["CCGLASS_HOME"]) / "config.json").write_text(json.dumps({"budgets": {"daily": 0.00005, "weekly": 100}}))
    result = wrapped(dict(env, CLAUDE_CODE_OAUTH_TOKEN=token), "claude", "-p", "say hi", timeout=180, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    # The exit summary warns of the window past 80 %, and only of that one.
    assert "ccglass: the anthropic five_hour window is 86% used (resets " in result.stderr, result.stderr
    assert "seven_day window" not in result.stderr
    # The daily budget from config.json is crossed, at the API-equivalent; the weekly one is not.
    assert "ccglass: daily budget: ≈$0.0" in result.stderr and "of $0.000050 (" in result.stderr and "weekly budget" not in result.stderr
    posts = [r for r in mock.received if r.method == "POST" and "/v1/messages" in r.path]
    assert posts and posts[-1].header("authorization") == "Bearer " + token  # the sign-in reached upstream
    rows = [r for r in history(env) if r["costUSD"]]
    assert rows and all(r["apiEquivalent"] for r in rows)
    assert " API-equivalent ·" in result.stderr
    for path in Path(env["CCGLASS_HOME"]).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_claude_code_reads_its_own_history_through_mcp(claude_env, mock):
    env, tmp = claude_env
    session = str(uuid.uuid4())
    first = wrapped(env, "claude", "-p", "Remember the code word PINEAPPLE-42.", "--session-id", session, timeout=180, cwd=env["HOME"])
    assert first.returncode == 0, first.stderr

    seen = {}

    def scenario(record):
        body = json.loads(record.body)
        last = body["messages"][-1]
        blocks = last["content"] if isinstance(last["content"], list) else []
        results = [b for b in blocks if b.get("type") == "tool_result"]
        if results:
            seen["tool_result"] = json.dumps(results[0]["content"])
            return stream_reply(anthropic_stream_events(model="claude-opus-5-5", text="You told me PINEAPPLE-42."))
        if "Which code word" in json.dumps(last):
            return stream_reply(anthropic_stream_events(model="claude-opus-5-5", text="Let me check my history.", tool_use={
                "id": "toolu_history1", "name": "mcp__ccglass__recent_requests", "input": {"limit": 5}}))
        return stream_reply(anthropic_stream_events(model="claude-opus-5-5"))

    for _ in range(10):
        mock.enqueue(scenario)
    second = wrapped(env, "claude", "--allowedTools", "mcp__ccglass__recent_requests", "-p",
                     "Which code word did I give you? Check your request history.", "--resume", session,
                     timeout=180, cwd=env["HOME"])
    assert second.returncode == 0, second.stderr
    assert "tool_result" in seen, [json.loads(r.body)["messages"][-1] for r in mock.received]
    assert "PINEAPPLE-42" in seen["tool_result"]
    assert "Remember the code word PINEAPPLE-42." in seen["tool_result"]
    assert second.stdout.strip() == "You told me PINEAPPLE-42."
