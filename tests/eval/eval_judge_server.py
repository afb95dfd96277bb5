"""A fake OpenAI-compatible judge on 127.0.0.1 for tests: bounded, and it stops by itself."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LIFETIME_S = 60.0


def scripted_reply(prompt: str) -> str:
    """CORRECT when the given answer contains the reference answer's first word (as a lenient
    judge would); "maybe" (an unreadable verdict) for answers containing "unsure"."""
    given = re.search(r"Given answer: (.*?)\n\n", prompt, re.DOTALL)
    gold = re.search(r"Reference answer: (.*?)\n\n", prompt, re.DOTALL)
    if given is None or gold is None:
        return "CORRECT"
    if "unsure" in given.group(1):
        return "maybe"
    first = gold.group(1).split(".")[0].split()[0].lower()
    verdict = re.search(rf"\b{re.escape(first)}\b", given.group(1).lower()) is not None
    return "CORRECT" if verdict else "INCORRECT. The correct answer differs."


@contextmanager
def judge_server(fail_first: int = 0) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yields (base URL ending in /v1, list of received request bodies). The first `fail_first`
    requests get HTTP 503. The server thread ends on exit or after LIFETIME_S seconds."""
    received: list[dict[str, Any]] = []
    failures = {"left": fail_first}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                received.append({"path": self.path, "body": body})
                fail = failures["left"] > 0
                failures["left"] -= 1
            if fail:
                self.send_response(503)
                self.end_headers()
                return
            reply = scripted_reply(body["messages"][0]["content"])
            payload = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": reply}}]}
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 0.1
    stop = threading.Event()
    deadline = time.monotonic() + LIFETIME_S

    def serve() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.server_close()
