"""What an ingest run did: counts, duplicates, failures (capped) and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# A 2 MB file of a million bad records must not become a 136 MB report.
MAX_FAILURES_LISTED = 1000


@dataclass
class IngestReport:
    """What an ingest run did. `to_json()` is the `rag ingest --json` contract."""

    ingested: int = 0
    unchanged: int = 0
    updated: int = 0
    duplicates: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    chunks: int = 0
    removed_chunks: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    failed: int = 0  # all failures; only the first MAX_FAILURES_LISTED are listed

    def fail(self, where: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_LISTED:
            self.failures.append({"where": where, "reason": reason})
        elif self.failed == MAX_FAILURES_LISTED + 1:
            self.warnings.append(
                f"more than {MAX_FAILURES_LISTED} failures: only the first "
                f"{MAX_FAILURES_LISTED} are listed (`failed` counts them all)"
            )

    def summary(self) -> dict[str, Any]:
        """The counts (no lists) and when it finished: what the store keeps for `rag stats`."""
        data = {k: v for k, v in self.to_json().items() if not isinstance(v, list)}
        data["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "updated": self.updated,
            "duplicates": len(self.duplicates),
            "failed": self.failed,
            "chunks": self.chunks,
            "removed_chunks": self.removed_chunks,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks / self.seconds, 2) if self.seconds else 0.0,
            "duplicate_docs": self.duplicates,
            "failures": self.failures,
            "warnings": self.warnings,
        }
