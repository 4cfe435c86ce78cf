"""Chat models: any OpenAI-compatible endpoint, behind a two-method protocol.

Every failure (down, timeout, 429/5xx after retries, malformed reply) becomes one
`LLMUnavailable`, which the assistant answers with the extractive fallback and a notice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit, urlunsplit

from rag.errors import RagError

if TYPE_CHECKING:
    from rag.settings import Settings

Message = dict[str, str]


def redact_url(url: str) -> str:
    """The URL without user:password@ (it may be shown in the page and in notices)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


class LLMUnavailable(RagError):
    """The LLM endpoint could not give an answer."""


class ChatModel(Protocol):
    name: str  # the model and where it runs, for notices and the page's header
    model: str  # the model's own name, for status lines

    def identify(self) -> None:
        """Ask the endpoint for the served model's name (optional; may do nothing)."""
        ...

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Text deltas of the reply."""
        ...

    def complete(self, messages: list[Message]) -> str:
        """The whole reply."""
        ...


class OpenAIChat:
    """An OpenAI-compatible chat endpoint (llama.cpp, vLLM, Ollama, hosted APIs)."""

    def __init__(self, settings: Settings) -> None:
        import openai

        assert settings.llm_base_url
        self.where = redact_url(settings.llm_base_url)  # shown to users: no credentials
        self.settings = settings
        self.model = settings.llm_model
        self.name = f"{settings.llm_model} @ {self.where}"
        self.client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )

    def identify(self) -> None:
        """Learn the served model's name when none was configured (RAG_LLM_MODEL=local): one
        quick GET /models; an endpoint that does not answer it keeps the configured name."""
        if self.settings.llm_model != "local":
            return
        try:
            models = self.client.with_options(timeout=3.0, max_retries=0).models.list()
            served = next((m.id for m in models.data if m.id), None)
        except Exception:  # any endpoint, any failure: the name is cosmetic
            return
        if served:
            self.model = served
            self.name = f"{served} @ {self.where}"

    def _request(self, messages: list[Message], stream: bool):
        return self.client.chat.completions.create(
            model=self.settings.llm_model,
            messages=messages,  # type: ignore[arg-type]
            max_tokens=self.settings.llm_max_tokens,
            temperature=self.settings.llm_temperature,
            stream=stream,
        )

    def stream(self, messages: list[Message]) -> Iterator[str]:
        import openai

        deadline = time.monotonic() + self.settings.llm_deadline
        response = None
        try:
            response = self._request(messages, stream=True)
            for event in response:
                if time.monotonic() > deadline:
                    # Each read may be quick while the whole answer never ends.
                    raise LLMUnavailable(
                        f"the LLM at {self.where} was still writing after "
                        f"{self.settings.llm_deadline:g} s (RAG_LLM_DEADLINE)"
                    )
                choices = getattr(event, "choices", None)
                if not choices:
                    continue
                delta = getattr(choices[0], "delta", None)
                text = getattr(delta, "content", None) if delta is not None else None
                if text:
                    yield text
        except openai.APITimeoutError:
            raise LLMUnavailable(
                f"the LLM at {self.where} timed out after "
                f"{self.settings.llm_timeout:g} s (RAG_LLM_TIMEOUT)"
            ) from None
        except openai.APIStatusError as exc:
            raise LLMUnavailable(
                f"the LLM at {self.where} answered HTTP {exc.status_code}"
            ) from None
        except openai.APIConnectionError:
            raise LLMUnavailable(
                f"cannot reach the LLM at {self.where} (RAG_LLM_BASE_URL)"
            ) from None
        except (openai.OpenAIError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LLMUnavailable(
                f"the LLM at {self.where} sent a malformed reply ({exc.__class__.__name__})"
            ) from None
        finally:
            # A reader that stops early (a wrong-language answer) ends the request, and a
            # llama.cpp server stops writing.
            close = getattr(response, "close", None)
            if close is not None:
                close()

    def complete(self, messages: list[Message]) -> str:
        return "".join(self.stream(messages))


def load_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None for extractive-only operation."""
    if not settings.llm_base_url or settings.answer_mode == "extractive":
        return None
    return OpenAIChat(settings)
