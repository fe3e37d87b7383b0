"""Markdown tables: the package's one table writer. The notebooks choose the rows and their labels."""
from __future__ import annotations

import numpy as np


def fmt(v) -> str:
    """A cell: integers with thousands separators, floats to 4 significant digits."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def md_table(header: list[str], rows: list[list]) -> str:
    """A Markdown (MyST) table; every cell goes through `fmt`, None becomes empty."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("" if c is None else fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


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
