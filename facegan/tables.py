"""Markdown tables: the package's one table writer, shared by every stage (the evaluation's metrics.md,
the report's tables). Callers choose the rows and their labels."""
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
