"""A mock of the Responses API over WebSocket, as Codex uses it: `GET /v1/responses` upgraded (with
permessage-deflate when the client offers it), then `response.create` messages in and the events of
each response out, the same JSON objects as the SSE stream's `data:` lines. Built on `websockets`, a
real implementation of the protocol, so frames, masking and compression are as a real server's."""
import asyncio
import json
import threading
import time

from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers

from mock_upstream import responses_object, responses_stream_events, responses_usage


class MockWebSocket:
    """Runs in a thread. `script(request, ws)` may be replaced per test: an async function that answers
    one request message; the default streams a response with `usage` and `gap` seconds between events."""

    def __init__(self, usage=None, gap=0.0, refuse=None, compression="deflate", headers=None):
        self.usage = usage or responses_usage(input_tokens=1200, output_tokens=30, cached=1000, reasoning=10)
        self.gap = gap
        self.refuse = refuse  # an HTTP status to answer the upgrade with instead of 101
        self.compression = compression
        self.extra_headers = headers or {}
        self.handshakes = []  # request headers of each upgrade, as (name, value) pairs
        self.messages = []  # every message the client sent, as received
        self.sent_at = []  # (time, event type) of each event sent
        self.close_codes = []  # the close code each connection ended with, as the client sent it
        self.script = self.stream
        self.responses = 0  # responses answered, each with its own id
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    async def stream(self, request, ws, text="hi from ws", function_call=None):
        self.responses += 1
        resp_id = f"resp_ws{self.responses}"
        model = request.get("model", "gpt-5.6-sol")
        if request.get("generate") is False:
            # A prewarm: the real server creates and completes a response with no output.
            final = responses_object(model, "", self.usage, resp_id=resp_id)
            final["output"] = []
            events = [("", {"type": "response.created", "sequence_number": 0, "response": dict(final, status="in_progress", usage=None)}),
                      ("", {"type": "response.completed", "sequence_number": 1, "response": final})]
        else:
            events = responses_stream_events(model=model, text=text, usage=self.usage, resp_id=resp_id, function_call=function_call)
        for _, event in events:
            await ws.send(json.dumps(event))
            self.sent_at.append((time.monotonic(), event["type"]))
            if self.gap:
                await asyncio.sleep(self.gap)

    def _process_request(self, connection, request):
        self.handshakes.append(list(request.headers.raw_items()))
        if self.refuse:
            body = json.dumps({"error": {"message": "websockets are not enabled", "type": "invalid_request_error"}}).encode()
            return Response(self.refuse, "Upgrade Required", Headers({"content-type": "application/json",
                                                                      "content-length": str(len(body))}), body)
        return None

    def _process_response(self, connection, request, response):
        for name, value in self.extra_headers.items():
            response.headers[name] = value
        return response

    async def _handler(self, ws):
        try:
            await self._serve_messages(ws)
        finally:
            self.close_codes.append(ws.close_code)

    async def _serve_messages(self, ws):
        async for message in ws:
            self.messages.append(message)
            try:
                request = json.loads(message)
            except ValueError:
                continue
            if request.get("type") == "response.create":
                await self.script(request, ws)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self):
        self._stop = asyncio.Event()
        compression = "deflate" if self.compression == "deflate" else None
        async with serve(self._handler, "127.0.0.1", 0, process_request=self._process_request,
                         process_response=self._process_response, compression=compression, max_size=None,
                         ping_interval=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def close(self):
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
