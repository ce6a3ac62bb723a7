"""A scripted HTTP server on 127.0.0.1 that speaks just enough of the OpenAI chat-completions
and Anthropic Messages streaming protocols for the real SDKs to talk to it.

Each test queues ``Reply``s; every POST takes the next one and is recorded (path, headers,
JSON body). Streams use chunked transfer encoding, so ``cut_after`` can drop the connection
mid-body and the client sees a broken stream rather than a short, complete one.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    status: int = 200
    events: list[str] = field(default_factory=list)  # SSE blocks, sent one chunk each
    json_body: Any = None  # for error replies
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # drop the connection after this many events
    hold: threading.Event | None = None  # wait for this before answering (timeouts)
    raw: bytes | None = None  # a 200 whose body is these bytes, not SSE (``content_type`` names it)
    content_type: str = "application/json"
    stall_after: int | None = None  # after this many events, keep the connection open and send nothing


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any
    at: float = field(default_factory=time.monotonic)  # when it arrived (Retry-After was waited for)


class ScriptedServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Recorded] = []
        self.models: list[str] = ["m"]
        self.always: Reply | None = None  # answered once the script runs out (a server that always fails)
        self.respond: Callable[[Recorded], Reply | None] | None = None  # answers by request body, before the script
        self._lock = threading.Lock()
        self.stalled = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            chosen = self.respond(recorded) if self.respond is not None else None
            if chosen is not None:
                return chosen
            if not self.replies and self.always is not None:
                return self.always
            if not self.replies:
                return Reply(status=500, json_body={"error": {"message": "test server: no reply scripted"}})
            return self.replies.pop(0)

    def start(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stalled.set()
        for reply in self.replies:
            if reply.hold is not None:
                reply.hold.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            server.requests.append(Recorded("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, None))
            if self.path.rstrip("/").endswith("/models"):
                self._send_json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})
            else:
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = raw.decode(errors="replace")
            reply = server.next_reply(Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if reply.hold is not None:
                reply.hold.wait(timeout=600)  # stop() sets it
            if reply.status == 200 and reply.raw is not None:
                self._send_bytes(200, reply.raw, reply.content_type, reply.headers)
                return
            if reply.status != 200:
                self._send_json(reply.status, reply.json_body, reply.headers)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for number, event in enumerate(reply.events):
                if reply.stall_after is not None and number >= reply.stall_after:
                    server.stalled.wait(timeout=600)  # stop() sets it
                    self.close_connection = True
                    return
                if reply.cut_after is not None and number >= reply.cut_after:
                    self.close_connection = True  # no terminating chunk: the body is incomplete
                    return
                data = event.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            if reply.stall_after is not None:  # every event sent, the end never comes
                server.stalled.wait(timeout=600)
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self._send_bytes(status, data, "application/json" if not isinstance(body, bytes) else "text/html", headers)

        def _send_bytes(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


# -- OpenAI chat-completions stream ------------------------------------------------------------

def openai_event(content: str | None = None, reasoning: str | None = None, field: str = "reasoning",
                 finish: str | None = None) -> str:
    delta: dict[str, Any] = {}
    if reasoning is not None:
        delta[field] = reasoning
    if content is not None:
        delta["content"] = content
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n"


OPENAI_DONE = "data: [DONE]\n\n"


def openai_stream(reasoning: list[str] = (), content: list[str] = (), field: str = "reasoning",
                  finish: str = "stop", **kw: Any) -> Reply:
    events = [openai_event(content="", reasoning=None)]  # role-only first delta, as servers send
    events += [openai_event(reasoning=r, field=field) for r in reasoning]
    events += [openai_event(content=c) for c in content]
    events += [openai_event(finish=finish), OPENAI_DONE]
    return Reply(events=events, **kw)


def openai_error(status: int, message: str, **kw: Any) -> Reply:
    return Reply(status=status, json_body={"error": {"message": message, "type": "error", "code": status}}, **kw)


# -- Anthropic Messages stream -----------------------------------------------------------------

def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def anthropic_stream(thinking: list[str] = (), text: list[str] = (), tool_json: list[str] = (), **kw: Any) -> Reply:
    events = [_sse("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}})]
    index = 0
    blocks = [("thinking", {"type": "thinking", "thinking": "", "signature": ""}, "thinking_delta", "thinking", thinking),
              ("text", {"type": "text", "text": ""}, "text_delta", "text", text),
              ("tool", {"type": "tool_use", "id": "toolu_1", "name": "Verdict", "input": {}}, "input_json_delta",
               "partial_json", tool_json)]
    for _, start, delta_type, key, pieces in blocks:
        if not pieces:
            continue
        events.append(_sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}))
        for piece in pieces:
            events.append(_sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": delta_type, key: piece}}))
        events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    events.append(_sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                         "usage": {"output_tokens": 15}}))
    events.append(_sse("message_stop", {"type": "message_stop"}))
    return Reply(events=events, **kw)


def anthropic_error(status: int, kind: str, message: str, **kw: Any) -> Reply:
    return Reply(status=status, json_body={"type": "error", "error": {"type": kind, "message": message}}, **kw)
