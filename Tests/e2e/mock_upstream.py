"""A mock LLM API upstream that speaks the real wire formats (Anthropic Messages, OpenAI Chat
Completions, OpenAI Responses), streamed and not, with scripted timing, errors, drops and gzip.

Tests enqueue `Reply` objects; a request with nothing enqueued gets a default answer for its path.
Every request is recorded byte for byte in `received`.
"""
import gzip
import json
import queue
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: list = field(default_factory=list)
    # (delay in seconds before the piece, bytes)
    chunks: list = field(default_factory=list)
    # close the connection abruptly after this many chunks (no terminating chunk)
    drop_after: int | None = None
    # with drop_after: the chunks before the drop leave in one write, followed by bytes that are not a
    # chunk, so a proxy reads the last good chunks and the broken framing together
    burst: bool = False
    # send Content-Length instead of chunked encoding
    content_length: bool = False
    # gzip the body as one stream, flushing after every chunk so it still streams
    gzip: bool = False
    # seconds to wait before sending the status line
    delay_headers: float = 0.0
    reason: str | None = None
    # a callable returning an iterable of byte chunks, for bodies too big to build in memory
    generate: object = None


@dataclass
class Received:
    method: str
    path: str
    headers: list
    body: bytes
    # set when the mock noticed the peer went away while it was still writing
    peer_closed: bool = False
    # (address, port) of the connection it came on
    peer: tuple = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def decoded(self):
        """The body as the real servers read it: Codex signed in with ChatGPT sends its requests zstd-compressed."""
        coding = (self.header("content-encoding") or "").lower()
        if coding == "zstd":
            import zstandard
            return zstandard.ZstdDecompressor().decompressobj().decompress(self.body)
        if coding == "gzip":
            import gzip
            return gzip.decompress(self.body)
        return self.body


def sse(events):
    """[(event name or None, dict or str)] -> SSE bytes, one event per piece."""
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        piece = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
        out.append(piece.encode())
    return out


# ---- Anthropic Messages -------------------------------------------------------------------------

def anthropic_usage(input_tokens=0, output_tokens=0, cache_read=0, cache_5m=0, cache_1h=0):
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_5m + cache_1h,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_5m, "ephemeral_1h_input_tokens": cache_1h},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def anthropic_stream_events(model="claude-sonnet-4-5-20250929", text="Hello there!", start_usage=None,
                            final_usage=None, tool_use=None, thinking=None, msg_id="msg_01MockStream",
                            stop_reason=None, safeguard_results=None):
    """The event list of a streamed Messages response. `final_usage` is what message_delta carries
    (cumulative, as Anthropic sends it); `safeguard_results` is auto mode's verdict on the tool calls,
    carried by that same final delta."""
    start_usage = start_usage or anthropic_usage(input_tokens=12, output_tokens=1)
    final_usage = final_usage or {"output_tokens": 5}
    events = [("message_start", {"type": "message_start", "message": {
        "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
    index = 0
    if thinking:
        events += [("content_block_start", {"type": "content_block_start", "index": index,
                                             "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
                   ("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": {"type": "thinking_delta", "thinking": thinking}}),
                   ("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}}),
                   ("content_block_stop", {"type": "content_block_stop", "index": index})]
        index += 1
    if text:
        events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                "content_block": {"type": "text", "text": ""}}))
        events.append(("ping", {"type": "ping"}))
        half = len(text) // 2
        for piece in (text[:half], text[half:]):
            if piece:
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                        "delta": {"type": "text_delta", "text": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    if tool_use:
        args = json.dumps(tool_use["input"])
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
            "type": "tool_use", "id": tool_use["id"], "name": tool_use["name"], "input": {}}}))
        third = max(1, len(args) // 3)
        for piece in (args[:third], args[third:2 * third], args[2 * third:]):
            if piece:
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                        "delta": {"type": "input_json_delta", "partial_json": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = stop_reason or ("tool_use" if tool_use else "end_turn")
    delta = {"stop_reason": stop, "stop_sequence": None}
    if safeguard_results is not None:
        delta["safeguard_results"] = safeguard_results
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def anthropic_message(model="claude-sonnet-4-5-20250929", text="Hello there!", usage=None, tool_use=None,
                      msg_id="msg_01MockJSON"):
    content = [{"type": "text", "text": text}] if text else []
    if tool_use:
        content.append({"type": "tool_use", "id": tool_use["id"], "name": tool_use["name"], "input": tool_use["input"]})
    return {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": "tool_use" if tool_use else "end_turn", "stop_sequence": None,
            "usage": usage or anthropic_usage(input_tokens=12, output_tokens=5)}


def anthropic_error(kind="overloaded_error", message="Overloaded"):
    return {"type": "error", "error": {"type": kind, "message": message}}


# ---- OpenAI Chat Completions ---------------------------------------------------------------------

def chat_usage(prompt=0, completion=0, cached=0, reasoning=0):
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


def chat_stream_chunks(model="gpt-4.1-2025-04-14", text="Hello there!", usage=None, include_usage=True,
                       tool_call=None, chunk_id="chatcmpl-Mock1"):
    base = {"id": chunk_id, "object": "chat.completion.chunk", "created": 1764000000, "model": model,
            "system_fingerprint": "fp_mock"}

    def chunk(choices, usage_value=None):
        c = dict(base, choices=choices)
        if include_usage:
            c["usage"] = usage_value
        return c

    chunks = [chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}])]
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        if piece:
            chunks.append(chunk([{"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}]))
    finish = "stop"
    if tool_call:
        finish = "tool_calls"
        args = json.dumps(tool_call["arguments"])
        chunks.append(chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": tool_call["id"], "type": "function",
                                                                      "function": {"name": tool_call["name"], "arguments": ""}}]},
                              "logprobs": None, "finish_reason": None}]))
        chunks.append(chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args}}]},
                              "logprobs": None, "finish_reason": None}]))
    chunks.append(chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}]))
    if include_usage:
        chunks.append(chunk([], usage or chat_usage(prompt=20, completion=4)))
    return [(None, c) for c in chunks] + [(None, "[DONE]")]


