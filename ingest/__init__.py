"""Ingest: read news files of many formats into records, clean their text, tag their language."""
