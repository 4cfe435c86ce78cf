"""A corpus of >= 30 hostile files and records beside good articles, ingested by the real CLI:
one clear failure line per bad item naming it, every good article stored, no hang, and the
peak memory of the run no higher than ingesting the good files alone (plus a small margin),
although one file is 200 MB."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import RAG_CLI, REPO, SEED, cli_env, make_settings
from newsgen import english_articles

from rag.store.chunks import ChunkStore, StoreProfile
from rag.wiring import load_embedder

pytestmark = pytest.mark.slow

# Runs `rag ingest` as the only child of a small parent, so that RUSAGE_CHILDREN is its peak.
MEASURE = (
    "import resource, subprocess, sys, json\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr, 'peak_kb': peak}))\n"
)
MARGIN_MB = 100  # reading the 200 MB file (or half of it) would cross this


def good_articles(root: Path) -> dict[str, str]:
    """Good files: {path relative to root: a phrase its stored chunks must contain}."""
    good: dict[str, str] = {}
    root.mkdir(parents=True, exist_ok=True)
    (root / "seed.txt").write_bytes(SEED.read_bytes())
    good["seed.txt"] = "أردوغان"
    for path in english_articles(root, 3, seed=41, prefix="bbc-"):
        good[path.name] = path.read_text("utf-8").splitlines()[0].strip()
    odd = "مجلد غريب/خبر 'quoted' \"dq\" $x;rm -rf.md"
    (root / odd).parent.mkdir()
    (root / odd).write_text("# عنوان غريب\n\nخبر عن افتتاح محطة طاقة شمسية في تبوك.\n", "utf-8")
    good[odd] = "محطة طاقة شمسية"
    (root / "utf16-no-bom.txt").write_bytes(
        "Council approves new library\n\nThe city council approved a library.".encode("utf-16-le")
    )
    good["utf16-no-bom.txt"] = "approved a library"
    (root / "latin1.txt").write_bytes("Café owners protest rent rises in Lyon.".encode("latin-1"))
    good["latin1.txt"] = "Café owners protest"
    (root / "truncated-utf8.txt").write_bytes("افتتاح معرض الكتاب في جدة".encode()[:-1])
    good["truncated-utf8.txt"] = "افتتاح معرض الكتاب"
    # Crafted to be slow (quadratic before): a megabyte each, read in linear time.
    (root / "crafted-blanks.txt").write_text("Crafted\n\nPort news" + " " * 1_000_000 + "end.")
    good["crafted-blanks.txt"] = "Port news"
    (root / "crafted-title.md").write_text("# " + "#" * 1_000_000 + "x\n\nA heading of hashes.")
    good["crafted-title.md"] = "A heading of hashes"
    comments = "<html><body><p>Dates market opens in Unaizah.</p>" + "<!--" * 250_000
    (root / "crafted-comments.html").write_text(comments)
    good["crafted-comments.html"] = "Dates market opens"
    (root / "parser-crash.html").write_text("<p>Camel race in Taif.</p><![ oops</body>")
    good["parser-crash.html"] = "Camel race in Taif"
    return good


def crafted_sentences(root: Path) -> dict[str, str]:
    """A sentence end every few words, most after an abbreviation: splitting such text into
    sentences (quotes, citation checks) was quadratic. In the mixed corpus only, and short:
    its chunks cost embedding time (tests/test_sentences_fast.py splits 24,000 characters)."""
    unit = "The U.S. envoy met Mr. Smith in Jeddah. Prof. Ali said No. 5 was next! "
    (root / "crafted-sentences.txt").write_text("Envoys in Jeddah\n\n" + unit * 24)
    return {"crafted-sentences.txt": "Prof. Ali said No. 5 was next!"}


def hostile_items(root: Path, big: bool = True) -> dict[str, str]:
    """Write the bad files; returns {failure `where` relative to root: words of its reason}.

    `big=False` leaves out the two big ones (200 MB file, zip bomb): the memory baseline.
    """
    bad: dict[str, str] = {}

    def put(rel: str, content: str | bytes, reason: str) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
        bad[rel] = reason
        return path

    put("empty.txt", b"", "empty file")
    put("whitespace.md", b"  \n\t\r\n  ", "empty file")
    put("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01" * 20, "binary")
    put("program.html", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "binary")
    put("controls.txt", b"a\x01b\x02c\x03d\x04e\x05f\x06g\x07h\x08" * 30, "binary")
    put("nul.json", b'{"text": "a\x00b"}' + b"\x00" * 500, "binary")
    put("mostly-cp1256.txt", "خبر عاجل من الرياض عن الطقس".encode("cp1256"), "UTF-8")
    put("only-scripts.html", "<html><script>alert(1)</script><style>p{}</style></html>", "")
    put("only-title.md", "# Just a heading\n", "")
    put("broken.json", '{"title": "x", "text": "unterminated', "JSON")
    put("not-a-record.json", '"just a string"', "")
    put("no-text.json", '{"title": "a title but no body"}', "no text")
    put("null-text.json", '{"title": "T", "text": null}', "no text")
    put("nested.json", "[" * 100_000 + "]" * 100_000, "nested too deeply")
    bad["nested.json#0"] = bad.pop("nested.json")
    arr = '[{"text": "first good record of the array about ports in Dammam"}, {"text": "sec'
    put("array-broken.json", arr, "record")
    bad["array-broken.json#1"] = bad.pop("array-broken.json")
    jsonl = "\n".join(
        [
            json.dumps({"id": "jl-ok-1", "text": "ميناء الدمام يستقبل أكبر سفينة حاويات"}),
            '{"text": "broken line',
            json.dumps({"title": "no body"}),
            "not json at all",
            json.dumps({"id": "jl-ok-2", "text": "Rail link between Riyadh and Qassim opens"}),
        ]
    )
    put("feed.jsonl", jsonl, "")
    del bad["feed.jsonl"]
    bad.update(
        {"feed.jsonl#line 2": "JSON", "feed.jsonl#line 3": "no text", "feed.jsonl#line 4": "JSON"}
    )
    deep = '{"text": ' + "[" * 400 + '"x"' + "]" * 400 + "}"
    put("deep-400.json", deep, "field `text` nests arrays or objects more than 100 levels")
    # The same record between good ones: it fails alone, the others are stored.
    ok = [json.dumps({"id": f"deep-ok-{i}", "text": f"Desalination plant {i}"}) for i in (1, 2)]
    put("deep-record.jsonl", "\n".join([ok[0], deep, ok[1]]), "")
    del bad["deep-record.jsonl"]
    bad["deep-record.jsonl#line 2"] = "line 2: field `text` nests arrays or objects"
    # Round three: any Unicode in any field. Control and bidi characters leave the one-line
    # fields of a stored record; a lone surrogate there makes its record one failure line.
    fields = [
        {
            "id": "fields-ok",
            "title": "\x1b[2J\x1b[1A\u202egnikaerb\u202c Desalination tender",
            "source": "Wire\x07\u2066 desk",
            "text": "A desalination tender opened in Jubail for three new plants.",
        },
        {"id": "lone-source", "text": "A short article about a port.", "source": "\ud800"},
        {"id": "![](https://host/p)", "text": "An id written as Markdown image about Tabuk rain."},
    ]
    put("fields.jsonl", "\n".join(json.dumps(r) for r in fields), "")
    del bad["fields.jsonl"]
    bad["fields.jsonl#1"] = "field `source` holds invalid Unicode"
    put("overlong-id.json", json.dumps({"id": "x" * 600, "text": "Id too long."}), "over 512")
    with zipfile.ZipFile(root / "markup.zip", "w") as zf:  # Rich markup in a member name
        zf.writestr("notes[/].json", "{broken")
    bad["markup.zip!notes[/].json"] = "JSON"
    put("no-text-column.csv", "headline,author\nA,B\nC,D\n", "column")
    put("empty-text-cells.csv", "title,text\nT1,\nT2,   \n", "")
    del bad["empty-text-cells.csv"]
    bad.update({"empty-text-cells.csv#0": "", "empty-text-cells.csv#1": ""})
    put("corrupt.zip", b"PK\x03\x04 this is not really a zip archive", "zip")
    enc = root / "encrypted.zip"
    with zipfile.ZipFile(enc, "w") as zf:
        zf.writestr("secret.txt", "not really encrypted")
    raw = bytearray(enc.read_bytes())
    raw[6] |= 0x1
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1
    enc.write_bytes(bytes(raw))
    bad["encrypted.zip!secret.txt"] = "encrypted"
    with zipfile.ZipFile(root / "mixed.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner-empty.txt", "")
        zf.writestr("inner-binary.md", b"\x00\x01\x02\x03" * 100)
    bad.update({"mixed.zip!inner-empty.txt": "empty", "mixed.zip!inner-binary.md": "binary"})
    if big:
        with zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("zeros.txt", b"\x00" * 60_000_000)
        bad["bomb.zip!zeros.txt"] = "zip bomb"
        with open(root / "huge.txt", "wb") as f:  # 200 MB of real text, over RAG_MAX_FILE_MB
            block = ("أخبار اليوم news of the day " * 1000).encode()
            for _ in range(200 * 1024 * 1024 // len(block) + 1):
                f.write(block)
        bad["huge.txt"] = "RAG_MAX_FILE_MB"
    loop = root / "loop"
    loop.mkdir()
    (loop / "inside.txt").write_text("A story inside the looping folder about Abha tourism.")
    os.symlink(root, loop / "back")
    bad["loop/back"] = "directory cycle"
    os.symlink(root / "self.txt", root / "self.txt")
    bad["self.txt"] = "symlink loop"
    os.symlink(root / "gone.txt", root / "dangling.txt")
    bad["dangling.txt"] = "broken symlink"
    os.mkfifo(root / "pipe.txt")
    bad["pipe.txt"] = "not a regular file"
    unreadable = put("forbidden.txt", "secret", "")
    unreadable.chmod(0)
    if os.geteuid() == 0:  # root reads it anyway: then it is a good file, not a failure
        del bad["forbidden.txt"]
    return bad


def run_ingest(corpus: Path, data: Path) -> dict[str, object]:
    cmd = [sys.executable, "-c", MEASURE, *RAG_CLI, "ingest"]
    proc = subprocess.run(
        [*cmd, str(corpus), "--json"],
        capture_output=True,
        text=True,
        env=cli_env(RAG_DATA_DIR=str(data)),
        cwd=REPO,
        timeout=600,  # "nothing hangs"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["rc"] == 0, result["err"][-3000:]
    return {"report": json.loads(result["out"]), "peak_mb": result["peak_kb"] / 1024}


def test_hostile_corpus_beside_good_files(tmp_path: Path) -> None:
    small = tmp_path / "without-big-files" / "corpus"
    good_articles(small)
    hostile_items(small, big=False)
    baseline = run_ingest(small, tmp_path / "data-small")

    corpus = tmp_path / "mixed" / "corpus"
    good = good_articles(corpus) | crafted_sentences(corpus)
    bad = hostile_items(corpus)
    assert len(bad) >= 30
    outcome = run_ingest(corpus, tmp_path / "data-mixed")
    report = outcome["report"]
    assert isinstance(report, dict)

    failures = {
        Path(f["where"]).relative_to(corpus).as_posix(): f["reason"] for f in report["failures"]
    }
    assert len(failures) == len(report["failures"]), "one failure line per bad item"
    assert set(failures) == set(bad), (set(failures) ^ set(bad), report["failures"])
    for where, words in bad.items():
        assert words in failures[where], (where, failures[where])
        assert len(failures[where]) > 8 and "Traceback" not in failures[where]

    # Every good article (and the good records of partly bad files) is stored and searchable.
    settings = make_settings(tmp_path / "data-mixed")
    embedder = load_embedder(settings)
    profile = StoreProfile.of(settings, embedder.dimension)
    stored: dict[str, str] = {}
    for _, text, meta in ChunkStore(settings, profile).iter_chunks():
        if meta["doc_id"] == "fields-ok":  # stored, its one-line fields plain text
            assert meta["title"] == "gnikaerb Desalination tender", meta
            assert meta["source"] == "Wire desk", meta
        # A record without an `id` is named by its text: the key is checked elsewhere.
        doc_id = re.sub(r"#text-[0-9a-f]{16}$", "#text-*", meta["doc_id"])
        stored[doc_id] = stored.get(doc_id, "") + text
    expected = {f"corpus/{rel}": phrase for rel, phrase in good.items()}
    expected |= {
        "corpus/array-broken.json#text-*": "ports in Dammam",
        "jl-ok-1": "ميناء الدمام",
        "jl-ok-2": "Riyadh and Qassim",
        "deep-ok-1": "Desalination plant 1",
        "deep-ok-2": "Desalination plant 2",
        "fields-ok": "desalination tender",
        "![](https://host/p)": "Tabuk rain",
        "corpus/loop/inside.txt": "Abha tourism",
    }
    if "forbidden.txt" not in bad:
        expected["corpus/forbidden.txt"] = "secret"
    assert set(stored) == set(expected), set(stored) ^ set(expected)
    for doc_id, phrase in expected.items():
        assert phrase in stored[doc_id], (doc_id, stored[doc_id][:200])
    assert report["ingested"] == len(expected)

    peak, base = outcome["peak_mb"], baseline["peak_mb"]
    print(f"peak RSS {peak:.0f} MB; without the big files {base:.0f} MB")
    assert peak < base + MARGIN_MB, f"peak RSS {peak:.0f} MB vs {base:.0f} MB without the big files"
