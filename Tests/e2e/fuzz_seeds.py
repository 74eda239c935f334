"""Seed corpora for scripts/fuzz: real wire streams from the mock upstream and real Claude Code bodies."""
import gzip
import json
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mock_upstream import (anthropic_error, anthropic_message, anthropic_stream_events, anthropic_usage, chat_completion,  # noqa: E402
                           chat_stream_chunks, gemini_error, gemini_response, gemini_sse_reply, gemini_usage,
                           responses_object, responses_stream_events, sse, claude_plan_headers, anthropic_key_headers,
                           openai_ratelimit_headers, codex_headers, codex_rate_limits_event)

out = Path(sys.argv[1])
fixtures = Path(__file__).parents[1] / "Fixtures" / "claude-code"
tool = {"id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
streams = {
    "anthropic": [b"".join(sse(anthropic_stream_events(tool_use=tool, thinking="hmm", start_usage=anthropic_usage(10, 1, 5, 3, 2)))),
                  json.dumps(anthropic_message(tool_use=tool)).encode(), json.dumps(anthropic_error()).encode(),
                  # auto mode's verdicts on the final delta (AutoModeReview.swift)
                  b"".join(sse(anthropic_stream_events(tool_use=tool, safeguard_results=[{"type": "dangerous_tool_use", "status": {
                      "type": "available", "tool_uses": {"toolu_1": {"type": "evaluated", "outcome": "flagged", "explanation": "x",
                                                                     "cited_rule": {"type": "soft_deny", "path": "p"}}}}}])))],
    "chat": [b"".join(sse(chat_stream_chunks(tool_call={"id": "c1", "name": "f", "arguments": {"a": 1}}))), json.dumps(chat_completion()).encode()],
    "responses": [b"".join(sse(responses_stream_events(function_call={"id": "c1", "name": "f", "arguments": {}}))), json.dumps(responses_object()).encode()],
}
gemini_chunks = [gemini_response("Hel", thought="t", usage=gemini_usage(9, 1), finish=None),
                 gemini_response("lo", usage=gemini_usage(9, 2, cached=4, thoughts=3), function_call={"name": "f", "args": {"a": 1}})]
streams["gemini"] = [b"".join(p for _, p in gemini_sse_reply(gemini_chunks).chunks), json.dumps(gemini_chunks).encode(),
                     json.dumps({"response": gemini_chunks[1]}).encode(), gemini_error().chunks[0][1], b'{"totalTokens":31}']
streams["sse"] = streams["anthropic"][:1] + streams["chat"][:1] + [b"data: a\r\ndata: b\r\r: c\n\nevent: x\ndata: {}\n\n"]
streams["json"] = [json.dumps(json.load(open(f))["body"]).encode()[:60000] for f in sorted(fixtures.glob("*.json"))]
streams["request"] = [json.dumps(json.load(open(f))["body"]).encode() for f in sorted(fixtures.glob("*.json"))] + [
    json.dumps({"model": "gpt-5.5", "instructions": "x", "input": [{"type": "function_call", "call_id": "c", "name": "shell", "arguments": "{}"},
                                                                  {"type": "function_call_output", "call_id": "c", "output": "ok"}]}).encode(),
    json.dumps({"model": "gemini-2.5-pro", "project": "p", "request": {"contents": [
        {"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"ok": True}}}]}],
        "systemInstruction": {"parts": [{"text": "s"}]}, "tools": [{"functionDeclarations": [{"name": "f"}]}],
        "generationConfig": {"thinkingConfig": {"include_thoughts": True}}}}).encode(),
    json.dumps({"model": "deepseek-chat", "messages": [{"role": "assistant", "reasoning_content": "r", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]},
                                                       {"role": "tool", "tool_call_id": "c", "content": "ok"}]}).encode()]
streams["request"].append(json.dumps({"model": "claude-opus-5-5", "messages": [{"role": "user", "content": "x"}], "safeguards": [
    {"type": "dangerous_tool_use", "classifier_context": {"v": 1, "permission_mode": "auto", "refused_calls": ["toolu_1"]}}]}).encode())
streams["gzip"] = [gzip.compress(s) for s in streams["sse"]] + [zlib.compress(streams["json"][0])]


def ws_frame(payload, opcode=1, fin=True, rsv1=False, mask=b"\x01\x02\x03\x04"):
    """A WebSocket frame as a client (masked) or a server (mask None) sends it."""
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    head += bytes([bit | n]) if n < 126 else bytes([bit | 126]) + n.to_bytes(2, "big") if n < 65536 else bytes([bit | 127]) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def deflated(payload, compressor):
    return compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)[:-4]


events = [json.dumps(e).encode() for _, e in responses_stream_events()]
window = zlib.compressobj(wbits=-15)
streams["websocket"] = [
    b"".join(ws_frame(e) for e in events),
    b"".join(ws_frame(deflated(e, window), rsv1=True) for e in events),
    ws_frame(events[0][:10], fin=False) + ws_frame(b"", opcode=9) + ws_frame(events[0][10:], opcode=0) + ws_frame(b"\x03\xe8bye", opcode=8),
    b"".join(ws_frame(e, mask=None) for e in events[:3]),
]
def header_block(headers):
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode()


streams["ratelimits"] = [header_block(claude_plan_headers(0.83, 1.04, 1780003600, 1780400000)),
                         header_block(claude_plan_headers(1.0, 0.5, 1780003600, 1780400000, status="rejected", only_binding=True) + [("retry-after", "60")]),
                         header_block(anthropic_key_headers()), header_block(openai_ratelimit_headers(reset_tokens="1m30.5s")),
                         header_block(codex_headers(42.5, 12, 1780010000, 1780400000)),
                         json.dumps(codex_rate_limits_event(40, 5, 1780009000, 1780600000)).encode()]
import zstandard  # noqa: E402
# The first byte picks the coding (0 zstd, 1 gzip, 2 deflate): Codex's zstd bodies, streamed and whole.
bodies = streams["request"][:2]
streams["requestcoding"] = [b"\x00" + zstandard.ZstdCompressor().compress(b) for b in bodies] + [
    b"\x00" + zstandard.ZstdCompressor(write_content_size=False).compress(bodies[0]),
    b"\x01" + gzip.compress(bodies[0]), b"\x02" + zlib.compress(bodies[1])]
# A receiver's answers: protobuf and JSON partial successes, an empty one, a Retry-After date.
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2  # noqa: E402
answer = trace_service_pb2.ExportTraceServiceResponse()
answer.partial_success.rejected_spans = 3
answer.partial_success.error_message = "span too large"
streams["otlpresponse"] = [answer.SerializeToString(), b'{"partialSuccess":{"rejectedSpans":"3","errorMessage":"x"}}', b"{}",
                           b"Wed, 21 Oct 2026 07:28:00 GMT"]
raw_targets = {"requestcoding", "otlpresponse", "json"}  # targets that read their input whole, with no cut byte
for target, seeds in streams.items():
    (out / target).mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds):
        (out / target / f"seed-{i}").write_bytes(seed if target in raw_targets else b"\x07" + seed)
print(f"seeded {sum(len(s) for s in streams.values())} inputs in {out}")
