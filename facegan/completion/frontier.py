"""The perception-distortion frontier of an evaluation (Blau & Michaeli 2018).

A fill cannot in general be both as close to the truth as possible (low hole L1: the conditional
mean, a blur) and as real-looking as possible (a sample of real mouths): the best achievable realism
at each distortion is a frontier. Each evaluation row is a point (x: hole L1, y: a realism score,
lower = more like real mouths for both); a row is *dominated* when another has no higher L1 and no
worse realism, one of them strictly lower. The rows left, joined in order of L1, are the frontier
that the evaluation measured: a method off it is beaten on both counts by one on it.

`frontier(rows)` works on plain rows (dicts with "name", "x", "y"); `points(summary, score)` makes
them from an evaluation's summary (summary.json's "results"); `plot_frontier(summary)` draws them.
Dominance is decided on the means; the error bars (± standard error, both ways) show how far apart
the rows really are.
"""
from __future__ import annotations

import math

from facegan.errors import FaceganError

# score -> (summary key of the mean, of its SE, axis label, scale for the axis)
SCORES = {
    "c2st": ("realism_c2st", "realism_c2st_se",
             "realism: C2ST accuracy, % (50 = indistinguishable from real mouths)", 100.0),
    "swd": ("realism_swd", "realism_se", "realism: patch SWD × 10³ to real mouths (lower = more real)",
            1.0),
}
PALETTE = {"gan": "C0", "supervised": "C1", "classical": "C7"}   # as the chapter's bar chart


def frontier(rows) -> list[dict]:
    """The non-dominated rows (lower "x" and lower "y" are better), in order of x (then y).
    Rows whose x or y is missing (None or NaN) take no part; equal rows do not dominate each other."""
    valid = [r for r in rows if _number(r.get("x")) and _number(r.get("y"))]

    def dominated(r):
        return any(o["x"] <= r["x"] and o["y"] <= r["y"] and (o["x"] < r["x"] or o["y"] < r["y"])
                   for o in valid)

    return sorted((r for r in valid if not dominated(r)), key=lambda r: (r["x"], r["y"]))


def points(summary: dict, score: str = "c2st") -> list[dict]:
    """An evaluation's rows as frontier points: name, family, x (hole L1) and x_se, y (`score`'s
    mean) and y_se; a row without that score gets y None."""
    if score not in SCORES:
        raise FaceganError(f"unknown realism score {score!r}; known: {', '.join(SCORES)}")
    key, se_key = SCORES[score][:2]
    return [{"name": name, "family": m.get("family"), "x": m["hole_l1"][0], "x_se": m["hole_l1"][1],
             "y": m.get(key), "y_se": m.get(se_key)} for name, m in summary["methods"].items()]


def frontier_names(summary: dict) -> dict[str, list[str]]:
    """score -> the names of the rows on its frontier, in order of hole L1 (for summary.json)."""
    return {score: [r["name"] for r in frontier(points(summary, score))] for score in SCORES}


def plot_frontier(summary: dict, scores=("c2st", "swd"), path=None):
    """One panel per realism score that the summary has: every row at (hole L1, realism) ± SE both
    ways, coloured by family and labelled, the frontier's rows joined by a line, and the real
    mouths' level (chance for the C2ST, the held-out floor for the SWD) as a dashed line. Returns
    the Figure (and writes it to `path` when given)."""
    import matplotlib.pyplot as plt

    scores = [s for s in scores if any(_number(p["y"]) for p in points(summary, s))]
    if not scores:
        raise FaceganError("the evaluation has no realism scores to draw a frontier with")
    # one panel under the other, so that each keeps a book page's width and readable labels
    fig, axes = plt.subplots(len(scores), 1, figsize=(7.5, 5.2 * len(scores)), squeeze=False)
    for ax, score in zip(axes[:, 0], scores):
        _panel(ax, summary, score)
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=f) for f, c in PALETTE.items()]
    handles.append(plt.Line2D([], [], color="k", lw=1, marker="o", mfc="w", mec="k",
                              label="frontier (not dominated)"))
    axes[0, 0].legend(handles=handles, fontsize=8, loc="lower right")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def _panel(ax, summary: dict, score: str) -> None:
    label, scale = SCORES[score][2:]
    rows = [p for p in points(summary, score) if _number(p["y"])]
    best = frontier(rows)
    on = {id(p) for p in best}
    for p in rows:
        ax.errorbar(p["x"], scale * p["y"], xerr=_se(p["x_se"]), yerr=scale * _se(p["y_se"]), fmt="o",
                    ms=6 if id(p) in on else 5, color=PALETTE.get(p["family"], "C3"),
                    mec="k" if id(p) in on else "none", ecolor="0.6", elinewidth=1, capsize=2)
    ax.plot([p["x"] for p in best], [scale * p["y"] for p in best], "k-", lw=1, zorder=0)
    level, what = ((0.5, "chance") if score == "c2st" else
                   (summary.get("realism_floor"), "real mouths (held out)"))
    if _number(level):
        ax.axhline(scale * level, color="0.4", ls="--", lw=1)
        ax.annotate(what, (0, scale * level), xycoords=("axes fraction", "data"), xytext=(3, 3),
                    textcoords="offset points", fontsize=7, color="0.3")
    ax.set_xlabel("hole L1 on the [0, 1] scale (lower = closer to the truth)")
    ax.set_ylabel(label, fontsize=9)
    ax.grid(alpha=.3)
    _labels(ax, [(p["name"], p["x"], scale * p["y"]) for p in rows])


def _labels(ax, named, fontsize: float = 8) -> None:
    """Each point's name beside it, moved down a line at a time while it would overlap a name
    already placed (rows with nearly equal scores would otherwise print over each other)."""
    ax.autoscale_view()
    placed, line = [], 1.25 * fontsize
    for name, x, y in sorted(named, key=lambda t: (-t[2], t[1])):
        px, py = ax.transData.transform((x, y)) * 72.0 / ax.figure.dpi     # in points
        w = 0.55 * fontsize * len(name)
        dy = 3.0
        while any(abs((px + 4) - qx) < max(w, qw) and abs((py + dy) - qy) < line
                  for qx, qy, qw in placed):
            dy -= line
        placed.append((px + 4, py + dy, w))
        ax.annotate(name, (x, y), xytext=(4, dy), textcoords="offset points", fontsize=fontsize)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _se(v) -> float:
    return v if _number(v) else 0.0
