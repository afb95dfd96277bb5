"""A judge behind an OpenAI-compatible chat-completions endpoint, called with urllib only.

Used only when the user passes `--judge-url`. Requests are deterministic (temperature 0) and a
few run at once; a server error or timeout is retried, then recorded as an unreadable verdict.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from zeroplay.eval.judge_prompt import JudgeQuery, read_verdict
from zeroplay.eval.records import JudgeVerdict

CHAT_PATH = "/chat/completions"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class JudgeUnavailable(RuntimeError):
    """The judge endpoint cannot be used at all (bad URL, unreachable, refuses requests)."""


def chat_completions_url(url: str) -> str:
    """`url` as a chat-completions endpoint: a base such as http://host:8000/v1 gets the path."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise JudgeUnavailable(f"judge URL {url!r} must start with http:// or https://")
    trimmed = url.rstrip("/")
    return trimmed if trimmed.endswith(CHAT_PATH) else trimmed + CHAT_PATH


@dataclass(frozen=True)
class HttpJudgeSettings:
    url: str
    model: str
    max_tokens: int = 16
    timeout_s: float = 60.0
    retries: int = 2
    concurrency: int = 4
    api_key_env: str = "OPENAI_API_KEY"


class HttpJudge:
    """Judges queries through an OpenAI-compatible endpoint (see the module docstring)."""

    def __init__(self, settings: HttpJudgeSettings) -> None:
        self.settings = settings
        self.url = chat_completions_url(settings.url)

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "kind": "openai-compatible endpoint",
            "url": self.url,
            "model": s.model,
            "decoding": {"temperature": 0.0, "max_tokens": s.max_tokens},
        }

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.settings.api_key_env, "") if self.settings.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post(self, prompt: str) -> str:
        """The reply text; raises urllib/OSError/ValueError errors for the caller to classify."""
        body = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.0,
            "max_tokens": self.settings.max_tokens,
        }
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=self._headers(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.settings.timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8", errors="replace"))
        content = payload["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise ValueError("reply content is not text")
        return content

    def _ask(self, prompt: str) -> tuple[str | None, str | None]:
        """(reply, None) or (None, reason) after retrying transient failures."""
        reason = "no attempt"
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2**attempt))
            try:
                return self._post(prompt), None
            except urllib.error.HTTPError as error:
                reason = f"HTTP {error.code}"
                if error.code not in RETRY_STATUS:
                    break
            except (
                urllib.error.URLError,
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as error:
                reason = f"request failed: {getattr(error, 'reason', error)}"
            except (ValueError, KeyError, IndexError, TypeError):
                reason = "malformed reply from the endpoint"
                break
        return None, reason

    def check(self) -> None:
        """One small request before any work is spent; raises `JudgeUnavailable` on failure."""
        reply, reason = self._ask("Reply with the single word CORRECT.")
        if reply is None:
            raise JudgeUnavailable(f"judge endpoint {self.url} does not answer ({reason})")

    def _judge_one(self, query: JudgeQuery) -> JudgeVerdict:
        reply, reason = self._ask(query.prompt)
        if reply is None:
            return JudgeVerdict(None, "", query.answer_shown, reason)
        verdict = read_verdict(reply)
        return JudgeVerdict(verdict.value, reply, query.answer_shown, verdict.reason)

    def judge(self, queries: Sequence[JudgeQuery]) -> list[JudgeVerdict]:
        """Verdicts in query order."""
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            return list(pool.map(self._judge_one, queries))
