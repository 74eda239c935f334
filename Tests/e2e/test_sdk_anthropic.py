"""The official anthropic SDK through `ccglass serve`: answers intact, bodies byte-identical, headers and
auth forwarded, usage and cost recorded."""
import hashlib

import anthropic
import httpx2 as httpx
import pytest

from conftest import fake_key
from mock_upstream import anthropic_message, anthropic_stream_events, anthropic_usage, json_reply, stream_reply

KEY = fake_key("sdk-anthropic")


def client(proxy, sent, **kw):
    """An SDK client whose raw request bodies are captured in `sent` as they leave."""
    def hook(request):
        sent.append(request.read())
    http = httpx.Client(event_hooks={"request": [hook]})
    return anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", http_client=http, max_retries=0, **kw)


def test_streamed_message_arrives_intact_and_body_is_byte_identical(proxy, mock):
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", text="Hello from the mock!")))
    sent = []
    sdk = client(proxy, sent, api_key=KEY)
    with sdk.messages.stream(model="claude-sonnet-4-5", max_tokens=100,
                             messages=[{"role": "user", "content": "say hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the mock!"
    assert final.usage.output_tokens == 5
    assert final.stop_reason == "end_turn"
    assert len(mock.received) == 1
    got = mock.received[0]
    assert hashlib.sha256(got.body).hexdigest() == hashlib.sha256(sent[0]).hexdigest()
    assert got.path == "/v1/messages"
    assert got.header("authorization") == f"Bearer {KEY}"
    assert got.header("anthropic-version") == anthropic.Anthropic(api_key="x").default_headers["anthropic-version"]


def test_non_streamed_message_with_x_api_key_beta_query_and_headers(proxy, mock):
    mock.enqueue(json_reply(anthropic_message(text="plain json answer")))
    sent = []
    sdk = client(proxy, sent, auth_token="unused-placeholder-token-000",
                 default_headers={"x-api-key": KEY, "Authorization": anthropic.Omit() if hasattr(anthropic, "Omit") else ""})
    message = sdk.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                                  messages=[{"role": "user", "content": "hello"}],
                                  extra_headers={"anthropic-beta": "prompt-caching-2024-07-31,interleaved-thinking-2025-05-14",
                                                 "x-custom-trace": "abc123"},
                                  extra_query={"beta": "true"})
    assert message.content[0].text == "plain json answer"
    got = mock.received[0]
    assert got.path == "/v1/messages?beta=true"
    assert got.header("x-api-key") == KEY
    assert got.header("anthropic-beta") == "prompt-caching-2024-07-31,interleaved-thinking-2025-05-14"
    assert got.header("x-custom-trace") == "abc123"
    assert got.body == sent[0]


def test_cache_writes_and_cumulative_delta_usage_are_recorded_and_priced(proxy, mock):
    # message_start reports the prompt; message_delta repeats it cumulatively with the final output.
    start = anthropic_usage(input_tokens=1200, output_tokens=1, cache_read=30000, cache_5m=2000, cache_1h=4000)
    final = anthropic_usage(input_tokens=1200, output_tokens=350, cache_read=30000, cache_5m=2000, cache_1h=4000)
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", start_usage=start,
                                                      final_usage=final, text="cached answer")))
    sdk = client(proxy, [], api_key=KEY)
    with sdk.messages.stream(model="claude-sonnet-4-5", max_tokens=500,
                             messages=[{"role": "user", "content": "use the cache"}]) as stream:
        stream.get_final_message()
    [exchange] = proxy.wait_exchange()
    usage = exchange["response"]["usage"]
    assert usage["inputTokens"] == 1200 + 30000 + 2000 + 4000
    assert usage["outputTokens"] == 350  # replaced, not 1 + 350
    assert usage["cacheReadTokens"] == 30000
    assert usage["cacheWrite5mTokens"] == 2000
    assert usage["cacheWrite1hTokens"] == 4000
    assert usage["outputEstimated"] is False
    # Sonnet 4.5: $3 in, $15 out, $0.30 read, $3.75 5m write, $6 1h write per MTok.
    expected = (1200 * 3 + 350 * 15 + 30000 * 0.30 + 2000 * 3.75 + 4000 * 6) / 1e6
    cost = exchange["cost"]
    total = cost["input"] + cost["output"] + cost["cacheRead"] + cost["cacheWrite5m"] + cost["cacheWrite1h"]
    assert total == pytest.approx(expected, abs=1e-6)
    assert cost["pricedAs"] == "anthropic:claude-sonnet-4-5"
    assert exchange["response"]["model"] == "claude-sonnet-4-5-20250929"
    assert exchange["request"]["model"] == "claude-sonnet-4-5"
    assert exchange["outcome"] == "ok"
    assert exchange["client"] == "anthropic-python"


def test_tool_use_is_reassembled_from_json_deltas(proxy, mock):
    tool = {"id": "toolu_01Mock", "name": "Bash", "input": {"command": "ls -la", "description": "list"}}
    mock.enqueue(stream_reply(anthropic_stream_events(text="Let me look.", tool_use=tool)))
    sdk = client(proxy, [], api_key=KEY)
    with sdk.messages.stream(model="claude-sonnet-4-5", max_tokens=100,
                             messages=[{"role": "user", "content": "list files"}]) as stream:
        final = stream.get_final_message()
    assert final.content[1].input == tool["input"]
    [exchange] = proxy.wait_exchange()
    [call] = exchange["response"]["toolCalls"]
    assert call["name"] == "Bash" and call["id"] == "toolu_01Mock"
    import json
    assert json.loads(call["arguments"]) == tool["input"]
    assert exchange["response"]["finishReasons"] == ["tool_use"]
    assert exchange["response"]["text"] == "Let me look."
