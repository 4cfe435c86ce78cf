"""Who may change the archive from the web page (no gradio imports).

Without `RAG_AUTH`, a page on a loopback address is the operator's own: it may upload and
delete. On any other address the page is read-only (chat and article list) unless the
operator sets `RAG_ALLOW_ANONYMOUS_WRITES`; the server refuses write requests there too, not
only the page's buttons.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.settings import Settings

READ_ONLY = (
    "This page is read-only: it is served on an open address without a login. Set RAG_AUTH "
    "(or RAG_ALLOW_ANONYMOUS_WRITES=true) to upload or delete. · الصفحة للقراءة فقط."
)


def is_loopback(host: str) -> bool:
    """Is `host` reachable only from this machine (127.0.0.0/8, ::1, localhost)?"""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name or 0.0.0.0: others may reach it


def writes_allowed(settings: Settings) -> bool:
    """May a request upload or delete? With a login, a loopback address, or the operator's
    explicit RAG_ALLOW_ANONYMOUS_WRITES."""
    return bool(settings.auth) or settings.allow_anonymous_writes or is_loopback(settings.host)