def chat_completion(model="gpt-4.1-2025-04-14", text="Hello there!", usage=None, tool_call=None):
    message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    if tool_call:
        message["tool_calls"] = [{"id": tool_call["id"], "type": "function",
                                  "function": {"name": tool_call["name"], "arguments": json.dumps(tool_call["arguments"])}}]
    return {"id": "chatcmpl-MockJSON", "object": "chat.completion", "created": 1764000000, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if tool_call else "stop"}],
            "usage": usage or chat_usage(prompt=20, completion=4), "system_fingerprint": "fp_mock"}


def openai_error(message="Rate limit reached", kind="rate_limit_error", code="rate_limit_exceeded"):
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# ---- OpenAI Responses ----------------------------------------------------------------------------

def responses_usage(input_tokens=0, output_tokens=0, cached=0, reasoning=0):
    return {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": input_tokens + output_tokens}


def responses_object(model="gpt-5-2025-08-07", text="Hello there!", usage=None, status="completed", resp_id="resp_mock1",
                     function_call=None):
    output = [{"id": "msg_mock1", "type": "message", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}]
    if function_call:
        output.append({"id": "fc_mock1", "type": "function_call", "status": "completed", "call_id": function_call["id"],
                       "name": function_call["name"], "arguments": json.dumps(function_call["arguments"])})
    return {"id": resp_id, "object": "response", "created_at": 1764000000, "status": status, "model": model,
            "output": output, "usage": usage or responses_usage(15, 6), "error": None, "incomplete_details": None,
            "instructions": None, "max_output_tokens": None, "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None}, "store": True, "temperature": 1.0,
            "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
            "truncation": "disabled", "user": None, "metadata": {}}


def responses_stream_events(model="gpt-5-2025-08-07", text="Hello there!", usage=None, function_call=None, resp_id="resp_mock1"):
    final = responses_object(model, text, usage, function_call=function_call, resp_id=resp_id)
    in_progress = dict(final, status="in_progress", output=[], usage=None)
    seq = iter(range(1000))
    item = {"id": "msg_mock1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    events = [
        {"type": "response.created", "sequence_number": next(seq), "response": in_progress},
        {"type": "response.in_progress", "sequence_number": next(seq), "response": in_progress},
        {"type": "response.output_item.added", "sequence_number": next(seq), "output_index": 0, "item": item},
        {"type": "response.content_part.added", "sequence_number": next(seq), "item_id": "msg_mock1", "output_index": 0,
         "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}},
    ]
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        if piece:
            events.append({"type": "response.output_text.delta", "sequence_number": next(seq), "item_id": "msg_mock1",
                           "output_index": 0, "content_index": 0, "delta": piece, "logprobs": []})
    events += [
        {"type": "response.output_text.done", "sequence_number": next(seq), "item_id": "msg_mock1", "output_index": 0,
         "content_index": 0, "text": text, "logprobs": []},
        {"type": "response.content_part.done", "sequence_number": next(seq), "item_id": "msg_mock1", "output_index": 0,
         "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": [], "logprobs": []}},
        {"type": "response.output_item.done", "sequence_number": next(seq), "output_index": 0, "item": final["output"][0]},
    ]
    if function_call:
        fc = final["output"][1]
        events += [
            {"type": "response.output_item.added", "sequence_number": next(seq), "output_index": 1, "item": dict(fc, arguments="", status="in_progress")},
            {"type": "response.function_call_arguments.delta", "sequence_number": next(seq), "item_id": "fc_mock1", "output_index": 1, "delta": fc["arguments"]},
            {"type": "response.function_call_arguments.done", "sequence_number": next(seq), "item_id": "fc_mock1", "output_index": 1, "arguments": fc["arguments"]},
            {"type": "response.output_item.done", "sequence_number": next(seq), "output_index": 1, "item": fc},
        ]
    events.append({"type": "response.completed", "sequence_number": next(seq), "response": final})
    return [(e["type"], e) for e in events]


# ---- Gemini ---------------------------------------------------------------------------------------

def gemini_usage(prompt=0, candidates=0, cached=0, thoughts=0, tool_use=0):
    """`usageMetadata` as the Gemini API writes it: prompt includes cached; thoughts are apart."""
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates,
             "totalTokenCount": prompt + candidates + thoughts + tool_use,
             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
    if cached:
        usage["cachedContentTokenCount"] = cached
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if tool_use:
        usage["toolUsePromptTokenCount"] = tool_use
    return usage


def gemini_response(text="Hello there!", model="gemini-2.5-flash", usage=None, finish="STOP", thought=None, function_call=None):
    parts = ([{"text": thought, "thought": True}] if thought else []) + ([{"text": text}] if text else [])
    if function_call:
        parts.append({"functionCall": function_call})
    candidate = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "usageMetadata": usage or gemini_usage(8, 3), "modelVersion": model,
            "responseId": "gem-resp-1"}


