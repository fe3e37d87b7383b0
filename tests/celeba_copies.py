"""Test helpers: copies of a CelebA directory in either layout, for some or all of its images.

Images are symlinked (never copied); list rows are copied verbatim (official layout) or rewritten
as Kaggle's CSVs, so both copies describe exactly the same faces.
"""
from __future__ import annotations

from pathlib import Path

from facegan.data.celeba import SPECS, read_list
from facegan.data.layout import IMAGE_DIR, LIST_FILES, OFFICIAL, find_layout

LISTS = ("partition", "landmarks", "attributes")


def _keep(layout, n: int | None) -> list[str]:
    """`n` images spread evenly over the partition list (so every partition is represented)."""
    ids = read_list(layout, "partition").ids
    return ids if n is None else ids[::max(1, len(ids) // n)][:n]


def official_copy(src: Path, dst: Path, n: int | None = None) -> Path:
    """`n` images of `src` (official layout; default all) with their rows copied verbatim."""
    layout = find_layout(src)
    keep = _keep(layout, n)
    _link_images(layout.image_dir, dst / IMAGE_DIR, keep)
    wanted = set(keep)
    roles = LISTS + (("identity",) if layout.has("identity") else ())
    for role in roles:
        t = read_list(layout, role)
        lines = [row for name, row in zip(t.ids, t.rows) if name in wanted]
        head = (Path(t.path).read_text().splitlines()[:2] if SPECS[role].counted else [])
        if head:
            head[0] = str(len(lines))
        (dst / LIST_FILES[OFFICIAL][role]).write_text("".join(line + "\n" for line in head + lines))
    return dst


def kaggle_copy(src: Path, dst: Path, n: int | None = None) -> Path:
    """`n` images of `src` (default all) in Kaggle's layout: nested image folder, lists as CSV."""
    layout = find_layout(src)
    keep = _keep(layout, n)
    _link_images(layout.image_dir, dst / IMAGE_DIR / IMAGE_DIR, keep)
    wanted = set(keep)
    for role in LISTS:
        t = read_list(layout, role)
        rows = [",".join([name, *map(str, v)]) for name, v in zip(t.ids, t.values.tolist()) if name in wanted]
        text = ",".join(SPECS[role].csv_header) + "\n" + "".join(r + "\n" for r in rows)
        (dst / LIST_FILES["kaggle"][role]).write_text(text)
    (dst / "list_bbox_celeba.csv").write_text("image_id,x_1,y_1,width,height\n")   # Kaggle ships it; unused
    return dst


def _link_images(src_dir: Path, dst_dir: Path, names) -> None:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dst_dir / name).symlink_to(src_dir / name)
