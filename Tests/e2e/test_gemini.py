"""The official google-genai SDK through `ccglass serve` at /gemini, against a mock that answers as the
Gemini API does: plain and streamed answers, token counts, a function call, thoughts, an error."""
import http.client
import subprocess
import json
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Proxy, binary
from mock_upstream import MockUpstream, code_assist_sse_reply, gemini_array_reply, gemini_error, gemini_response, gemini_sse_reply, gemini_usage, json_reply

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

KEY = "AIzaSy-test-gemini-not-a-key-0123456789"


def cost_total(cost):
    return sum(cost[k] for k in ("input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h"))


@pytest.fixture
def gemini(tmp_path):
    mock = MockUpstream()
    proxy = Proxy(tmp_path / "home", {"gemini": mock.url})
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=f"{proxy.url}/gemini"))
    yield mock, proxy, client
    proxy.stop()
    mock.close()


def no_key_in(home):
    for path in Path(home).rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_an_answer_is_recorded_with_its_usage_and_the_body_as_sent(gemini):
    mock, proxy, client = gemini
    usage = gemini_usage(prompt=1200, candidates=30, cached=1024, thoughts=45)
    mock.enqueue(json_reply(gemini_response("Use a context manager.", model="gemini-2.5-flash", usage=usage, thought="Think first")))
    answer = client.models.generate_content(model="gemini-2.5-flash", contents="how do I close files?",
                                            config=types.GenerateContentConfig(system_instruction="be brief",
                                                                               thinking_config=types.ThinkingConfig(include_thoughts=True)))
    assert answer.text == "Use a context manager."
    [exchange] = proxy.wait_exchange()
    sent = mock.received[-1]
    assert sent.path.endswith("/models/gemini-2.5-flash:generateContent") and sent.header("x-goog-api-key") == KEY
    detail = proxy.exchange(exchange["id"])
    assert json.loads(sent.body) == detail["request"]  # upstream got the body the SDK sent
    assert exchange["format"] == "gemini.generate_content" and exchange["client"] == "google-genai"
    u = exchange["response"]["usage"]
    assert (u["inputTokens"], u["cacheReadTokens"], u["outputTokens"], u["reasoningTokens"]) == (1200, 1024, 75, 45)
    assert exchange["response"]["thinking"] == "Think first" and exchange["response"]["finishReasons"] == ["STOP"]
    # 176 uncached input at $0.30, 1024 cached at $0.03, 75 output (thoughts included) at $2.50 per million.
    assert exchange["cost"]["pricedAs"] == "gemini:gemini-2.5-flash"
    assert cost_total(exchange["cost"]) == pytest.approx((176 * 0.30 + 1024 * 0.03 + 75 * 2.50) / 1e6, abs=1e-12)
    prompt = detail["prompt"]
    assert [b["text"] for b in prompt["system"]] == ["be brief"] and prompt["model"] == "gemini-2.5-flash"
    no_key_in(proxy.home)


def test_a_stream_reaches_the_sdk_whole_and_its_last_usage_counts(gemini):
    mock, proxy, client = gemini
    pro = "gemini-2.5-pro"
    chunks = [gemini_response("Hel", model=pro, usage=gemini_usage(900, 1), finish=None),
              gemini_response("lo there", model=pro, usage=gemini_usage(900, 3), finish=None),
              gemini_response("!", model=pro, usage=gemini_usage(900, 4, thoughts=12))]
    mock.enqueue(gemini_sse_reply(chunks, gap=0.02))
    text = "".join(c.text for c in client.models.generate_content_stream(model="gemini-2.5-pro", contents="say hello"))
    assert text == "Hello there!"
    [exchange] = proxy.wait_exchange()
    assert mock.received[-1].path.endswith(":streamGenerateContent?alt=sse")
    u = exchange["response"]["usage"]
    assert (u["inputTokens"], u["outputTokens"], u["reasoningTokens"]) == (900, 16, 12)
    assert exchange["response"]["text"] == "Hello there!" and exchange["outcome"] == "ok"
    assert cost_total(exchange["cost"]) == pytest.approx((900 * 1.25 + 16 * 10) / 1e6, abs=1e-12)


