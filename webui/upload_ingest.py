"""The ingest of one web upload: the pipeline's own, with the web's limits and ids.

Every record's own `id` becomes `upload/<id>`, even one that already starts with `upload/`,
so a record can never take the id of an article that came from elsewhere; and an own id in
the form of an uploaded file's place (`<12 hex digits>/...`, which `upload/` would turn into
`upload/<content hash>/<name>`) is refused, so one upload cannot replace another's file.
A record without an id is named by its file's place, `upload/<content hash>/<name>`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from ingest.pipeline import Ingestor, Prepared, Progress, prepare
from ingest.readers import RawRecord, iter_records
from ingest.report import IngestReport
from rag.text.safe import plain_field
from webui.uploads import upload_settings

NAMESPACE = "upload/"
_FILE_PLACE = re.compile(r"[0-9a-f]{12}/")  # copy_uploads' `<content hash>/` folders


class UploadIngestor(Ingestor):
    """Build it with `UploadIngestor.from_parts(parts, namespace=NAMESPACE)`."""

    def _run(
        self, paths: Sequence[Path], progress: Progress | None, report: IngestReport
    ) -> IngestReport:
        self._report = report
        return super()._run(paths, progress, report)

    def _prepared(self, paths: Sequence[Path]) -> Iterator[Prepared]:
        limits = upload_settings(self.settings)  # RAG_MAX_UPLOAD_MB, RAG_MAX_UPLOAD_TOTAL_MB
        for root in paths:
            for item in iter_records([root], limits):
                prep = prepare(item, root)
                if isinstance(item, RawRecord) and prep.doc is not None:
                    own = plain_field(item.fields.get("id", "")).strip()
                    prep = self._own_id(prep, own) if own else prep
                yield prep

    def _own_id(self, prep: Prepared, own: str) -> Prepared:
        doc = prep.doc
        assert doc is not None
        if _FILE_PLACE.match(own):
            return Prepared(
                prep.where,
                failure=f"`id` {own[:80]!r} has the form of an uploaded file's place "
                "(12 hex digits and a slash); give the record another id",
            )
        if self.store.get_docs([own]):
            self._report.warnings.append(
                f"{doc.origin}: id {own!r} belongs to an article that was not uploaded here; "
                f"it is not replaced, this record is stored as {NAMESPACE + own!r}"
            )
        return Prepared(prep.where, dataclasses.replace(doc, doc_id=NAMESPACE + own))
