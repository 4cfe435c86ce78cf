"""The code's shape, as the README's architecture section states it: no module imports one
that imports it back (type-only imports included), and no file grows past ~400 lines."""

from __future__ import annotations

import grimp
from conftest import REPO

PACKAGES = ("rag", "ingest", "eval", "webui")
MAX_LINES = 420


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES)
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert not cycles, f"modules that import each other (directly or through others): {cycles}"


def test_no_source_file_over_about_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for top in (*PACKAGES, "bench")
        for path in (REPO / top).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    long |= (
        {"app.py": n} if (n := len((REPO / "app.py").read_text().splitlines())) > MAX_LINES else {}
    )
    assert not long, f"split these files by job: {long}"