def test_a_function_call_round_trip_links_the_result_to_its_call(gemini):
    mock, proxy, client = gemini
    call = {"name": "read_file", "args": {"path": "setup.cfg"}}
    mock.enqueue(json_reply(gemini_response("", function_call=call, usage=gemini_usage(300, 12))),
                 json_reply(gemini_response("It pins pytest.", usage=gemini_usage(340, 6))))
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(name="read_file", description="read a file",
                                                                       parameters={"type": "OBJECT", "properties": {"path": {"type": "STRING"}}})])
    config = types.GenerateContentConfig(tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    first = client.models.generate_content(model="gemini-2.5-flash", contents="what does setup.cfg pin?", config=config)
    assert first.function_calls[0].name == "read_file"
    history = [types.Content(role="user", parts=[types.Part(text="what does setup.cfg pin?")]), first.candidates[0].content,
               types.Content(role="user", parts=[types.Part.from_function_response(name="read_file", response={"content": "pytest==9"})])]
    client.models.generate_content(model="gemini-2.5-flash", contents=history, config=config)
    asked, answered = sorted(proxy.wait_exchange(count=2), key=lambda e: e["id"])
    assert asked["response"]["toolCalls"] == [{"id": "read_file", "name": "read_file", "arguments": '{"path":"setup.cfg"}'}]
    assert answered["request"]["toolResultIDs"] == ["read_file"]
    roles = [m["role"] for m in proxy.exchange(answered["id"])["prompt"]["messages"]]
    assert roles == ["user", "assistant", "tool"]


def test_token_counts_and_errors_are_recorded_as_google_sent_them(gemini):
    mock, proxy, client = gemini
    mock.enqueue(json_reply({"totalTokens": 31}), gemini_error())
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="count me").total_tokens == 31
    with pytest.raises(errors.ClientError) as failed:
        client.models.generate_content(model="gemini-2.5-flash", contents="again")
    assert failed.value.code == 429
    counted, refused = sorted(proxy.wait_exchange(count=2), key=lambda e: e["id"])
    assert counted["request"]["operation"] == "count_tokens" and counted["response"]["usage"]["inputTokens"] == 31
    assert counted["cost"]["pricedAs"] == "not billed (count_tokens)" and counted["cost"]["input"] == 0
    assert refused["status"] == 429 and refused["outcome"] == "http_error"
    assert refused["errorMessage"] == "Resource has been exhausted (e.g. check quota)."