def gemini_sse_reply(chunks, gap=0.0):
    """`?alt=sse`: one response object per `data:` line, each frame ending in CRLF CRLF as Google's do."""
    pieces = [("data: " + json.dumps(c) + "\r\n\r\n").encode() for c in chunks]
    return Reply(headers=[("Content-Type", "text/event-stream"), ("x-goog-request-id", "gem-mock")],
                 chunks=[(gap if i else 0.0, p) for i, p in enumerate(pieces)])


def gemini_array_reply(chunks, gap=0.0):
    """`streamGenerateContent` without `alt=sse`: the answers as one JSON array, pretty-printed as Google
    writes it, each element leaving when it is ready."""
    pieces = ["[" + json.dumps(chunks[0], indent=2)] + [",\r\n" + json.dumps(c, indent=2) for c in chunks[1:]]
    pieces[-1] += "\n]"
    return Reply(headers=[("Content-Type", "application/json; charset=UTF-8")],
                 chunks=[(gap if i else 0.0, p.encode()) for i, p in enumerate(pieces)])


def code_assist_sse_reply(chunks, gap=0.0, trace="ca-trace-mock"):
    """Code Assist (`v1internal:streamGenerateContent?alt=sse`, the Gemini CLI signed in with Google):
    the Gemini API's answers, each wrapped as `{"response": …, "traceId": …}`."""
    return gemini_sse_reply([{"response": c, "traceId": trace} for c in chunks], gap=gap)


def gemini_error(code=429, status="RESOURCE_EXHAUSTED", message="Resource has been exhausted (e.g. check quota)."):
    return json_reply({"error": {"code": code, "message": message, "status": status}}, status=code)


# ---- rate limits ---------------------------------------------------------------------------------

