"""PNG plots of a run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval import scoring

COLORS = {"all": "#333333", "ar": "#1f77b4", "en": "#ff7f0e"}
BAR_METRICS = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "f1",
    "contains_answer",
    "not_found_accuracy",
    "citation_precision",
    "citation_recall",
    "supported_rate",
)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_hit_curve(results: dict[str, Any], path: Path) -> Path:
    """hit@k for k = 1..10, overall and per question language."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    records = results["questions"]
    groups = {"all": records}
    for lang in sorted({r["lang"] for r in records}):
        groups[lang] = [r for r in records if r["lang"] == lang]
    for name, subset in groups.items():
        curve = scoring.hit_curve(subset)
        if curve:
            ks = range(1, len(curve) + 1)
            ax.plot(ks, curve, marker="o", label=name, color=COLORS.get(name))
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1.05)
    ax.set_xticks(range(1, scoring.RETRIEVAL_K + 1))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"hit@k · {results['config']['suite']} · {results['config']['retriever']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_metric_bars(results: dict[str, Any], baseline: dict[str, Any] | None, path: Path) -> Path:
    """Main metrics as bars, beside the baseline's when there is one."""
    plt = _pyplot()
    names = [n for n in BAR_METRICS if scoring.lookup(results, n) is not None]
    current = [scoring.lookup(results, n) or 0.0 for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(names)), 4))
    xs = list(range(len(names)))
    width = 0.4 if baseline is not None else 0.6
    if baseline is not None:
        base = [scoring.lookup(baseline, n) or 0.0 for n in names]
        ax.bar([x - width / 2 for x in xs], base, width, label="baseline", color="#bbbbbb")
        ax.bar([x + width / 2 for x in xs], current, width, label="this run", color="#1f77b4")
        ax.legend(loc="upper center", ncol=2, frameon=False)
    else:
        ax.bar(xs, current, width, color="#1f77b4")
    ax.set_xticks(xs)
    ax.set_xticklabels(names, rotation=35, ha="right")
    ax.set_ylim(0, 1.15)  # room for the legend above bars that reach 1
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"metrics · {results['config']['suite']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_risk_coverage(results: dict[str, Any], path: Path) -> Path:
    """Risk (wrong answers among those given) against coverage (questions answered) as the
    answerability threshold moves, per language pair; the shipped threshold marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, row in results.get("tradeoff", {}).items():
        curve = row["risk_coverage"]
        if not curve:
            continue
        auc = row["roc_auc"]
        label = f"{name} (AUC {auc:.2f})" if auc is not None else name
        line = ax.plot([p[0] for p in curve], [p[1] for p in curve], label=label)[0]
        if row.get("operating_point"):
            x, y = row["operating_point"]
            ax.plot([x], [y], marker="o", color=line.get_color())
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("risk (share of answers that are wrong)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"risk-coverage · {results['config']['suite']} (dot: shipped threshold)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
