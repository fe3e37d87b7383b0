"""Tables in the report: `facegan.tables.md_table` (the one table writer) for records and notebooks.
The notebooks choose the rows and their labels."""
from __future__ import annotations

from facegan.tables import fmt, md_table  # noqa: F401 (re-exported for the notebooks)


def history_table(rows: list[dict], first: str = "epoch") -> str:
    """A training history as a table: one row per epoch (or step), the `first` key first."""
    if not rows:
        return "*(nothing recorded)*"
    keys = [first] + [k for k in rows[0] if k != first]
    return md_table(keys, [[r.get(k) for k in keys] for r in rows])


def show_table(header: list[str], rows: list[list]) -> None:
    """Display a Markdown table in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(md_table(header, rows)))