def claude_plan_headers(five_hour, seven_day, five_reset, seven_reset, status="allowed", claim="five_hour", only_binding=False):
    """`anthropic-ratelimit-unified-*` as the API sends them to Claude Code signed in to a plan; a 429
    may carry `only_binding` (the overall status, claim, reset and the binding window alone)."""
    windows = {"5h": (five_hour, five_reset), "7d": (seven_day, seven_reset)}
    binding = "5h" if claim == "five_hour" else "7d"
    headers = [("anthropic-ratelimit-unified-status", status),
               ("anthropic-ratelimit-unified-reset", str(int(windows[binding][1]))),
               ("anthropic-ratelimit-unified-representative-claim", claim)]
    for name, (used, reset) in windows.items():
        if only_binding and name != binding:
            continue
        headers += [(f"anthropic-ratelimit-unified-{name}-utilization", f"{used:g}"),
                    (f"anthropic-ratelimit-unified-{name}-reset", str(int(reset))),
                    (f"anthropic-ratelimit-unified-{name}-status", "rejected" if used >= 1 else "allowed_warning" if used >= 0.8 else "allowed")]
    if not only_binding:
        headers += [("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
                    ("anthropic-ratelimit-unified-overage-status", "rejected"),
                    ("anthropic-ratelimit-unified-overage-disabled-reason", "org_level_disabled")]
    return headers


def anthropic_key_headers(requests=(4000, 3999), input_tokens=(2_000_000, 1_990_000), output_tokens=(400_000, 399_000), reset="2026-12-03T10:00:00Z"):
    """`anthropic-ratelimit-*` as an API key gets them (reset in RFC 3339)."""
    headers = []
    for kind, (limit, remaining) in (("requests", requests), ("input-tokens", input_tokens), ("output-tokens", output_tokens)):
        headers += [(f"anthropic-ratelimit-{kind}-limit", str(limit)), (f"anthropic-ratelimit-{kind}-remaining", str(remaining)),
                    (f"anthropic-ratelimit-{kind}-reset", reset)]
    return headers


def openai_ratelimit_headers(requests=(500, 499), tokens=(30000, 29000), reset_requests="120ms", reset_tokens="2s"):
    return [("x-ratelimit-limit-requests", str(requests[0])), ("x-ratelimit-remaining-requests", str(requests[1])),
            ("x-ratelimit-reset-requests", reset_requests), ("x-ratelimit-limit-tokens", str(tokens[0])),
            ("x-ratelimit-remaining-tokens", str(tokens[1])), ("x-ratelimit-reset-tokens", reset_tokens)]


def codex_headers(primary, secondary, primary_reset, secondary_reset):
    """`x-codex-*` as chatgpt.com's Codex backend sends them (percent used, window in minutes)."""
    return [("x-codex-primary-used-percent", f"{primary:g}"), ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-at", str(int(primary_reset))), ("x-codex-secondary-used-percent", f"{secondary:g}"),
            ("x-codex-secondary-window-minutes", "10080"), ("x-codex-secondary-reset-at", str(int(secondary_reset))),
            ("x-codex-active-limit", "codex"), ("x-codex-credits-has-credits", "false"), ("x-codex-credits-unlimited", "false")]


def codex_rate_limits_event(primary, secondary, primary_reset, secondary_reset, plan="plus"):
    """The `codex.rate_limits` message Codex's WebSocket sends ahead of a response's events."""
    return {"type": "codex.rate_limits", "plan_type": plan, "metered_limit_name": "codex",
            "rate_limits": {"primary": {"used_percent": primary, "window_minutes": 300, "reset_at": int(primary_reset)},
                            "secondary": {"used_percent": secondary, "window_minutes": 10080, "reset_at": int(secondary_reset)}},
            "credits": {"has_credits": False, "unlimited": False, "balance": None}}


# ---- replies -------------------------------------------------------------------------------------

def stream_reply(events, gap=0.0, status=200, headers=None, **kw):
    """An SSE reply, one event per chunk, `gap` seconds apart."""
    pieces = sse(events)
    return Reply(status=status, headers=[("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache"),
                                         ("request-id", "req_mock_stream")] + (headers or []),
                 chunks=[(gap if i else 0.0, p) for i, p in enumerate(pieces)], **kw)


def json_reply(obj, status=200, headers=None, **kw):
    body = json.dumps(obj).encode()
    return Reply(status=status, headers=[("Content-Type", "application/json"), ("request-id", "req_mock_json")] + (headers or []),
                 chunks=[(0.0, body)], content_length=True, **kw)


def default_reply(path, body):
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        request = {}
    model = request.get("model")
    streaming = bool(request.get("stream"))
    if "/messages" in path:
        if "count_tokens" in path:
            return json_reply({"input_tokens": 42})
        model = model or "claude-sonnet-4-5-20250929"
        return stream_reply(anthropic_stream_events(model=model)) if streaming else json_reply(anthropic_message(model=model))
    if "/chat/completions" in path:
        model = model or "gpt-4.1"
        include = bool((request.get("stream_options") or {}).get("include_usage"))
        return stream_reply(chat_stream_chunks(model=model, include_usage=include)) if streaming else json_reply(chat_completion(model=model))
    if "/responses" in path:
        model = model or "gpt-5"
        return stream_reply(responses_stream_events(model=model)) if streaming else json_reply(responses_object(model=model))
    return json_reply({"object": "list", "data": [{"id": "mock-model", "object": "model"}]})


class MockUpstream:
    def __init__(self, tls=None, idle_timeout=None):
        """`tls`: (certfile, keyfile) to serve HTTPS instead of HTTP. `idle_timeout`: seconds after which
        an idle kept-alive connection is closed, as API load balancers do."""
        self.replies = queue.Queue()
        self.received = []
        # monotonic time each chunk of the latest streamed reply left the mock (for timing tests)
        self.sent_at = []
        # body bytes of the latest reply exactly as written to the wire (after compression)
        self.sent_body = b""
        self.lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout

            def log_message(self, *args):
                pass

            def _body(self):
                length = self.headers.get("Content-Length")
                if length is not None:
                    return self.rfile.read(int(length))
                if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return b""

            def _handle(self):
                body = self._body()
                record = Received(self.command, self.path, list(self.headers.items()), body)
                record.peer = self.client_address
                with mock.lock:
                    mock.received.append(record)
                try:
                    reply = mock.replies.get_nowait()
                except queue.Empty:
                    reply = default_reply(self.path, record.decoded())
                if callable(reply):
                    reply = reply(record)
                try:
                    mock._send(self, reply)
                except (BrokenPipeError, ConnectionResetError):
                    record.peer_closed = True
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def enqueue(self, *replies):
        for r in replies:
            self.replies.put(r)

    def reset(self):
        with self.lock:
            self.received.clear()
        while not self.replies.empty():
            self.replies.get_nowait()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _send(self, handler, reply):
        if reply.delay_headers:
            time.sleep(reply.delay_headers)
        handler.send_response(reply.status, reply.reason)
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if reply.gzip else None
        pieces = []
        for delay, data in reply.chunks:
            pieces.append((delay, data))
        if reply.gzip:
            handler.send_header("Content-Encoding", "gzip")
        for k, v in reply.headers:
            handler.send_header(k, v)
        if reply.content_length and reply.drop_after is None:
            payload = b"".join(d for _, d in pieces)
            if compressor:
                payload = gzip.compress(payload)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if handler.command == "HEAD":  # the length of the body a GET would get, and no body
                handler.wfile.flush()
                self.sent_body = b""
                return
            handler.wfile.write(payload)
            handler.wfile.flush()
            self.sent_at = [time.monotonic()]
            self.sent_body = payload
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.flush()
        sent = []
        self.sent_body = b""
        if reply.generate:
            import hashlib
            digest, size = hashlib.sha256(), 0
            for data in reply.generate():
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                digest.update(data)
                size += len(data)
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
            self.generated = (size, digest.hexdigest())
            return
        burst = b""
        for i, (delay, data) in enumerate(pieces):
            if reply.drop_after is not None and i >= reply.drop_after:
                if burst:
                    handler.connection.sendall(burst + b"not-a-chunk-size\r\n")
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
                self.sent_at = sent
                return
            if delay:
                time.sleep(delay)
            if compressor:
                data = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if reply.burst:
                burst += b"%x\r\n%s\r\n" % (len(data), data)
            else:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                handler.wfile.flush()
            sent.append(time.monotonic())
            self.sent_body += data
        if compressor:
            tail = compressor.flush()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
            self.sent_body += tail
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
        self.sent_at = sent
