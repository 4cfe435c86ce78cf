"""The web chat's entry file: `python app.py` (or `rag serve`) starts the chat on the
settings from the environment.

The page is `webui/`: its layout (`webui/layout.py`), its event handlers
(`webui/handlers.py`), the archive table (`webui/articles.py`), uploads
(`webui/uploads.py`), the HTML (`webui/render.py`) and the `rag serve` command
(`webui/serve.py`).
"""

from __future__ import annotations

from webui.layout import build_app, launch
from webui.serve import register, serve
from webui.uploads import safe_filename

__all__ = ["build_app", "launch", "register", "safe_filename", "serve"]

if __name__ == "__main__":
    serve(host=None, port=None)
