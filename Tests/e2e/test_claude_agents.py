"""The real Claude Code CLI (bundled in claude-agent-sdk) through `ccglass claude`, against a mock scripted
to make it delegate: a foreground subagent that starts a nested one, and a background subagent. Each
request must land on the agent that sent it."""
import json
import subprocess
from collections import defaultdict

from conftest import binary
from mock_upstream import anthropic_stream_events, anthropic_usage, default_reply, stream_reply
from test_wrappers import claude_env, history, wrapped  # noqa: F401 (claude_env is a fixture)

FOREGROUND, NESTED, BACKGROUND = "FG: list the files and report.", "NESTED: count the lines.", "BG: check the tests."


class DelegatingUpstream:
    """Answers each /v1/messages by who asks: the main agent delegates twice, the foreground subagent
    delegates once more, and every agent's usage is remembered by the agent id its request carried."""

    def __init__(self):
        self.usage = defaultdict(lambda: {"input": 0, "output": 0, "requests": 0})
        self.agents = {}  # the prompt each subagent was started with → its id and parent header
        self.turn = 0

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
    # The main agent's turns that carry a subagent's report (its id in the tool result) stay the main agent's.
    assert len(by_agent["main"]) >= 3
    # Per session and agent, `usage --by agent` sums the same.
    usage = json.loads(subprocess.run([binary(), "usage", "--by", "agent", "--json"], env=env, capture_output=True, text=True, check=True).stdout)
    groups = {row["group"].split(" · ")[1]: row for row in usage["rows"]}
    assert groups["main"]["inputTokens"] == upstream.usage["main"]["input"]
    for agent, _ in (foreground, nested, background):
        assert groups[f"subagent {agent}"]["inputTokens"] == upstream.usage[agent]["input"]
        assert groups[f"subagent {agent}"]["outputTokens"] == upstream.usage[agent]["output"]
    table = subprocess.run([binary(), "requests"], env=env, capture_output=True, text=True, check=True).stdout
    assert f"└ {foreground[0][:9]}" in table and f"  └ {nested[0][:9]}" in table and " main " in table, table
