"""Tests for ingest.readers: every format, good and bad, on real files under tmp_path."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from newsgen import saudi_day_zip

from ingest.readers import Failure, RawRecord, iter_records
from rag.settings import Settings


@pytest.fixture(scope="module")
def saudi_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SaudiNewsNet-shaped day: 1,700 articles, 14 with empty content (as on 2015-08-10)."""
    root = tmp_path_factory.mktemp("saudinewsnet")
    return saudi_day_zip(root / "2015-08-10.zip", 1700, seed=810, empty=14)


def settings(**overrides: object) -> Settings:
    # No .env: the tests must not depend on a developer's local configuration.
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def read(*paths: Path, **overrides: object) -> list[RawRecord | Failure]:
    return list(iter_records(list(paths), settings(**overrides)))


def records(items: list[RawRecord | Failure]) -> list[RawRecord]:
    return [i for i in items if isinstance(i, RawRecord)]


def failures(items: list[RawRecord | Failure]) -> list[Failure]:
    return [i for i in items if isinstance(i, Failure)]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- plain text and markdown -----------------------------------------------------------


def test_txt_with_title_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.txt", "Chelsea sack Mutu\n\nChelsea have sacked Adrian Mutu.\n\nMore.\n"
    )
    [rec] = read(path)
    assert rec == RawRecord(
        {"text": "Chelsea have sacked Adrian Mutu.\n\nMore.", "title": "Chelsea sack Mutu"},
        str(path),
        0,
    )


def test_txt_without_title_keeps_all_text(tmp_path: Path) -> None:
    path = write(tmp_path / "b.txt", "one line\nsecond line\r\n\r\nthird\n")
    [rec] = read(path)
    assert isinstance(rec, RawRecord)
    assert rec.fields == {"text": "one line\nsecond line\n\nthird"}


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    md = '---\ntitle: "From front matter"\ndate: 2024-01-02\nurl: https://e.x/1\n---\n'
    md += "# Heading\n\nBody **text**.\n"
    [rec] = read(write(tmp_path / "n.md", md))
    assert isinstance(rec, RawRecord)
    assert rec.fields == {
        "title": "From front matter",
        "date": "2024-01-02",
        "url": "https://e.x/1",
        "text": "Body **text**.",
    }


def test_markdown_heading_is_title(tmp_path: Path) -> None:
    [rec] = read(write(tmp_path / "n.md", "# My title #\nBody line\n"))
    assert isinstance(rec, RawRecord)
    assert rec.fields == {"title": "My title", "text": "Body line"}


def test_markdown_with_only_a_title_fails(tmp_path: Path) -> None:
    path = write(tmp_path / "t.md", "# Only a title\n")
    assert read(path) == [Failure(str(path), "no text in the file (only a title or front matter)")]


# --- HTML ------------------------------------------------------------------------------


def test_html_article(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Page title</title>"
        '<meta property="og:url" content="https://n.example/x">'
        '<meta property="article:published_time" content="2023-03-04">'
        "</head><body><nav>Menu</nav><h1>Headline</h1><p>First para.</p>"
        "<script>x()</script><p>Second para.</p><footer>(c)</footer></body></html>"
    )
    [rec] = read(write(tmp_path / "p.html", html))
    assert isinstance(rec, RawRecord)
    assert rec.fields == {
        "title": "Page title",
        "url": "https://n.example/x",
        "date": "2023-03-04",
        "text": "Headline\n\nFirst para.\n\nSecond para.",
    }


def test_html_with_only_scripts_fails(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.htm",
        "<html><head><script>a()</script></head><body><script>b()"
        "</script><style>p{}</style><nav>menu</nav></body></html>",
    )
    assert read(path) == [
        Failure(
            str(path), "no article text in the HTML (after removing scripts, styles, navigation)"
        )
    ]


# --- JSON ------------------------------------------------------------------------------


def test_json_object_with_aliases(tmp_path: Path) -> None:
    obj = {
        "doc_id": 42,
        "headline": " Head ",
        "body": "Body text",
        "link": "https://x",
        "publishedAt": "2020-01-01",
        "source": {"id": None, "name": "BBC"},
        "authors": ["A", "B"],
        "extra": "ignored",
    }
    path = write(tmp_path / "o.json", json.dumps(obj))
    assert read(path) == [
        RawRecord(
            {
                "id": "42",
                "text": "Body text",
                "title": "Head",
                "url": "https://x",
                "date": "2020-01-01",
                "source": "BBC",
                "author": "A, B",
            },
            str(path),
            0,
        )
    ]


def test_json_array_records_and_bad_entries(tmp_path: Path) -> None:
    arr = [
        {"title": "t0", "content": "c0"},
        {"title": "no text", "content": "   "},
        "just a string",
        {"article": ["para 1", "para 2"], "id": "x3"},
    ]
    path = write(tmp_path / "arr.json", json.dumps(arr, ensure_ascii=False))
    items = read(path)
    assert items == [
        RawRecord({"text": "c0", "title": "t0"}, f"{path}#0", 0),
        Failure(
            f"{path}#1",
            "record 1 has no text (expected one of the fields text/content/body/article)",
        ),
        Failure(f"{path}#2", "record 2 is a JSON string, not an object"),
        RawRecord({"id": "x3", "text": "para 1\n\npara 2"}, f"{path}#3", 3),
    ]


def test_json_object_without_text(tmp_path: Path) -> None:
    path = write(tmp_path / "o.json", '{"title": "only"}')
    assert read(path) == [
        Failure(
            str(path),
            "the JSON object has no text (expected one of the fields text/content/body/article)",
        )
    ]


def test_json_array_broken_midway_keeps_earlier_records(tmp_path: Path) -> None:
    path = write(tmp_path / "b.json", '[{"text": "ok"},\n {"text": "bad" ')
    items = read(path)
    assert items[0] == RawRecord({"text": "ok"}, f"{path}#0", 0)
    assert len(items) == 2
    fail = items[1]
    assert isinstance(fail, Failure)
    assert fail.where == f"{path}#1"
    assert fail.reason.startswith("invalid JSON at line 2")
    assert fail.reason.endswith("the 1 records before it were read")


def test_json_concatenated_objects_are_read_like_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", '{"text": "a"}\n{"text": "b"}\n')
    assert read(path) == [
        RawRecord({"text": "a"}, f"{path}#0", 0),
        RawRecord({"text": "b"}, f"{path}#1", 1),
    ]


def test_json_empty_array(tmp_path: Path) -> None:
    path = write(tmp_path / "e.json", " [ ] ")
    assert read(path) == [Failure(str(path), "empty JSON array: no articles")]


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000],
    ids=["array", "object"],
)
def test_json_nested_100000_levels_fails_fast(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "deep.json", content)
    start = time.perf_counter()
    [fail] = read(path)
    assert time.perf_counter() - start < 5
    assert isinstance(fail, Failure)
    assert fail.reason.startswith("JSON nested too deeply to read")


DEEP_400 = '{"id": "deep", "title": "Deep", "content": ' + "[" * 400 + '"x"' + "]" * 400 + "}"
TOO_DEEP_FIELD = "field `content` nests arrays or objects more than 100 levels deep"


@pytest.mark.parametrize("ext", [".json", ".jsonl", "-concatenated.json"])
def test_a_field_nested_400_deep_fails_its_record_alone(tmp_path: Path, ext: str) -> None:
    """The records before and after it are read; it is one failure naming record and field
    (it used to exhaust the stack and cost the rest of the file)."""
    lines = [json.dumps({"id": "a", "text": "Ports."}), DEEP_400, '{"id": "c", "text": "Rail."}']
    content = "[" + ",\n".join(lines) + "]" if ext == ".json" else "\n".join(lines)
    path = write(tmp_path / f"feed{ext}", content)
    items = read(path)
    assert [i.fields["id"] for i in records(items)] == ["a", "c"]
    (fail,) = failures(items)
    what, where = ("line 2", "#line 2") if ext == ".jsonl" else ("record 1", "#1")
    assert fail.where == f"{path}{where}" and fail.reason.startswith(f"{what}: {TOO_DEEP_FIELD}")
    # One article per file: the file is the record; 100 levels are still read.
    assert read(write(tmp_path / "one.json", DEEP_400)) == [
        Failure(str(tmp_path / "one.json"), f"the JSON object: {TOO_DEEP_FIELD}; is it really "
                "article text?")
    ]  # fmt: skip
    hundred = {"text": json.loads("[" * 100 + '"deep but read"' + "]" * 100)}
    assert records(read(write(tmp_path / "ok.json", json.dumps(hundred))))


def test_jsonl_broken_line_is_reported_and_rest_read(tmp_path: Path) -> None:
    lines = ['{"text": "first", "id": 1}', "{not json", "", '{"content": "third"}', "[1, 2]"]
    path = write(tmp_path / "l.jsonl", "\n".join(lines) + "\n")
    items = read(path)
    assert items == [
        RawRecord({"id": "1", "text": "first"}, f"{path}#0", 0),
        Failure(
            f"{path}#line 2",
            "line 2 is not valid JSON: Expecting property name enclosed in double quotes",
        ),
        RawRecord({"text": "third"}, f"{path}#2", 2),
        Failure(f"{path}#line 5", "line 5 is a JSON array, not an object"),
    ]


# --- CSV -------------------------------------------------------------------------------


def test_csv_default_columns(tmp_path: Path) -> None:
    csv_text = (
        "id,Title,text,url,date,source\n"
        '1,T1,"Body, with comma\nand newline",u1,d1,s1\n'
        "2,T2,,u2,d2,s2\n"
    )
    path = write(tmp_path / "n.csv", csv_text)
    assert read(path) == [
        RawRecord(
            {
                "id": "1",
                "title": "T1",
                "text": "Body, with comma\nand newline",
                "url": "u1",
                "date": "d1",
                "source": "s1",
            },
            f"{path}#0",
            0,
        ),
        Failure(f"{path}#1", "record 1 has no text (column 'text' is empty)"),
    ]


def test_csv_columns_from_settings_and_semicolons(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "headline;article_body\nH;B\n")
    items = read(path, csv_text="article_body", csv_title="headline")
    assert items == [RawRecord({"title": "H", "text": "B"}, f"{path}#0", 0)]


def test_csv_missing_text_column_is_one_failure(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "title,summary\na,b\nc,d\n")
    [fail] = read(path)
    assert isinstance(fail, Failure)
    assert fail.where == str(path)
    assert fail.reason.startswith(
        "no column 'text' in the CSV header (columns: 'title', 'summary')"
    )
    assert "RAG_CSV_TEXT" in fail.reason


def test_csv_field_larger_than_default_limit(tmp_path: Path) -> None:
    big = "x" * 300_000  # the csv module refuses fields over 131072 chars by default
    path = write(tmp_path / "big.csv", f"text\n{big}\n")
    [rec] = read(path)
    assert isinstance(rec, RawRecord)
    assert len(rec.fields["text"]) == 300_000


# --- zip -------------------------------------------------------------------------------


def test_zip_members_of_every_format(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "Title\n\nBody a")
        zf.writestr("dir/b.json", json.dumps([{"text": "b0"}, {"text": "b1"}]))
        zf.writestr("c.jsonl", '{"text": "c0"}\nbroken\n')
        zf.writestr("d.csv", "text\nd0\n")
        zf.writestr("e.html", "<p>e0</p>")
        zf.writestr("f.md", "# F\n\nf0")
        zf.writestr("empty.txt", "")
        zf.writestr("image.png", b"\x89PNG\x00\x00")
        zf.writestr("__MACOSX/._a.txt", b"\x00\x05")
        zf.writestr(".hidden.txt", "secret")
    items = read(path)
    assert items == [
        RawRecord({"text": "Body a", "title": "Title"}, f"{path}!a.txt", 0),
        RawRecord({"text": "c0"}, f"{path}!c.jsonl#0", 0),
        Failure(f"{path}!c.jsonl#line 2", "line 2 is not valid JSON: Expecting value"),
        RawRecord({"text": "d0"}, f"{path}!d.csv#0", 0),
        RawRecord({"text": "b0"}, f"{path}!dir/b.json#0", 0),
        RawRecord({"text": "b1"}, f"{path}!dir/b.json#1", 1),
        RawRecord({"text": "e0"}, f"{path}!e.html", 0),
        Failure(f"{path}!empty.txt", "empty file"),
        RawRecord({"title": "F", "text": "f0"}, f"{path}!f.md", 0),
    ]


def test_nested_zip_one_level(tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.txt", "inner text")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.zip")
    assert read(outer) == [RawRecord({"text": "inner text"}, f"{outer}!inner.zip!x.txt", 0)]


def test_corrupt_zip(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.zip", b"PK\x03\x04 this is not really a zip")
    [fail] = read(path)
    assert isinstance(fail, Failure)
    assert fail.where == str(path)
    assert fail.reason.startswith("not a valid zip archive (corrupt or truncated)")


def test_zip_bomb_member_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", b"\x00" * 50_000_000)
        zf.writestr("fine.txt", "a normal article " * 10)
    start = time.perf_counter()
    items = read(path, max_zip_ratio=10)
    assert time.perf_counter() - start < 2
    assert items[0] == RawRecord(
        {"text": ("a normal article " * 10).strip()}, f"{path}!fine.txt", 0
    )
    fail = items[1]
    assert isinstance(fail, Failure)
    assert fail.where == f"{path}!zeros.txt"
    assert "over RAG_MAX_ZIP_RATIO (10)" in fail.reason
    assert "zip bomb" in fail.reason


def test_zip_member_with_lying_size_header_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", "word " * 200_000)  # 1 MB, compresses ~1000:1
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (1000).to_bytes(4, "little")  # claim 1000 bytes
    path.write_bytes(bytes(raw))
    [fail] = read(path)
    assert isinstance(fail, Failure)
    assert fail.where == f"{path}!big.txt"
    assert fail.reason.startswith("cannot extract this member")


def test_zip_member_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", "y" * 20_000)
    # The archive itself (~150 bytes) is under the limit; the member's 20,000 bytes are not.
    [fail] = read(path, max_file_mb=0.01, max_zip_ratio=100_000)
    assert fail == Failure(
        f"{path}!big.txt",
        "member is 20,000 bytes, over the limit of 10,000 bytes; raise RAG_MAX_FILE_MB "
        "(now 0.01) to read it, or split it",
    )


def test_zip_encrypted_member_flag(tmp_path: Path) -> None:
    path = tmp_path / "enc.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("secret.txt", "not really encrypted")
    # zipfile cannot write encrypted members: set the "encrypted" flag bit by hand.
    raw = bytearray(path.read_bytes())
    raw[6] |= 0x1  # local file header
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1  # central directory entry
    path.write_bytes(bytes(raw))
    assert read(path) == [
        Failure(f"{path}!secret.txt", "member is encrypted; extract it with its password first")
    ]


# --- encodings -------------------------------------------------------------------------


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    [rec] = read(write(tmp_path / "bom.txt", b"\xef\xbb\xbfhello"))
    assert isinstance(rec, RawRecord)
    assert rec.fields == {"text": "hello"}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path: Path, encoding: str) -> None:
    text = "خبر عاجل\n\nقال الوزير إن 25 شخصا أصيبوا في الحادث."
    [rec] = read(write(tmp_path / "u16.txt", text.encode(encoding)))
    assert isinstance(rec, RawRecord)
    assert rec.fields == {"title": "خبر عاجل", "text": "قال الوزير إن 25 شخصا أصيبوا في الحادث."}


def test_utf16_with_bom_json(tmp_path: Path) -> None:
    path = write(tmp_path / "u.json", json.dumps({"text": "héllo"}).encode("utf-16"))
    assert read(path) == [RawRecord({"text": "héllo"}, str(path), 0)]


def test_latin1_file_with_a_few_stray_bytes(tmp_path: Path) -> None:
    body = "The transfer fee was £15.8m, the café said, and " + "more plain words " * 20
    [rec] = read(write(tmp_path / "l1.txt", body.encode("cp1252")))
    assert isinstance(rec, RawRecord)
    assert rec.fields["text"] == body.strip()


def test_mostly_non_utf8_file_is_refused(tmp_path: Path) -> None:
    arabic_cp1256 = "قال الوزير إن المحادثات ستستأنف".encode("cp1256")
    path = write(tmp_path / "cp1256.txt", arabic_cp1256)
    [fail] = read(path)
    assert isinstance(fail, Failure)
    assert fail.reason.startswith("not UTF-8 text (")
    assert "iconv -f cp1256 -t utf-8" in fail.reason


def test_truncated_utf8_drops_the_partial_character(tmp_path: Path) -> None:
    data = "مرحبا بالعالم".encode()
    [rec] = read(write(tmp_path / "cut.txt", data[:-1]))  # cut inside the last letter
    assert isinstance(rec, RawRecord)
    assert rec.fields == {"text": "مرحبا بالعال"}


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06",
        b"text with\x01\x02\x03\x04 many \x05\x06 control\x07\x08 bytes",
        b"ELF\x7f\x00\x01\x02\x00" * 100,
    ],
    ids=["png", "controls", "elf"],
)
def test_binary_file_is_refused(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "bin.txt", data)
    assert read(path) == [Failure(str(path), "binary file, not text")]


def test_bbc_file_with_a_cp1252_pound_sign(tmp_path: Path) -> None:
    # Like one file of the BBC corpus: UTF-8 throughout but for one Latin-1 pound sign.
    body = "Club fines striker\n\nThe club fined its striker, a \xa315.8m signing from Parma, "
    body += "for missing training.\n\nHe will appeal, his agent said.\n"
    path = write(tmp_path / "199.txt", body.encode("latin-1"))
    [rec] = read(path)
    assert isinstance(rec, RawRecord)
    assert rec.fields["title"] == "Club fines striker"
    assert "a £15.8m signing from Parma" in rec.fields["text"]
    assert "\ufffd" not in rec.fields["text"]


# --- limits and odd files --------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  "], ids=["empty", "whitespace"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "e.txt", content)
    assert read(path) == [Failure(str(path), "empty file")]


def test_oversized_file(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "z" * 5_000)
    assert read(path, max_file_mb=0.001) == [
        Failure(
            str(path),
            "file is 5,000 bytes, over the limit of 1,000 bytes; raise RAG_MAX_FILE_MB "
            "(now 0.001) to read it, or split it",
        )
    ]


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    assert read(path) == [Failure(str(path), "no such file or directory")]


def test_unknown_extension_explicit_vs_in_directory(tmp_path: Path) -> None:
    pdf = write(tmp_path / "d" / "x.pdf", "%PDF-1.4")
    write(tmp_path / "d" / "ok.txt", "fine")
    [fail] = read(pdf)
    assert isinstance(fail, Failure)
    assert fail.reason.startswith("unsupported file type (.pdf); supported: .txt, .md")
    assert read(tmp_path / "d") == [RawRecord({"text": "fine"}, str(tmp_path / "d" / "ok.txt"), 0)]


def test_directory_walk_is_sorted_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root / "b.txt", "bee")
    write(root / "a" / "z.txt", "zed")
    write(root / "a" / "y.md", "why")
    write(root / ".git" / "HEAD.txt", "hidden dir")
    write(root / ".hidden.txt", "hidden file")
    write(root / "notes.docx", "unknown type")
    items = read(root)
    assert [i.origin for i in records(items)] == [
        str(root / "a" / "y.md"),
        str(root / "a" / "z.txt"),
        str(root / "b.txt"),
    ]
    assert failures(items) == []


def test_symlink_loop_directory_finishes_with_one_failure(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "sub" / "a.txt", "article a")
    os.symlink(root, root / "sub" / "back")  # sub/back -> root: a cycle
    os.symlink(root / "sub", root / "z_again")  # a second way into sub: read once, no error
    start = time.perf_counter()
    items = read(root)
    assert time.perf_counter() - start < 5
    assert records(items) == [RawRecord({"text": "article a"}, str(root / "sub" / "a.txt"), 0)]
    assert failures(items) == [
        Failure(
            str(root / "sub" / "back"),
            f"directory cycle: this symlink leads back to {root}; it was not followed",
        )
    ]


def test_self_referencing_symlink(tmp_path: Path) -> None:
    link = tmp_path / "self.txt"
    os.symlink(link, link)
    expected = "symlink loop (the link points, directly or not, to itself); remove or fix it"
    assert read(link) == [Failure(str(link), expected)]
    assert read(tmp_path) == [Failure(str(link), expected)]


def test_symlink_to_file_is_followed_and_broken_link_reported(tmp_path: Path) -> None:
    target = write(tmp_path / "real" / "t.txt", "target text")
    os.symlink(target, tmp_path / "link.txt")
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")
    items = read(tmp_path / "link.txt", tmp_path / "dangling.txt")
    assert items == [
        RawRecord({"text": "target text"}, str(tmp_path / "link.txt"), 0),
        Failure(str(tmp_path / "dangling.txt"), "broken symlink: its target does not exist"),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert read(tmp_path) == [Failure(str(fifo), "not a regular file (device, pipe or socket)")]


def test_path_with_odd_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "dir with spaces" / "خبر 'quoted' \"dq\" $x.txt", "نص الخبر")
    items = read(tmp_path / "dir with spaces")
    assert items == [RawRecord({"text": "نص الخبر"}, str(path), 0)]


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = write(tmp_path / "1.json", "{broken")
    good = write(tmp_path / "2.txt", "good")
    items = read(tmp_path)
    assert items == [
        Failure(
            str(bad),
            "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes",
        ),
        RawRecord({"text": "good"}, str(good), 0),
    ]


# --- real corpora ----------------------------------------------------------------------


def test_saudinewsnet_day_zip(saudi_day: Path) -> None:
    items = read(saudi_day)
    assert len(items) == 1700  # one item per array element
    recs, fails = records(items), failures(items)
    # 14 of the day's articles have an empty "content" (cartoons, photo pages in the real one).
    assert (len(recs), len(fails)) == (1686, 14)
    assert all("has no text (expected one of the fields" in f.reason for f in fails)
    raw = json.loads(zipfile.ZipFile(saudi_day).read("2015-08-10.json"))
    first = recs[0]
    assert first.origin == f"{saudi_day}!2015-08-10.json#0"
    assert first.index == 0
    expected = {"text", "title", "url", "date", "source"}
    expected |= {"author"} if raw[0]["author"] else set()
    assert set(first.fields) == expected
    assert first.fields["source"] == raw[0]["source"]
    assert first.fields["date"] == raw[0]["date_extracted"]
    assert first.fields["title"] == raw[0]["title"]
    assert first.fields["text"] == raw[0]["content"]
    assert first.fields["url"] == raw[0]["url"]
    assert recs[-1].index == 1699
    assert sum(1 for r in recs if "author" in r.fields) > 100


def test_saudinewsnet_memory_is_bounded(saudi_day: Path) -> None:
    # Peak memory stays linear in the member size (its bytes, its text and the decoder's
    # scratch, about 4x): one record at a time is built, never a list of all of them, and
    # no copy of the text per record. A reader that duplicated per record would blow this.
    member_size = zipfile.ZipFile(saudi_day).getinfo("2015-08-10.json").file_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_records([saudi_day], settings()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1700
    assert peak < 5 * member_size
