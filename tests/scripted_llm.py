"""A scripted OpenAI-compatible endpoint (stdlib HTTP server) that plays the LLM in tests:
errors, rate limits, garbage, silence, or a fixed reply ("say:TEXT")."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import free_port


class ScriptedLLM:
    """Replies to /v1/chat/completions following a script of behaviours, one per request."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        self.model_id = "scripted-model"  # what GET /v1/models reports
        # Translation requests (prompts/translate.*.md) take no step of the script: they get
        # the translation given here for their question, or an empty reply (no translation).
        self.translations: dict[str, str] = {}
        self.translated: list[str] = []
        self.port = free_port()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self.send_error(404)
                    return
                data = json.dumps({"object": "list", "data": [{"id": outer.model_id}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data.encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                asked = re.search(r"^Question: (.*)$", prompt, re.M)
                if prompt.startswith("Translate this") and asked:
                    outer.translated.append(asked.group(1))
                    action = "say:" + outer.translations.get(asked.group(1), "")
                else:
                    outer.requests.append(body)
                    action = outer.script.pop(0) if outer.script else "cite"
                if action in ("500", "429"):
                    self.send_response(int(action))
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "scripted failure"}}')
                    return
                if action == "hang":
                    time.sleep(5)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if action == "garbage":
                    self.wfile.write(b"data: {not json at all\n\n")
                    return
                if action == "trickle":  # a piece every 0.2 s, for ever (until the client goes)
                    try:
                        for _ in range(600):
                            chunk = {"choices": [{"index": 0, "delta": {"content": "x "}}]}
                            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass
                    return
                for piece in outer.reply(body, action):
                    chunk = {
                        "id": "x",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "m",
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, body: dict, action: str) -> list[str]:
        prompt = body["messages"][-1]["content"]
        if action == "hacked":
            return ["HACKED"]
        if action.startswith("say:"):  # a fixed reply, streamed in two pieces
            text = action[4:]
            return [text[: len(text) // 2], text[len(text) // 2 :]]
        # Cite the passage that really holds the Erdogan sentence, plus a made-up claim.
        n = next(
            m.group(1)
            for m in re.finditer(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', prompt, re.S)
            if "Erdogan" in m.group(2)
        )
        return [
            "Erdogan demanded the withdrawal ",
            f"of Armenian forces [{n}]. ",
            "He also bought a yacht [9].",
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture()
def scripted():
    servers: list[ScriptedLLM] = []

    def start(*script: str) -> ScriptedLLM:
        servers.append(ScriptedLLM(list(script)))
        return servers[-1]

    yield start
    for s in servers:
        s.close()
