"""Anthropic's checklist for a gateway in front of Claude Code (its "LLM gateway" and "gateway rollout"
pages), one test per item, through `ccglass serve`: anthropic-* headers and body fields reach the API
unchanged both ways, pings stream through, upstream errors come back unmodified (Claude Code's recovery
matches on their wording), `HEAD /api/hello` is answered, and `/v1/models` discovery works."""
import json
import subprocess
import urllib.request

import rawhttp
from mock_upstream import Reply, anthropic_error, anthropic_stream_events, anthropic_usage, json_reply, sse, stream_reply
from test_wrappers import claude_binary, claude_env  # noqa: F401 (claude_env is a fixture)

# What Claude Code 2.1.332 sends in auto mode, and two a later version might add.
ANTHROPIC_HEADERS = [
    ("anthropic-version", "2023-06-01"),
    ("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,"
                       "dangerous-tool-use-2026-09-03,afk-mode-2026-01-31"),
    ("anthropic-dangerous-direct-browser-access", "true"),
    ("anthropic-future-feature", "on; v=2"),
]


def test_anthropic_headers_reach_the_api_and_come_back_unchanged(proxy, mock):
    answer = [("anthropic-organization-id", "org-1"), ("anthropic-ratelimit-unified-5h-utilization", "0.42"),
              ("anthropic-future-response", "x=1"), ("request-id", "req_0123"), ("x-should-retry", "false")]
    mock.enqueue(json_reply({"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-opus-5-5",
                             "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}, headers=answer))
    body = b'{"model":"claude-opus-5-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
    status, _, headers, _, _ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                               [("Content-Type", "application/json"), ("x-api-key", "k")] + ANTHROPIC_HEADERS, body)
    assert status == 200
    got = mock.received[-1]
    for name, value in ANTHROPIC_HEADERS:
        assert got.header(name) == value, name
    returned = {k.lower(): v for k, v in headers}
    for name, value in answer:
        assert returned[name] == value, name


def test_body_fields_anthropic_and_newer_reach_the_api_byte_for_byte(proxy, mock):
    # Bedrock-style fields in the body, the fields Claude Code adds today, and one nobody knows yet,
    # in an order and spacing no JSON encoder would choose.
    body = (b'{ "anthropic_version":"bedrock-2023-05-31", "anthropic_beta" : ["context-1m-2025-08-07"],\n'
            b' "model":"claude-opus-5-5","max_tokens":5, "messages":[{"role":"user","content":"hi \\u00e9"}],'
            b'"context_management":{"edits":[{"type":"clear_thinking_20251015"}]},"output_config":{"effort":"high"},'
            b'"speed":"fast","safeguards":[{"type":"dangerous_tool_use","classifier_context":{"permission_mode":"auto"}}],'
            b'"a_field_from_2027":{"n":1.50,"deep":[null,true]}}')
    status, _, _, _, _ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                         [("Content-Type", "application/json"), ("x-api-key", "k")] + ANTHROPIC_HEADERS[:2], body)
    assert status == 200
    assert mock.received[-1].body == body
    exchange = proxy.wait_exchange()[0]
    assert exchange["request"]["model"] == "claude-opus-5-5" and exchange["request"]["reviewMode"] == "auto"


def test_pings_stream_through_where_they_were_sent(proxy, mock):
    usage = anthropic_usage(input_tokens=20, output_tokens=1)
    events = anthropic_stream_events(text="slow answer", start_usage=usage, final_usage=dict(usage, output_tokens=7))
    # A ping before anything else, and a run of them while the model thinks.
    events = [("ping", {"type": "ping"})] + events[:2] + [("ping", {"type": "ping"})] * 3 + events[2:]
    mock.enqueue(stream_reply(events, gap=0.02))
    body = b'{"model":"claude-opus-5-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
    status, _, _, received, error = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                                    [("Content-Type", "application/json"), ("x-api-key", "k")], body)
    assert status == 200 and error is None
    assert received == b"".join(sse(events))
    assert received.count(b"event: ping") == 5
    exchange = proxy.wait_exchange()[0]
    assert exchange["response"]["complete"] and exchange["response"]["usage"]["outputTokens"] == 7
    assert exchange["response"]["text"] == "slow answer" and exchange["response"]["parseFailures"] == 0


