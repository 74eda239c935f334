"""The official openai SDK through `ccglass serve`: Chat Completions and Responses, streamed, not, and
through the stream helpers; cached and reasoning tokens recorded and priced."""
import json

import httpx2 as httpx
import openai
import pytest

from conftest import fake_key
from mock_upstream import (chat_completion, chat_stream_chunks, chat_usage, json_reply, responses_object,
                           responses_stream_events, responses_usage, stream_reply)

KEY = fake_key("sdk-openai")


def client(proxy, sent, provider="openai"):
    def hook(request):
        sent.append(request.read())
    return openai.OpenAI(base_url=f"{proxy.url}/{provider}/v1", api_key=KEY, max_retries=0,
                         http_client=httpx.Client(event_hooks={"request": [hook]}))


def cost_total(cost):
    return cost["input"] + cost["output"] + cost["cacheRead"] + cost["cacheWrite5m"] + cost["cacheWrite1h"]


def test_chat_stream_with_include_usage_records_cached_and_reasoning_tokens(proxy, mock):
    usage = chat_usage(prompt=5000, completion=800, cached=4096, reasoning=300)
    mock.enqueue(stream_reply(chat_stream_chunks(model="o4-mini-2025-04-16", text="Reasoned answer.", usage=usage)))
    sent = []
    stream = client(proxy, sent).chat.completions.create(
        model="o4-mini", messages=[{"role": "user", "content": "think"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Reasoned answer."
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens == 4096
    got = mock.received[0]
    assert got.path == "/v1/chat/completions"
    assert got.body == sent[0]
    assert got.header("authorization") == f"Bearer {KEY}"

    [exchange] = proxy.wait_exchange()
    u = exchange["response"]["usage"]
    assert (u["inputTokens"], u["outputTokens"], u["cacheReadTokens"], u["reasoningTokens"]) == (5000, 800, 4096, 300)
    assert u["cacheWrite5mTokens"] == 0 and u["cacheWrite1hTokens"] == 0
    # o4-mini: $1.10 in, $0.275 cached, $4.40 out per MTok; prompt_tokens includes the cached ones.
    expected = ((5000 - 4096) * 1.10 + 4096 * 0.275 + 800 * 4.40) / 1e6
    assert cost_total(exchange["cost"]) == pytest.approx(expected, abs=1e-6)
    assert exchange["cost"]["pricedAs"] == "openai:o4-mini"
    assert exchange["client"] == "openai-python"
    assert exchange["response"]["finishReasons"] == ["stop"]


def test_chat_stream_helper_and_tool_calls(proxy, mock):
    call = {"id": "call_mock1", "name": "get_weather", "arguments": {"city": "Paris"}}
    mock.enqueue(stream_reply(chat_stream_chunks(model="gpt-4.1-2025-04-14", text="", tool_call=call)))
    with client(proxy, []).chat.completions.stream(
            model="gpt-4.1", messages=[{"role": "user", "content": "weather?"}],
            tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
            stream_options={"include_usage": True}) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.tool_calls[0].function.name == "get_weather"
    [exchange] = proxy.wait_exchange()
    [recorded] = exchange["response"]["toolCalls"]
    assert recorded["name"] == "get_weather" and json.loads(recorded["arguments"]) == {"city": "Paris"}
    assert exchange["response"]["finishReasons"] == ["tool_calls"]
    assert exchange["request"]["toolCount"] == 1


def test_chat_stream_without_usage_is_recorded_without_usage_not_guessed(proxy, mock):
    mock.enqueue(stream_reply(chat_stream_chunks(model="gpt-4.1", text="no usage here", include_usage=False)))
    chunks = list(client(proxy, []).chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "no usage here"
    [exchange] = proxy.wait_exchange()
    assert exchange["response"].get("usage") is None
    assert exchange.get("cost") is None
    assert exchange["response"]["text"] == "no usage here"


def test_chat_non_streamed(proxy, mock):
    mock.enqueue(json_reply(chat_completion(model="gpt-4o-mini-2024-07-18", text="json reply",
                                            usage=chat_usage(prompt=100, completion=10))))
    sent = []
    reply = client(proxy, sent).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "json reply"
    assert mock.received[0].body == sent[0]
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["usage"]["inputTokens"] == 100
    assert cost_total(exchange["cost"]) == pytest.approx((100 * 0.15 + 10 * 0.60) / 1e6, abs=1e-9)


def test_responses_stream_and_helper(proxy, mock):
    usage = responses_usage(input_tokens=9000, output_tokens=1200, cached=8000, reasoning=1000)
    mock.enqueue(stream_reply(responses_stream_events(model="gpt-5-2025-08-07", text="Responses streamed.", usage=usage)))
    sent = []
    events = list(client(proxy, sent).responses.create(model="gpt-5", input="hello", stream=True))
    assert events[-1].type == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Responses streamed."
    assert mock.received[0].path == "/v1/responses"
    assert mock.received[0].body == sent[0]
    [exchange] = proxy.wait_exchange()
    u = exchange["response"]["usage"]
    assert (u["inputTokens"], u["outputTokens"], u["cacheReadTokens"], u["reasoningTokens"]) == (9000, 1200, 8000, 1000)
    expected = (1000 * 1.25 + 8000 * 0.125 + 1200 * 10) / 1e6
    assert cost_total(exchange["cost"]) == pytest.approx(expected, abs=1e-6)
    assert exchange["response"]["id"] == "resp_mock1"

    call = {"id": "call_r1", "name": "lookup", "arguments": {"q": "x"}}
    mock.enqueue(stream_reply(responses_stream_events(model="gpt-5-2025-08-07", text="With a call.", function_call=call)))
    with client(proxy, []).responses.stream(model="gpt-5", input="again") as stream:
        final = stream.get_final_response()
    assert final.output_text == "With a call."
    newest = proxy.wait_exchange(count=2)[0]
    assert newest["response"]["toolCalls"][0]["name"] == "lookup"


def test_responses_non_streamed(proxy, mock):
    mock.enqueue(json_reply(responses_object(model="gpt-5-mini-2025-08-07", text="plain responses",
                                             usage=responses_usage(input_tokens=300, output_tokens=40))))
    reply = client(proxy, []).responses.create(model="gpt-5-mini", input="hi")
    assert reply.output_text == "plain responses"
    [exchange] = proxy.wait_exchange()
    assert exchange["cost"]["pricedAs"] == "openai:gpt-5-mini"
    assert cost_total(exchange["cost"]) == pytest.approx((300 * 0.25 + 40 * 2) / 1e6, abs=1e-9)


def test_unknown_model_is_unpriced_not_free(proxy, mock):
    mock.enqueue(json_reply(chat_completion(model="totally-new-model-9", usage=chat_usage(prompt=10, completion=2))))
    client(proxy, []).chat.completions.create(model="totally-new-model-9", messages=[{"role": "user", "content": "hi"}])
    [exchange] = proxy.wait_exchange()
    assert exchange["response"]["usage"]["inputTokens"] == 10
    assert exchange.get("cost") is None


def test_deepseek_cache_hit_fields(proxy, mock):
    usage = {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050,
             "prompt_cache_hit_tokens": 900, "prompt_cache_miss_tokens": 100}
    mock.enqueue(json_reply(chat_completion(model="deepseek-chat", usage=usage)))
    client(proxy, [], provider="deepseek").chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    [exchange] = proxy.wait_exchange()
    assert exchange["provider"] == "deepseek"
    assert exchange["response"]["usage"]["cacheReadTokens"] == 900
    assert cost_total(exchange["cost"]) == pytest.approx((100 * 0.28 + 900 * 0.028 + 50 * 0.42) / 1e6, abs=1e-9)
