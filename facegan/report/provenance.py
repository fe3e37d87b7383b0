"""Provenance: which code, settings and data made a figure, written into its caption.

The caption's *text* is the notebook's; this module only appends the edition's record
(profile, data source, seed, commit) so that no figure can be shown without it.
"""
from __future__ import annotations

from facegan.records import commit  # noqa: F401 (a caption's commit; re-exported)
from facegan.report.edition import Edition


def record(ed: Edition) -> str:
    """The edition in one line: profile, data source, seed, commit and any overridden setting."""
    changed = "".join(f", {k}={v!r}" for k, v in sorted((ed.overrides or {}).items()))
    return f"profile `{ed.profile}`{changed}, data: {ed.data_label}, seed {ed.seed}, commit `{commit()}`"


def caption(ed: Edition, number: int | str | None, text: str) -> str:
    """A figure caption (Markdown): **Figure N.** text, then the edition's record."""
    head = f"**Figure {number}.** " if number is not None else ""
    return f"{head}{text} *({record(ed)})*"


def summary(ed: Edition) -> str:
    """The line each chapter opens with: which edition the reader is looking at."""
    return f"**Edition:** {ed.settings['description']}; {record(ed)}."


def show(ed: Edition, fig, number: int | str | None, text: str) -> None:
    """Display a figure and its caption, then free it."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    display(fig)
    display(Markdown(caption(ed, number, text)))
    plt.close(fig)