def test_a_key_in_the_query_string_is_forwarded_and_never_written(gemini):
    mock, proxy, _ = gemini
    mock.enqueue(json_reply(gemini_response("ok")))
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}).encode()
    request = urllib.request.Request(f"{proxy.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent?key={KEY}", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["candidates"][0]["content"]["parts"][0]["text"] == "ok"
    assert mock.received[-1].path.endswith(f"?key={KEY}")  # upstream got it as sent
    [exchange] = proxy.wait_exchange()
    assert KEY not in exchange["target"] and exchange["response"]["usage"]["inputTokens"] == 8
    proxy.stop()  # everything written and closed
    no_key_in(proxy.home)


def test_a_json_array_stream_shows_its_usage_before_the_array_closes(gemini):
    # Without ?alt=sse Gemini streams one JSON array; ccglass reads each answer as it arrives.
    mock, proxy, _ = gemini
    chunks = [gemini_response("Hel", usage=gemini_usage(500, 1), finish=None),
              gemini_response("lo", usage=gemini_usage(500, 2), finish=None),
              gemini_response("!", usage=gemini_usage(500, 3))]
    mock.enqueue(gemini_array_reply(chunks, gap=0.8))
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    connection.request("POST", "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent", body=body,
                       headers={"Content-Type": "application/json", "x-goog-api-key": KEY})
    response = connection.getresponse()
    received = response.read1()  # the first element, alone: the others are still to come
    seen = None
    deadline = time.time() + 0.7
    while time.time() < deadline and not seen:
        rows = [r for r in proxy.rows() if r["phase"] != "finished" and r.get("usage")]
        seen = rows[0] if rows else None
        time.sleep(0.05)
    assert seen and seen["usage"]["inputTokens"] == 500 and seen["usage"]["outputTokens"] == 1
    assert seen["costUSD"] == pytest.approx((500 * 0.30 + 1 * 2.50) / 1e6, abs=1e-12)
    received += response.read()
    assert json.loads(received) == chunks  # the client got the array as sent
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["usage"]["outputTokens"] == 3 and exchange["response"]["text"] == "Hello!"
    assert exchange["response"]["finishReasons"] == ["STOP"] and exchange["outcome"] == "ok"


def test_code_assist_is_recorded_like_the_api_and_costs_the_api_equivalent(tmp_path):
    # The Gemini CLI signed in with Google: Code Assist wraps the request and each answer.
    mock = MockUpstream()
    proxy = Proxy(tmp_path / "home", {"code-assist": mock.url})
    try:
        usage = gemini_usage(prompt=1200, candidates=30, cached=1024, thoughts=45)
        answers = [gemini_response("Use a ", model="gemini-2.5-flash", usage=gemini_usage(prompt=1200, cached=1024), finish=None),
                   gemini_response("context manager.", model="gemini-2.5-flash", usage=usage)]
        mock.enqueue(code_assist_sse_reply(answers), json_reply({"response": answers[-1], "traceId": "t-2"}))
        wrapped = {"model": "gemini-2.5-flash", "project": "proj-1", "user_prompt_id": "cli-session-7########2",
                   "request": {"contents": [{"role": "user", "parts": [{"text": "how do I close files?"}]}], "session_id": "cli-session-7"}}
        headers = {"Content-Type": "application/json", "Authorization": "Bearer ya29.not-a-real-token-0123456789",
                   "User-Agent": "GeminiCLI/0.19.4/gemini-2.5-flash (linux; x64)"}
        for method in ("streamGenerateContent?alt=sse", "generateContent"):
            request = urllib.request.Request(f"{proxy.url}/code-assist/v1internal:{method}", data=json.dumps(wrapped).encode(), headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        streamed, plain = sorted(proxy.wait_exchange(count=2), key=lambda e: e["id"])
        assert mock.received[0].path == "/v1internal:streamGenerateContent?alt=sse"
        for exchange in (streamed, plain):
            u = exchange["response"]["usage"]
            assert (u["inputTokens"], u["cacheReadTokens"], u["outputTokens"], u["reasoningTokens"]) == (1200, 1024, 75, 45)
            assert exchange["response"]["text"] == ("Use a context manager." if exchange is streamed else "context manager.")
            assert exchange["client"] == "gemini-cli" and exchange["sessionID"] == "cli-session-7"
            assert exchange["billing"] == "subscription" and exchange["cost"]["pricedAs"] == "gemini:gemini-2.5-flash"
            assert cost_total(exchange["cost"]) == pytest.approx((176 * 0.30 + 1024 * 0.03 + 75 * 2.50) / 1e6, abs=1e-12)
        each = (176 * 0.30 + 1024 * 0.03 + 75 * 2.50) / 1e6
        # Everywhere a cost shows it says so: the dashboard's rows and usage, and the metric's label.
        assert all(r["apiEquivalent"] for r in proxy.rows())
        deadline = time.time() + 5
        while (usage := proxy.get_json("/api/usage?by=model"))["total"]["requests"] < 2 and time.time() < deadline:
            time.sleep(0.05)  # the history writes in batches
        assert usage["total"]["apiEquivalentUSD"] == pytest.approx(2 * each, abs=1e-12), usage
        with urllib.request.urlopen(proxy.url + "/metrics", timeout=10) as r:
            metrics = r.read().decode()
        [line] = [l for l in metrics.splitlines() if l.startswith("ccglass_cost_usd_total{") and 'provider="code-assist"' in l]
        assert 'billing="subscription"' in line and float(line.rsplit(" ", 1)[1]) == pytest.approx(2 * each, abs=1e-12)
    finally:
        proxy.stop()
        mock.close()


def test_cache_and_context_explain_a_gemini_cli_session(tmp_path):
    # Three Code Assist turns of one CLI session: cold, a hit, then an edited system instruction drops the
    # cache. `ccglass cache` names the cause and `ccglass context` splits each turn's input.
    mock = MockUpstream()
    proxy = Proxy(tmp_path / "home", {"code-assist": mock.url})
    try:
        system = {"role": "user", "parts": [{"text": "You are an interactive CLI agent. " * 400}]}
        tools = [{"functionDeclarations": [{"name": "read_file", "description": "Reads a file. " * 40,
                                            "parametersJsonSchema": {"type": "object", "properties": {"path": {"type": "string"}}}}]}]
        contents = [{"role": "user", "parts": [{"text": "what does setup.cfg pin?"}]}]
        turns = [(6000, 0), (6400, 5980), (6900, 0)]
        for turn, (prompt, cached) in enumerate(turns):
            if turn == 2:
                system = {"role": "user", "parts": [{"text": system["parts"][0]["text"] + "Be terse."}]}
            wrapped = {"model": "gemini-2.5-pro", "project": "proj-1", "user_prompt_id": f"cli-session-9########{turn}",
                       "request": {"contents": contents, "systemInstruction": system, "tools": tools, "session_id": "cli-session-9"}}
            mock.enqueue(code_assist_sse_reply([gemini_response("Reading.", model="gemini-2.5-pro",
                                                                usage=gemini_usage(prompt=prompt, candidates=20, cached=cached),
                                                                function_call={"name": "read_file", "args": {"path": "setup.cfg"}})]))
            request = urllib.request.Request(f"{proxy.url}/code-assist/v1internal:streamGenerateContent?alt=sse", data=json.dumps(wrapped).encode(),
                                             headers={"Content-Type": "application/json", "Authorization": "Bearer ya29.not-a-real-token-0123456789",
                                                      "User-Agent": "GeminiCLI/0.19.4/gemini-2.5-pro (linux; x64)"})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            contents = contents + [{"role": "model", "parts": [{"functionCall": {"name": "read_file", "args": {"path": "setup.cfg"}}}]},
                                   {"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "pytest==9\n" * 50}}}]}]
        exchanges = proxy.wait_exchange(count=3)
        proxy.wait_stored(3)  # the reports below read the history
        report = json.loads(cli(proxy, "cache", "cli-session-9", "--json"))
        assert [e["verdict"] for e in report["events"]] == ["cold", "hit", "miss"], report
        miss = report["events"][2]
        assert miss["cause"]["kind"] == "prefix_changed" and "system" in miss["cause"]["block"], miss
        assert miss["lostTokens"] == 6400 - 0
        # Lost tokens cost the plain input rate instead of the cache-read rate (Gemini 2.5 Pro, ≤200k).
        assert miss["lostUSD"] == pytest.approx(6400 * (1.25 - 0.125) / 1e6, abs=1e-9)
        # Signed in (Code Assist), so what was lost is the API-equivalent, and says so.
        assert miss["apiEquivalent"] and report["lostAPIEquivalentUSD"] == pytest.approx(report["lostUSD"])
        for exchange in exchanges:
            breakdown = json.loads(cli(proxy, "context", exchange["id"], "--json"))
            assert sum(p["tokens"] for p in breakdown["parts"]) == exchange["response"]["usage"]["inputTokens"]
            kinds = {(p["kind"], p.get("tool")) for p in breakdown["parts"]}
            assert ("system", None) in kinds and ("tool_schema", "read_file") in kinds, kinds
        last = max(exchanges, key=lambda e: e["id"])
        kinds = {(p["kind"], p.get("tool")) for p in json.loads(cli(proxy, "context", last["id"], "--json"))["parts"]}
        assert ("tool_result", "read_file") in kinds and ("tool_use", "read_file") in kinds, kinds
        text = cli(proxy, "cache", "cli-session-9")
        assert "prefix_changed" in text and miss["cause"]["block"] in text, text
        assert "lost ≈$0.0072" in text, text
    finally:
        proxy.stop()
        mock.close()


def cli(proxy, *args):
    result = subprocess.run([binary(), *args, "--data-dir", str(proxy.home)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout
