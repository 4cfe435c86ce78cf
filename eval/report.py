"""What a run leaves behind: results.json, report.md, PNG plots, and the terminal table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from eval import scoring
from rag.errors import InputError

WORST = 10


def load_results(path: Path) -> dict[str, Any]:
    """A results.json from an earlier run (the `--baseline`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the baseline ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}", f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise InputError(str(path), "is not a results.json of `rag eval` (no summary)")
    data.setdefault("by_lang", {})
    return data


def rows(results: dict[str, Any], baseline: dict[str, Any] | None) -> list[tuple[str, ...]]:
    """(section, metric, all, ar, en, baseline, delta) as display strings."""
    langs = sorted(results["by_lang"])
    out = []
    for section in scoring.SECTIONS:
        for metric, value in results["summary"].get(section, {}).items():
            per_lang = [results["by_lang"][lang].get(section, {}).get(metric) for lang in langs]
            row = [section, metric, _fmt(value), *(_fmt(v) for v in per_lang)]
            if baseline is not None:
                base = baseline["summary"].get(section, {}).get(metric)
                row += [_fmt(base), _delta(value, base)]
            out.append(tuple(row))
    return out


def headers(results: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    head = ["section", "metric", "all", *sorted(results["by_lang"])]
    return head + (["baseline", "delta"] if baseline is not None else [])


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def _delta(value: float | None, base: float | None) -> str:
    return "-" if value is None or base is None else f"{value - base:+.3f}"


def print_summary(
    results: dict[str, Any], baseline: dict[str, Any] | None, console: Console
) -> None:
    """The summary table, per language and against the baseline, on the terminal."""
    cfg = results["config"]
    title = (
        f"{cfg['suite']} · {cfg['questions']} questions · retriever {cfg['retriever']} · "
        f"mode {cfg['mode']} · k {cfg['k']}"
    )
    table = Table(title=escape(title))
    for name in headers(results, baseline):
        table.add_column(name, justify="left" if name in ("section", "metric") else "right")
    last = ""
    for row in rows(results, baseline):
        section = row[0] if row[0] != last else ""
        last = row[0]
        style = _style(row[-1], lower_is_better=row[0] == "latency") if baseline else None
        cells = [escape(str(c)) for c in row]
        if style:
            cells[-1] = f"[{style}]{cells[-1]}[/]"
        table.add_row(section, *cells[1:])
    console.print(table)


def _style(delta: str, lower_is_better: bool) -> str | None:
    try:
        value = -float(delta) if lower_is_better else float(delta)
    except ValueError:
        return None
    return "green" if value > 0 else "red" if value < 0 else None


def write_report(
    results: dict[str, Any], out_dir: Path, baseline: dict[str, Any] | None
) -> list[Path]:
    """results.json, report.md and the plots in out_dir; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.json"
    results_path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    from eval.plots import plot_hit_curve, plot_metric_bars, plot_risk_coverage

    written = [results_path]
    written.append(plot_hit_curve(results, out_dir / "hit_at_k.png"))
    written.append(plot_metric_bars(results, baseline, out_dir / "metrics.png"))
    if results.get("tradeoff"):
        written.append(plot_risk_coverage(results, out_dir / "risk_coverage.png"))
    report_path = out_dir / "report.md"
    report_path.write_text(
        markdown(results, baseline, [p.name for p in written[1:]]), encoding="utf-8"
    )
    written.append(report_path)
    return written


def markdown(results: dict[str, Any], baseline: dict[str, Any] | None, images: list[str]) -> str:
    """report.md: configuration, metric table, plots, then the worst questions."""
    cfg = results["config"]
    lines = [
        f"# Evaluation: {cfg['suite']}",
        "",
        f"- questions: {cfg['questions']} ({cfg['answerable']} answerable, "
        f"{cfg['unanswerable']} unanswerable)",
        f"- retriever `{cfg['retriever']}`, mode `{cfg['mode']}`, k {cfg['k']}, "
        f"embedder `{cfg['embed_model']}` ({cfg['embed_backend']}), "
        f"chunks {cfg['chunk_tokens']}/{cfg['chunk_overlap']} tokens",
        f"- answer modes: {', '.join(f'{k} {v}' for k, v in cfg['answer_modes'].items())}",
        f"- corpus `{cfg['corpus']}`: {cfg['ingest'].get('documents')} documents, "
        f"{cfg['ingest'].get('chunks')} chunks "
        f"({'cached store' if cfg['ingest'].get('cached') else 'ingested now'})",
    ]
    if baseline is not None:
        base_cfg = baseline.get("config", {})
        lines.append(
            f"- baseline: {base_cfg.get('suite', '?')}, "
            f"retriever {base_cfg.get('retriever', '?')}, {base_cfg.get('date', '')}"
        )
    missing = cfg["ingest"].get("evidence_not_in_any_chunk") or []
    if missing:
        lines.append(f"- evidence held by no single chunk: {', '.join(missing)}")
    head = headers(results, baseline)
    lines += ["", "## Metrics", "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(head))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows(results, baseline)]
    lines += _tradeoff(results)
    lines += ["", *(f"![{name}]({name})" for name in images), ""]
    lines += _worst(results["questions"])
    return "\n".join(lines) + "\n"


def _badness(record: dict[str, Any]) -> tuple[float, ...]:
    mtr = record["metrics"]
    if not record["answerable"]:
        return (mtr.get("not_found", 1.0), 1.0, 1.0)
    return (
        mtr.get("f1", mtr.get("answered", 1.0)),
        mtr.get("mrr@10", 1.0),
        mtr.get("contains_answer", 1.0),
    )


def _worst(records: list[dict[str, Any]]) -> list[str]:
    worst = sorted(records, key=_badness)[:WORST]
    lines = ["## Worst questions", ""]
    for r in worst:
        mtr = r["metrics"]
        scores = ", ".join(f"{k} {v:.2f}" for k, v in mtr.items() if isinstance(v, float))
        expected = " / ".join(r["answers"]) if r["answerable"] else "(not found)"
        lines += [
            f"### {r['id']} ({r['lang']}): {r['question']}",
            "",
            f"- expected: {expected}; relevant docs: {', '.join(r['relevant_docs']) or '-'}",
            f"- answer ({r['mode']}): {_one_line(r['answer'])}",
            f"- scores: {scores}",
            "- retrieved:",
        ]
        relevant = set(r["relevant_docs"])
        for i, p in enumerate(r["retrieved"][:5], start=1):
            mark = " **(relevant)**" if p["doc_id"] in relevant else ""
            lines.append(f"  {i}. `{p['doc_id']}`{mark}: {_one_line(p['text'])[:200]}")
        lines.append("")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _tradeoff(results: dict[str, Any]) -> list[str]:
    """The answer-or-"not found" trade-off per pair, and paraphrased against copied wording."""
    lines: list[str] = []
    tradeoff = results.get("tradeoff") or {}
    if tradeoff:
        lines += [
            "",
            '## Answer or "not found": over all thresholds',
            "",
            "| pair | questions | answerable | ROC AUC | answered at the threshold "
            "| wrong among them |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for pair, row in tradeoff.items():
            point = row.get("operating_point") or [None, None]
            lines.append(
                f"| {pair} | {row['questions']} | {row['answerable']} | {_fmt(row['roc_auc'])} "
                f"| {_fmt(point[0])} | {_fmt(point[1])} |"
            )
    para = results.get("paraphrased") or {}
    if para:
        lines += [
            "",
            "## Answerable questions: paraphrased against copied wording",
            "",
            "| pair | paraphrased: questions | answered_rate | hit@5 "
            "| copied: questions | answered_rate | hit@5 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for pair, row in para.items():
            p, c = row["paraphrased"], row["copied"]
            lines.append(
                f"| {pair} | {p['questions']} | {_fmt(p['answered_rate'])} | {_fmt(p['hit@5'])} "
                f"| {c['questions']} | {_fmt(c['answered_rate'])} | {_fmt(c['hit@5'])} |"
            )
    return lines
