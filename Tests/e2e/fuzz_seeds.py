"""Seed corpora for scripts/fuzz: real wire streams from the mock upstream and real Claude Code bodies."""
import gzip
import json
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mock_upstream import (anthropic_error, anthropic_message, anthropic_stream_events, anthropic_usage, chat_completion,  # noqa: E402
                           chat_stream_chunks, responses_object, responses_stream_events, sse)

out = Path(sys.argv[1])
fixtures = Path(__file__).parents[1] / "Fixtures" / "claude-code"
tool = {"id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
streams = {
    "anthropic": [b"".join(sse(anthropic_stream_events(tool_use=tool, thinking="hmm", start_usage=anthropic_usage(10, 1, 5, 3, 2)))),
                  json.dumps(anthropic_message(tool_use=tool)).encode(), json.dumps(anthropic_error()).encode()],
    "chat": [b"".join(sse(chat_stream_chunks(tool_call={"id": "c1", "name": "f", "arguments": {"a": 1}}))), json.dumps(chat_completion()).encode()],
    "responses": [b"".join(sse(responses_stream_events(function_call={"id": "c1", "name": "f", "arguments": {}}))), json.dumps(responses_object()).encode()],
}
streams["sse"] = streams["anthropic"][:1] + streams["chat"][:1] + [b"data: a\r\ndata: b\r\r: c\n\nevent: x\ndata: {}\n\n"]
streams["json"] = [json.dumps(json.load(open(f))["body"]).encode()[:60000] for f in sorted(fixtures.glob("*.json"))]
streams["request"] = [json.dumps(json.load(open(f))["body"]).encode() for f in sorted(fixtures.glob("*.json"))] + [
    json.dumps({"model": "gpt-5.5", "instructions": "x", "input": [{"type": "function_call", "call_id": "c", "name": "shell", "arguments": "{}"},
                                                                  {"type": "function_call_output", "call_id": "c", "output": "ok"}]}).encode(),
    json.dumps({"model": "deepseek-chat", "messages": [{"role": "assistant", "reasoning_content": "r", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]},
                                                       {"role": "tool", "tool_call_id": "c", "content": "ok"}]}).encode()]
streams["gzip"] = [gzip.compress(s) for s in streams["sse"]] + [zlib.compress(streams["json"][0])]
for target, seeds in streams.items():
    (out / target).mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds):
        (out / target / f"seed-{i}").write_bytes(b"\x07" + seed)
print(f"seeded {sum(len(s) for s in streams.values())} inputs in {out}")
