"""The README's settings tables, generated from the fields: `python -m rag.settings_table`
prints them (tests/test_settings.py checks the README holds them verbatim)."""

from __future__ import annotations

from pathlib import Path

from rag.settings import GROUPS


def markdown_table() -> str:
    """The README's settings tables, one per group, generated from the fields (a test checks
    the README has them verbatim)."""
    computed = {"cache_dir": "`~/.cache/rag-news`", "prompts_dir": "the shipped `prompts/`"}
    sections = []
    for heading, group in GROUPS.items():
        about = " ".join((group.__doc__ or "").split())
        rows = [
            f"#### {heading}\n\n{about}\n\n| variable | default | what it does |\n|---|---|---|"
        ]
        for name, field in group.model_fields.items():
            if field.default_factory is not None:
                default = computed.get(name, "(computed)")
            elif field.default in (None, ""):
                default = "(empty)"
            else:
                value = field.default
                default = f"`./{value}`" if isinstance(value, Path) else f"`{value}`"
            description = (field.description or "").replace("|", "\\|")
            rows.append(f"| `RAG_{name.upper()}` | {default} | {description} |")
        sections.append("\n".join(rows) + "\n")
    return "\n".join(sections)


if __name__ == "__main__":
    print(markdown_table(), end="")