def test_upstream_errors_come_back_unmodified(proxy, mock):
    cases = [
        (529, [("x-should-retry", "true")], anthropic_error("overloaded_error", "Overloaded")),
        # Claude Code's automatic recovery reads this wording: it must not be wrapped.
        (400, [], anthropic_error("invalid_request_error", "prompt is too long: 210394 tokens > 200000 maximum")),
        (429, [("retry-after", "17"), ("anthropic-ratelimit-unified-status", "rejected")],
         anthropic_error("rate_limit_error", "This request would exceed your account's rate limit.")),
        (401, [], anthropic_error("authentication_error", "invalid x-api-key")),
    ]
    body = b'{"model":"claude-opus-5-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
    for code, extra, error in cases:
        payload = json.dumps(error).encode()
        mock.enqueue(Reply(status=code, headers=[("Content-Type", "application/json"), ("request-id", f"req_{code}")] + extra,
                           chunks=[(0.0, payload)], content_length=True))
        status, _, headers, received, _ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                                          [("Content-Type", "application/json"), ("x-api-key", "k")], body)
        returned = {k.lower(): v for k, v in headers}
        assert (status, received) == (code, payload)
        assert returned["request-id"] == f"req_{code}" and all(returned[k] == v for k, v in extra)
    # And an error event after a 200 reaches the client as sent, in the stream.
    events = anthropic_stream_events()[:2] + [("error", anthropic_error("overloaded_error", "Overloaded"))]
    mock.enqueue(stream_reply(events))
    status, _, _, received, _ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages",
                                                [("Content-Type", "application/json"), ("x-api-key", "k")],
                                                body.replace(b'"max_tokens":5', b'"max_tokens":5,"stream":true'))
    assert status == 200 and received == b"".join(sse(events))
    recorded = proxy.wait_exchange(count=5)
    assert [e["response"]["error"]["type"] for e in recorded] == ["overloaded_error", "authentication_error", "rate_limit_error",
                                                                  "invalid_request_error", "overloaded_error"]


def test_head_api_hello_is_answered_with_headers_and_no_body(proxy, mock):
    # Claude Code's preconnect: `HEAD ${ANTHROPIC_BASE_URL}/api/hello` (2.1.332).
    mock.enqueue(json_reply({"message": "hello"}, headers=[("x-hello", "1")]))
    status, _, headers, received, error = rawhttp.request(proxy.url, "HEAD", "/anthropic/api/hello", [("User-Agent", "claude-cli/2.1.332")],
                                                          timeout=10)
    assert (status, received, error) == (200, b"", None)
    assert dict((k.lower(), v) for k, v in headers)["x-hello"] == "1"
    assert (mock.received[-1].method, mock.received[-1].path) == ("HEAD", "/api/hello")
    # The proxy is none the worse: the next request goes through.
    status, *_ = rawhttp.request(proxy.url, "POST", "/anthropic/v1/messages", [("Content-Type", "application/json"), ("x-api-key", "k")],
                                 b'{"model":"claude-opus-5-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}')
    assert status == 200


def test_claude_code_discovers_the_models_through_ccglass(claude_env, proxy, mock):
    env, _ = claude_env
    env = dict(env, ANTHROPIC_BASE_URL=f"{proxy.url}/anthropic", CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY="1")
    models = {"data": [{"type": "model", "id": "claude-gateway-special", "display_name": "Gateway Special",
                        "created_at": "2026-01-01T00:00:00Z"}], "has_more": False, "first_id": "claude-gateway-special",
              "last_id": "claude-gateway-special"}

    def reply(record):
        from mock_upstream import default_reply
        return json_reply(models) if record.path.startswith("/v1/models") else default_reply(record.path, record.body)
    mock.enqueue(*[reply] * 10)
    result = subprocess.run([claude_binary(), "-p", "hi"], env=env, capture_output=True, text=True, timeout=120, cwd=env["HOME"])
    assert result.returncode == 0, result.stderr
    asked = [r for r in mock.received if r.path.startswith("/v1/models")]
    assert asked and asked[0].method == "GET" and asked[0].header("x-api-key") == env["ANTHROPIC_API_KEY"]
    # Claude Code read the list ccglass passed on: its picker's cache names the gateway's model.
    cache = json.loads(open(f"{env['HOME']}/.claude/cache/gateway-models.json").read())
    assert cache["baseUrl"] == env["ANTHROPIC_BASE_URL"] and [m["id"] for m in cache["models"]] == ["claude-gateway-special"]
    listed = proxy.wait_exchange(lambda e: "/v1/models" in e["target"])[0]
    assert listed["status"] == 200 and listed["response"]["parseFailures"] == 0
    with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
        failures = [line for line in r.read().decode().splitlines() if line.startswith("ccglass_observability_failures_total{")]
    assert all(line.endswith(" 0") for line in failures), failures  # a model list is no chat to misread
