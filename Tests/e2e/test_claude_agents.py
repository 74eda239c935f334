"""The real Claude Code CLI (bundled in claude-agent-sdk) through `ccglass claude`, against a mock scripted
to make it delegate: a foreground subagent that starts a nested one, and a background subagent. Each
request must land on the agent that sent it."""
import json
import subprocess
from collections import defaultdict

from conftest import binary
from mock_upstream import anthropic_stream_events, anthropic_usage, default_reply, stream_reply
from test_wrappers import claude_env, history, wrapped  # noqa: F401 (claude_env is a fixture)

def mcp_call(env, tool, arguments=None):
    """One tool of `ccglass mcp`, as the agent calls it."""
    import asyncio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def call():
        params = StdioServerParameters(command=binary(), args=["mcp"], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool(tool, arguments or {})
                assert not result.is_error, result.content[0].text
                return result.content[0].text
    return asyncio.run(call())


FOREGROUND, NESTED, BACKGROUND = "FG: list the files and report.", "NESTED: count the lines.", "BG: check the tests."


class DelegatingUpstream:
    """Answers each /v1/messages by who asks: the main agent delegates twice, the foreground subagent
    delegates once more, and every agent's usage is remembered by the agent id its request carried."""

    def __init__(self):
        self.usage = defaultdict(lambda: {"input": 0, "output": 0, "requests": 0})
        self.agents = {}  # the prompt each subagent was started with → its id and parent header
        self.turn = 0
        self.handbacks = 0  # main-agent requests whose tool results name a subagent's id

    def __call__(self, record):
        body = json.loads(record.decoded() or b"{}")
        if "/messages" not in record.path or "count_tokens" in record.path or not body.get("stream"):
            return default_reply(record.path, record.body)
        agent, parent = record.header("x-claude-code-agent-id"), record.header("x-claude-code-parent-agent-id")
        messages = body.get("messages", [])
        text = json.dumps(messages)
        answered = text.count('"tool_result"')
        self.turn += 1
        usage = anthropic_usage(input_tokens=1000 + 10 * self.turn, output_tokens=20 + self.turn)
        key = agent or "main"
        if agent is None and "agentId: " in text:
            self.handbacks += 1
        self.usage[key]["input"] += usage["input_tokens"]
        self.usage[key]["output"] += usage["output_tokens"]
        self.usage[key]["requests"] += 1
        call = None
        for prompt in (FOREGROUND, NESTED, BACKGROUND):
            if agent and prompt in json.dumps(messages[:1]):
                self.agents[prompt] = (agent, parent)
        if agent is None and answered == 0:
            call = {"id": "toolu_fg", "name": "Agent", "input": {"description": "Look around", "prompt": FOREGROUND,
                                                                "subagent_type": "general-purpose", "run_in_background": False}}
        elif agent is None and answered == 1:
            call = {"id": "toolu_bg", "name": "Agent", "input": {"description": "Check tests", "prompt": BACKGROUND,
                                                                "subagent_type": "general-purpose", "run_in_background": True}}
        elif agent and FOREGROUND in json.dumps(messages[:1]) and answered == 0:
            call = {"id": "toolu_nested", "name": "Agent", "input": {"description": "Count lines", "prompt": NESTED,
                                                                    "subagent_type": "general-purpose", "run_in_background": False}}
        events = anthropic_stream_events(model=body.get("model"), text=f"report from {key}", tool_use=call,
                                         start_usage=usage, final_usage=usage)
        return stream_reply(events)


def test_each_request_is_attributed_to_the_agent_that_sent_it(claude_env, mock):
    env, _ = claude_env
    upstream = DelegatingUpstream()
    mock.enqueue(*[upstream] * 80)
    result = wrapped(env, "claude", "-p", "use subagents to look around", timeout=240, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    assert set(upstream.agents) == {FOREGROUND, NESTED, BACKGROUND}, (upstream.agents, result.stderr)
    foreground, nested, background = (upstream.agents[p] for p in (FOREGROUND, NESTED, BACKGROUND))
    # The nested subagent names the foreground one as its parent; the other two were started by the main agent.
    assert nested[1] == foreground[0] and foreground[1] is None and background[1] is None
    rows = [r for r in history(env) if r["usage"]]
    by_agent = defaultdict(list)
    for row in rows:
        by_agent[row.get("agentID") or "main"].append(row)
    assert set(by_agent) == {"main", foreground[0], nested[0], background[0]}, set(by_agent)
    assert all(r.get("parentAgentID") == foreground[0] for r in by_agent[nested[0]])
    for agent, rows_of in by_agent.items():
        sent = upstream.usage[agent]
        assert len(rows_of) == sent["requests"], agent
        assert sum(r["usage"]["inputTokens"] for r in rows_of) == sent["input"], agent
        assert sum(r["usage"]["outputTokens"] for r in rows_of) == sent["output"], agent
    # The main agent's turns that carry a subagent's report (its id in the tool result) stay the main
    # agent's: there are such turns, and the main agent's row count above equals all it sent.
    assert upstream.handbacks >= 2 and len(by_agent["main"]) >= 3
    # Per session and agent, `usage --by agent` sums the same.
    usage = json.loads(subprocess.run([binary(), "usage", "--by", "agent", "--json"], env=env, capture_output=True, text=True, check=True).stdout)
    groups = {row["group"].split(" · ")[1]: row for row in usage["rows"]}
    assert groups["main"]["inputTokens"] == upstream.usage["main"]["input"]
    for agent, _ in (foreground, nested, background):
        assert groups[f"subagent {agent}"]["inputTokens"] == upstream.usage[agent]["input"]
        assert groups[f"subagent {agent}"]["outputTokens"] == upstream.usage[agent]["output"]
    table = subprocess.run([binary(), "requests"], env=env, capture_output=True, text=True, check=True).stdout
    assert f"└ {foreground[0][:9]}" in table and f"  └ {nested[0][:9]}" in table and " main " in table, table
    # The session's tree: each subagent with the Agent call that started it.
    tree = json.loads(subprocess.run([binary(), "agents", "--json"], env=env, capture_output=True, text=True, check=True).stdout)
    agents = {a.get("id") or "main": a for a in tree["agents"]}
    assert set(agents) == {"main", foreground[0], nested[0], background[0]}
    fg, ne, bg = agents[foreground[0]], agents[nested[0]], agents[background[0]]
    assert (fg["description"], fg["prompt"], fg["type"], fg["background"], fg.get("parent")) == ("Look around", FOREGROUND, "general-purpose", False, None)
    assert (ne["description"], ne["parent"], ne["toolCallID"]) == ("Count lines", foreground[0], "toolu_nested")
    assert (bg["description"], bg["background"], bg["toolCallID"]) == ("Check tests", True, "toolu_bg")
    for agent, sent in ((a, upstream.usage[a]) for a in agents):
        assert agents[agent]["requests"] == sent["requests"] and agents[agent]["inputTokens"] == sent["input"], agent
    text = subprocess.run([binary(), "agents"], env=env, capture_output=True, text=True, check=True).stdout
    assert f"  └ {foreground[0]}" in text and f"    └ {nested[0]}" in text and f"└ {background[0]} (background)" in text, text
    said = mcp_call(env, "agent_breakdown")
    assert f'subagent {nested[0]} (general-purpose) "Count lines", started by subagent {foreground[0]}' in said, said
    assert said.index("main agent") < said.index(f"subagent {foreground[0]}")  # the main agent spent the most here
    # In the trace, each subagent's requests are children of the Agent tool span that started it.
    from test_exporters import attrs, read_spans
    spans = read_spans(env["CCGLASS_HOME"])
    tool_span = {attrs(s)["gen_ai.tool.call.id"]: s.span_id for s in spans if s.name == "execute_tool Agent"}
    assert set(tool_span) == {"toolu_fg", "toolu_nested", "toolu_bg"}, set(tool_span)
    for agent, call in ((foreground[0], "toolu_fg"), (nested[0], "toolu_nested"), (background[0], "toolu_bg")):
        chats = [s for s in spans if s.name.startswith("chat ") and attrs(s).get("gen_ai.agent.id") == agent]
        assert chats and all(s.parent_span_id == tool_span[call] for s in chats), agent
        assert all(attrs(s).get("gen_ai.agent.name") == "general-purpose" for s in chats), agent
    assert all(not s.parent_span_id for s in spans if s.name.startswith("chat ") and "gen_ai.agent.id" not in attrs(s))
    recent = mcp_call(env, "recent_requests", {"limit": 20})
    assert f"· subagent {nested[0]} (started by {foreground[0]})" in recent, recent
    assert "· 3 subagents" in mcp_call(env, "list_sessions")


class CompactingUpstream:
    """A session whose first turn reports a nearly full context (990 000 tokens, past Claude Code's
    auto-compaction line for a 1M-token model), so Claude Code compacts; the first summary it is sent
    lacks `<summary>`, so it asks once more."""

    def __init__(self, summary_at_first=False):
        self.compactions = 1 if summary_at_first else 0

    def __call__(self, record):
        body = json.loads(record.decoded() or b"{}")
        if "/messages" not in record.path or "count_tokens" in record.path or not body.get("stream"):
            return default_reply(record.path, record.body)
        messages = body.get("messages", [])
        model = body.get("model")
        if "CRITICAL: Respond with TEXT ONLY" in json.dumps(messages[-1:]):
            self.compactions += 1
            usage = anthropic_usage(input_tokens=300, output_tokens=700, cache_read=989_900)
            text = "<analysis>It ran echo.</analysis>" + ("\n<summary>The user ran echo hi.</summary>" if self.compactions > 1 else "")
            return stream_reply(anthropic_stream_events(model=model, text=text, start_usage=usage, final_usage=usage))
        if "This session is being continued" in json.dumps(messages[:1]):
            usage = anthropic_usage(input_tokens=200, output_tokens=10, cache_5m=5000)
            return stream_reply(anthropic_stream_events(model=model, text="done", start_usage=usage, final_usage=usage))
        usage = anthropic_usage(input_tokens=100, output_tokens=30, cache_5m=989_900)
        call = {"id": "toolu_echo", "name": "Bash", "input": {"command": "echo hi", "description": "say hi"}}
        return stream_reply(anthropic_stream_events(model=model, text="Running.", tool_use=call, start_usage=usage, final_usage=usage))


def test_an_auto_compaction_its_retry_and_the_request_after_are_marked_and_explain_the_cache(claude_env, mock):
    env, _ = claude_env
    mock.enqueue(*[CompactingUpstream()] * 40)
    result = wrapped(env, "claude", "-p", "run echo hi", "--allowedTools", "Bash", timeout=240, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    rows = [r for r in history(env) if r["usage"]]
    kinds = [r.get("requestKind") for r in reversed(rows)]  # oldest first
    assert kinds == ["turn", "compaction", "compaction_retry", "post_compaction"], kinds
    posts = [r for r in mock.received if r.method == "POST" and "/v1/messages" in r.path and "count_tokens" not in r.path]
    assert "fallback-credit-2026-06-01" in posts[1].header("anthropic-beta")  # the compaction's own beta, as observed
    session = rows[0]["sessionKey"]
    report = json.loads(subprocess.run([binary(), "cache", session, "--json"], env=env, capture_output=True, text=True, check=True).stdout)
    verdicts = {e["exchangeID"]: e for e in report["events"]}
    after = verdicts[next(r["id"] for r in rows if r.get("requestKind") == "post_compaction")]
    # The request after the compaction writes the cache anew: named as the compaction's doing, not a prefix change.
    assert after["verdict"] == "miss" and after["cause"]["kind"] == "compaction", after
    assert after["lostTokens"] == 5200  # what it could have read of its own prompt: all of it
    assert all(e["cause"]["kind"] != "prefix_changed" for e in report["events"] if e.get("cause")), report["events"]
    assert "· compaction retry" in mcp_call(env, "recent_requests", {"limit": 10})
    table = subprocess.run([binary(), "requests"], env=env, capture_output=True, text=True, check=True).stdout
    assert "main [compaction]" in table and "main [compaction retry]" in table and "main [post compaction]" in table, table
    # The session's compaction view: what each cost, the context before and after, and the cache write it caused.
    tree = json.loads(subprocess.run([binary(), "agents", session, "--json"], env=env, capture_output=True, text=True, check=True).stdout)
    first, retry = tree["compactions"]
    assert (first["kind"], first["contextBefore"], first["summaryTokens"]) == ("compaction", 990_200, 700)
    assert "nextExchangeID" not in first  # it was asked again: the retry's summary is the one the session went on from
    assert (retry["kind"], retry["contextBefore"], retry["contextAfter"], retry["nextCacheWriteTokens"]) == ("compaction_retry", 990_200, 5200, 5000)
    assert abs(retry["costUSD"] - (300 * 4 + 700 * 20 + 989_900 * 0.2) / 1e6) < 1e-9  # claude-opus-5-5 at $4 / $20 / $0.20 per MTok
    assert abs(retry["nextCacheWriteUSD"] - 5000 * 5 / 1e6) < 1e-9  # its 5-minute cache write at $5 per MTok
    assert retry["nextExchangeID"] == next(r["id"] for r in rows if r.get("requestKind") == "post_compaction")
    text = subprocess.run([binary(), "agents", session], env=env, capture_output=True, text=True, check=True).stdout
    assert "context before" in text and "compaction retry" in text and "5000 · $0.02" in text, text
    assert "· 2 compactions" in mcp_call(env, "list_sessions")
    breakdown = mcp_call(env, "agent_breakdown", {"session": session})
    assert "the next request started from 5200 tokens and paid 5000 tokens of cache writes ($0.0250)" in breakdown, breakdown


def test_a_manual_compact_is_marked_manual(claude_env, mock):
    env, _ = claude_env
    first = wrapped(env, "claude", "-p", "say hi", "--session-id", "6f1d0c57-8a52-4e0b-9a55-2f0f0c6b7a11", timeout=240, cwd=env["HOME"])
    assert first.returncode == 0, first.stderr
    mock.enqueue(*[CompactingUpstream(summary_at_first=True)] * 40)
    result = wrapped(env, "claude", "-p", "/compact keep the test names", "--resume", "6f1d0c57-8a52-4e0b-9a55-2f0f0c6b7a11",
                     timeout=240, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    kinds = [r.get("requestKind") for r in reversed(history(env)) if r["usage"]]
    assert kinds.count("compaction_manual") == 1 and "compaction" not in kinds and "compaction_retry" not in kinds, kinds


def test_a_subagents_requests_are_labelled_in_metrics_and_spans_by_kind_never_by_id(proxy, mock):
    import time
    import urllib.request
    import anthropic
    from test_exporters import attrs, read_spans
    headers = {"User-Agent": "claude-cli/2.1.332 (external, cli)", "X-Claude-Code-Session-Id": "sess-agents-1"}
    main = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0, default_headers=headers)
    sub = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0,
                              default_headers=dict(headers, **{"x-claude-code-agent-id": "ab1dc19fb980eca3b"}))
    for client in (main, sub, sub):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    proxy.wait_exchange(count=3)
    with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
        metrics = r.read().decode()
    requests = {kind: sum(float(l.rsplit(" ", 1)[1]) for l in metrics.splitlines()
                          if l.startswith("ccglass_requests_total{") and f'agent_kind="{kind}"' in l) for kind in ("main", "subagent")}
    assert requests == {"main": 1, "subagent": 2}, requests
    assert "ab1dc19fb980eca3b" not in metrics  # an id is unbounded: never a label
    deadline = time.time() + 10
    while True:
        chats = [s for s in read_spans(proxy.home) if s.name.startswith("chat ")]
        if len(chats) == 3 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert sorted(attrs(s).get("gen_ai.agent.id", "main") for s in chats) == ["ab1dc19fb980eca3b", "ab1dc19fb980eca3b", "main"]


def test_the_request_that_names_the_session_is_marked_and_gives_the_session_its_title(claude_env, proxy, mock):
    """Claude Code names a session with a side request (its host asks through the control protocol's
    `generate_session_title`, as the desktop app and IDEs do); the title it gets back names the session."""
    import asyncio
    from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient
    from mock_upstream import json_reply
    from test_wrappers import claude_binary
    env, _ = claude_env
    env = dict(env, ANTHROPIC_BASE_URL=f"{proxy.url}/anthropic")

    def reply(record):
        body = json.loads(record.decoded() or b"{}")
        if "You are naming a coding session" in json.dumps(body.get("system")):
            message = {"id": "msg_title", "type": "message", "role": "assistant", "model": body["model"], "stop_reason": "end_turn",
                       "content": [{"type": "text", "text": '{"title": "Flaky login test"}'}], "usage": {"input_tokens": 300, "output_tokens": 9}}
            if body.get("stream"):
                return stream_reply(anthropic_stream_events(model=body["model"], text='{"title": "Flaky login test"}'))
            return json_reply(message)
        return default_reply(record.path, record.body)
    mock.enqueue(*[reply] * 20)

    async def run():
        options = ClaudeAgentOptions(cli_path=claude_binary(), env=env, cwd=env["HOME"])
        async with ClaudeSDKClient(options=options) as client:
            await client.query("the login test fails one run in ten")
            async for _ in client.receive_response():
                pass
            # The SDK for Python has no method for it yet; this is the message its TypeScript twin sends.
            answer = await client._query._send_control_request({"subtype": "generate_session_title",
                                                                "description": "the login test fails one run in ten", "persist": False})
            return answer
    assert asyncio.run(run()) == {"title": "Flaky login test"}  # Claude Code read the answer through ccglass
    naming = proxy.wait_exchange(lambda e: e.get("requestKind") == "title")[0]
    turn = proxy.wait_exchange(lambda e: e.get("requestKind") == "turn")[0]
    assert naming["sessionID"] == turn["sessionID"] and naming["sessionID"]
    proxy.wait_stored(count=2)
    session = proxy.get_json(f"/api/sessions/{turn['sessionID']}")
    assert (session["title"], session["titleSource"]) == ("Flaky login test", "claude-code-request")
    rows = json.loads(subprocess.run([binary(), "requests", "--json", "--data-dir", str(proxy.home)], capture_output=True, text=True).stdout)
    assert sorted(r.get("requestKind") for r in rows if r["usage"]) == ["title", "turn"]
    table = subprocess.run([binary(), "requests", "--data-dir", str(proxy.home)], capture_output=True, text=True).stdout
    assert "main [title]" in table


def test_usage_by_agent_sums_each_subagent_type_across_sessions(proxy, mock):
    import anthropic
    from mock_upstream import anthropic_message, json_reply
    spawned = [("sess-types-1", "a1111111111111111", "Explore", "Map the repo.", 1000),
               ("sess-types-2", "a2222222222222222", "Plan", "Plan the fix.", 3000),
               ("sess-types-2", "a3333333333333333", "Explore", "Find the tests.", 500)]
    for n, (session, agent, kind, prompt, tokens) in enumerate(spawned):
        headers = {"User-Agent": "claude-cli/2.1.332 (external, cli)", "X-Claude-Code-Session-Id": session}
        main = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0, default_headers=headers)
        call = {"id": f"toolu_agent{n}", "name": "Agent", "input": {"description": prompt, "prompt": prompt, "subagent_type": kind}}
        mock.enqueue(stream_reply(anthropic_stream_events(tool_use=call, start_usage=anthropic_usage(input_tokens=100, output_tokens=1),
                                                          final_usage={"output_tokens": 10})))
        with main.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": f"go {n}"}]) as s:
            s.get_final_message()
        sub = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0,
                                  default_headers=dict(headers, **{"x-claude-code-agent-id": agent}))
        mock.enqueue(json_reply(anthropic_message(usage=anthropic_usage(input_tokens=tokens, output_tokens=tokens // 10))))
        sub.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": prompt}])
    proxy.wait_stored(count=6)
    report = json.loads(subprocess.run([binary(), "usage", "--by", "agent", "--json", "--data-dir", str(proxy.home)],
                                       capture_output=True, text=True, check=True).stdout)
    types = {row["group"]: (row["requests"], row["inputTokens"], row["outputTokens"]) for row in report["types"]}
    assert types == {"main": (3, 300, 30), "Explore": (2, 1500, 150), "Plan": (1, 3000, 300)}, types
    assert [row["group"] for row in report["types"]][0] == "main"
    assert len(report["rows"]) == 5  # per session: two mains, three subagents
    text = subprocess.run([binary(), "usage", "--by", "agent", "--data-dir", str(proxy.home)], capture_output=True, text=True, check=True).stdout
    assert "By subagent type, across sessions:" in text and "Explore" in text and "Plan" in text, text
    # One session's requests name its subagents by type and description.
    listed = subprocess.run([binary(), "requests", "--session", "sess-types-2", "--data-dir", str(proxy.home)],
                            capture_output=True, text=True, check=True).stdout
    assert "└ Plan · Plan the fix." in listed and "└ Explore · Find the tests." in listed, listed
