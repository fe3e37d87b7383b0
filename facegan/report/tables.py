"""Tables in the report: `facegan.tables.md_table` (the one table writer) for records and notebooks.
The notebooks choose the rows and their labels."""
from __future__ import annotations

from facegan.tables import fmt, md_table  # noqa: F401 (re-exported for the notebooks)


def records_table(records: list[dict], first: str = "epoch") -> str:
    """One row per record (e.g. a training history), the `first` key as the first column."""
    if not records:
        return "*(nothing recorded)*"
    keys = [first] + [k for k in records[0] if k != first]
    return md_table(keys, [[r.get(k) for k in keys] for r in records])


def show_table(header: list[str], rows: list[list]) -> None:
    """Display a Markdown table in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(md_table(header, rows)))
