"""The distribution: the wheel holds every package of the product and nothing else, and a
wheel installed into a fresh virtual environment (not editable) answers on the seed article.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, cli_env

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _packages_on_disk() -> set[str]:
    """Every folder with an __init__.py under the product's top-level packages."""
    found = set()
    for top in ("rag", "ingest", "eval", "webui"):
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO)
            if "__pycache__" not in rel.parts:
                found.add(".".join(rel.parts))
    return found


def test_the_package_list_names_every_package_folder() -> None:
    listed = set(SETUPTOOLS["packages"])
    missing = _packages_on_disk() - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    # The one mapped package: the prompt files ship inside the library.
    assert SETUPTOOLS["package-dir"] == {"rag._prompts": "prompts"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True,
        cwd=build,
        env=cli_env(),
    )  # fmt: skip
    (path,) = out.glob("rag_news-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_holds_the_product_under_its_own_names(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("rag_news-")}
    # No stray top-level modules (the repo's app.py, tests, bench) in site-packages.
    assert tops == {"rag", "ingest", "eval", "webui"}, tops
    for data in (
        "rag/_prompts/system.en.md",
        "rag/_prompts/answer.ar.md",
        "rag/_prompts/rewrite.en.md",
        "rag/answer/answerability.json",
        "eval/prompts/judge.md",
        "webui/style.css",
        "webui/app.js",
    ):
        assert data in names, f"{data} is not package data in the wheel"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "rag = rag.cli:main" in text and "serve = webui.serve:register" in text


@pytest.mark.slow
def test_the_installed_wheel_answers_on_the_seed(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv with the wheel installed (not editable); the dependencies come from the
    test's own environment through a path entry, since the machine may be offline."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    bare = cli_env()
    bare.pop("PYTHONPATH", None)  # a checkout on the path would look installed already
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        check=True,
        env=bare,
    )
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies, after the venv's own site-packages (the wheel's modules win).
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "work"
    work.mkdir()
    env = bare | {"RAG_DATA_DIR": str(work / "data")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = subprocess.run(
        [str(py), "-c", "import rag, rag.settings as s; print(rag.__file__); "
         "print(s.default_prompts_dir())"],
        check=True, capture_output=True, text=True, cwd=work, env=env,
    ).stdout.split()  # fmt: skip
    assert all(Path(p).is_relative_to(env_dir) for p in where), where
    assert where[1].endswith("_prompts"), where

    rag = str(env_dir / "bin" / "rag")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [rag, *args], capture_output=True, text=True, cwd=work, env=env, timeout=600
        )

    ingest = run("ingest", str(SAMPLES), "--json")
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["ingested"] >= 1
    asked = run("ask", "ماذا طالب أردوغان؟", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["mode"] == "extractive", answer
    assert any("karabakh-ceasefire-ar" in c["doc_id"] for c in answer["citations"]), answer
    assert "أردوغان" in answer["answer"] or "اردوغان" in answer["answer"]
    # The plugins (ingest, eval, serve) come from the installed wheel's entry points.
    helped = run("--help")
    assert all(cmd in helped.stdout for cmd in ("ingest", "eval", "serve", "ask", "list"))
