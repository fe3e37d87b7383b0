"""`facegan data check`: is this CelebA directory the official release, a subset of it, or modified?

What can be verified, and how:

* A whole list file: its size and SHA-256 against the official ones (`OFFICIAL_FILES`, published by
  TensorFlow Datasets). Files that hold the official rows in another form (Kaggle's CSV, LF line
  endings, re-spaced columns) are verified by rebuilding the official text from their rows and
  hashing that. The rebuilt form (CRLF line endings; `name v0` then the other values right-aligned in
  3 (attributes) or 5 (landmarks) columns; count and header lines) reproduces the official
  `list_eval_partition.txt` byte for byte (its SHA-256 is checked in the tests) and the published
  sizes of the landmark and attribute lists exactly.
* Rows of a subset (fewer than 202,599 rows, as in the real-CelebA sample): the official release
  publishes no per-row checksums, so attribute, landmark and identity *values* cannot be verified
  row by row. What is checked: every row is well formed and laid out like the rest of its file (a
  hand-edited row usually is not), names are CelebA names in the official order, every list
  describes the same images, landmarks lie inside the 178x218 image, and every partition value
  equals the official one (the official partition follows from the image number alone:
  000001-162770 train, 162771-182637 val, 182638-202599 test). An edit that keeps a row's layout
  (e.g. `-1` -> ` 1` in an attribute) is not detectable in a subset, and the summary says so.
* Images: every listed image must exist and look like a whole JPEG (start and end markers);
  missing and unreadable ones are named.

`check_celeba(dir)` returns a `CelebACheck`; `.ok` is False for a modified or incomplete list or a
missing/unreadable image, and `.summary()` is the text `facegan data check` prints.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from facegan.data.celeba import ATTRIBUTE_NAMES, LANDMARK_COLUMNS, PARTITION_NAMES, read_list
from facegan.data.layout import KAGGLE, LIST_FILES, ROLES, Layout, find_layout
from facegan.errors import FaceganError

OFFICIAL_ROWS = 202_599
OFFICIAL_SPLITS = (162_770, 182_637)       # last image number of train, of val (test runs to 202,599)
IMAGE_SIZE = (178, 218)                    # width, height of an aligned CelebA image


@dataclass(frozen=True)
class OfficialFile:
    name: str
    size: int
    sha256: str


# Sizes and SHA-256 of the official CelebA files, as published by TensorFlow Datasets in
# github.com/tensorflow/datasets, tensorflow_datasets/datasets/celeb_a/checksums.tsv
# (commit 5455cd6c667a716a6aa1b13e86ff28985a040acd; the same values are in the older
# tensorflow_datasets/url_checksums/celeb_a.txt). The images' img_align_celeba.zip is listed there
# too (1,443,490,838 bytes, 46fb8944...); the check looks at extracted images, not the zip.
OFFICIAL_FILES = {
    "partition": OfficialFile("list_eval_partition.txt", 2_836_386,
                              "fc955bcb3ef8fbdf7d5640d9a8693a8431b5f2ee291a5c1449a1549e7e073fe7"),
    "attributes": OfficialFile("list_attr_celeba.txt", 26_721_026,
                               "f0e5da289d5ccf75ffe8811132694922b60f2af59256ed362afa03fefba324d0"),
    "landmarks": OfficialFile("list_landmarks_align_celeba.txt", 12_156_055,
                              "6c02a87569907f6db2ba99019085697596730e8129f67a3d61659f198c48d43b"),
    "identity": OfficialFile("identity_CelebA.txt", 3_424_458,
                             "c6143857c3e2630ac2da9f782e9c1232e5e59be993a9d44e8a7916c78a6158c0"),
}

# verdicts
FULL = "full official release"
SUBSET = "subset of the official release"
MODIFIED = "modified file"
INCOMPLETE = "incomplete (a list file is missing)"
SYNTHETIC = "synthetic CelebA (rendered by facegan), not the official release"
# file statuses
SAME = "official"                    # the official bytes, or the official content in another form
PART = "subset"                      # fewer rows, all consistent with the official release
CHANGED = "modified"
ABSENT = "missing"
NOT_COMPARED = "not compared"        # synthetic data: there is no official file to compare with

NAME = re.compile(r"^(\d{6})\.jpg$")


# ------------------------------------------------------------------------------ row layouts
@lru_cache(maxsize=None)
def _row_format(first: str, width: int, n: int) -> str:
    return "%s" + first + f"%{width}d" * (n - 1)


def _padded(width: int):
    """`name` then every value right-aligned in `width` columns."""
    return lambda name, v: _row_format(f"%{width}d", width, len(v)) % (name, *v)


def _official(width: int):
    """`name v0` then the other values right-aligned in `width` columns (the official lists)."""
    return lambda name, v: _row_format(" %d", width, len(v)) % (name, *v)


# How each list's rows are written: the official text, and the fully padded columns that
# facegan's writers (and the real-CelebA sample's estimated landmarks) use.
ROW_LAYOUTS = {
    "partition": {"official": _official(1)},
    "identity": {"official": _official(1)},
    "attributes": {"official": _official(3), "padded": _padded(3)},
    "landmarks": {"official": _official(5), "padded": _padded(5)},
}


def official_partition(numbers) -> np.ndarray:
    """The official partition (0 train, 1 val, 2 test) of each image number (1-based)."""
    n = np.asarray(numbers)
    return np.where(n <= OFFICIAL_SPLITS[0], 0, np.where(n <= OFFICIAL_SPLITS[1], 1, 2))


def official_text(role: str, ids, values) -> bytes:
    """The official file's bytes for these rows: CRLF lines, count and header lines where it has them."""
    fmt = ROW_LAYOUTS[role]["official"]
    lines = [fmt(name, v) for name, v in zip(ids, np.asarray(values).tolist())]
    if role == "attributes":
        lines = [str(len(ids)), " ".join(ATTRIBUTE_NAMES) + " ", *lines]
    elif role == "landmarks":
        lines = [str(len(ids)), " ".join(LANDMARK_COLUMNS), *lines]
    return "".join(line + "\r\n" for line in lines).encode("ascii")


# ------------------------------------------------------------------------------ results
@dataclass
class FileCheck:
    """The verdict on one list file."""

    role: str                       # partition, landmarks, attributes, identity
    path: Path
    status: str                     # SAME, PART, CHANGED, ABSENT, NOT_COMPARED
    rows: int = 0
    detail: str = ""
    line: int | None = None         # the first offending line, for CHANGED
    expected: str | None = None
    actual: str | None = None

    def describe(self) -> str:
        text = f"{self.path.name}: {self.rows:,} rows, {self.status}"
        if self.detail:
            text += f" - {self.detail}"
        if self.expected is not None:
            text += f"\n    expected {self.expected}\n    actual   {self.actual}"
        return text


@dataclass
class CelebACheck:
    """What `check_celeba` found in one directory."""

    root: Path
    layout: str                     # 'official' or 'kaggle'
    layout_description: str
    image_dir: Path
    files: list[FileCheck]
    verdict: str
    n_listed: int = 0               # images named by the partition list
    n_image_files: int = 0          # .jpg files in the image folder
    n_unlisted: int = 0             # image files no list names
    partition_counts: dict = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)             # listed, no file
    unreadable: list[tuple[str, str]] = field(default_factory=list)   # (name, why)

    @property
    def ok(self) -> bool:
        """True for the full release, a consistent subset, or synthetic data, with every image readable."""
        return self.verdict in (FULL, SUBSET, SYNTHETIC) and not self.missing and not self.unreadable

    @property
    def modified(self) -> list[FileCheck]:
        return [f for f in self.files if f.status in (CHANGED, ABSENT)]

    def summary(self) -> str:
        rel = os.path.relpath(self.image_dir, self.root)
        counts = ", ".join(f"{k} {v:,}" for k, v in self.partition_counts.items())
        lines = [f"CelebA check of {self.root}",
                 f"layout: {self.layout_description}",
                 f"images: {self.n_image_files:,} files in {rel}/, {self.n_listed:,} listed ({counts}); "
                 f"{len(self.missing):,} missing, {len(self.unreadable):,} unreadable"
                 + (f", {self.n_unlisted:,} not in the lists" if self.n_unlisted else "")]
        if self.missing:
            lines.append(f"  missing: {_first(self.missing)}")
        if self.unreadable:
            lines.append(f"  unreadable: {_first([f'{n} ({why})' for n, why in self.unreadable])}")
        lines.append("lists:")
        lines += ["  " + f.describe() for f in self.files]
        if self.verdict == SUBSET:
            lines.append("  (a subset's attribute, landmark and identity values cannot be verified row by row: the "
                         "official release publishes whole-file checksums only)")
        verdict = self.verdict
        if self.verdict in (FULL, SUBSET):
            verdict += f" ({self.n_listed:,} of {OFFICIAL_ROWS:,} images)"
        elif self.modified:
            verdict += ": " + ", ".join(f.path.name for f in self.modified)
        if self.missing or self.unreadable:
            verdict += f"; {len(self.missing):,} listed image(s) missing, {len(self.unreadable):,} unreadable"
        lines.append(f"verdict: {verdict}" + ("" if self.ok else "  [NOT OK]"))
        return "\n".join(lines)


def _first(names: list[str], k: int = 5) -> str:
    more = f" and {len(names) - k:,} more" if len(names) > k else ""
    return ", ".join(names[:k]) + more + f" ({len(names):,} in all)"


# ------------------------------------------------------------------------------ checks
def check_celeba(root: str | os.PathLike, check_images: bool = True) -> CelebACheck:
    """Check a CelebA directory (official or Kaggle layout) against the official release.

    Raises FaceganError only when `root` is not a CelebA directory at all; every finding about its
    files is in the returned `CelebACheck` (see the module docstring for what is verified).
    """
    from facegan.data.synthetic.render import MANIFEST_FILE

    layout = find_layout(root)
    synthetic = (layout.root / MANIFEST_FILE).is_file()
    roles = [r for r in (*ROLES, "identity") if r in LIST_FILES[layout.kind]
             and (r in ROLES or layout.has(r))]
    checks, tables = [], {}
    for role in roles:
        fc, table = _check_list(layout, role, synthetic)
        checks.append(fc)
        if table is not None:
            tables[role] = table
    _check_same_images(checks, tables)

    if synthetic:
        verdict = SYNTHETIC
    elif any(f.status == ABSENT for f in checks):
        verdict = INCOMPLETE
    elif any(f.status == CHANGED for f in checks):
        verdict = MODIFIED
    elif all(f.status == SAME for f in checks):
        verdict = FULL
    else:
        verdict = SUBSET
    result = CelebACheck(layout.root, layout.kind, layout.description, layout.image_dir, checks, verdict)
    part = tables.get("partition")
    if part is not None:
        result.n_listed = len(part.ids)
        result.partition_counts = {name: int((part.values[:, 0] == v).sum()) for v, name in PARTITION_NAMES.items()}
    if check_images:
        _check_images(result, part.ids if part is not None else [])
    return result


def _check_list(layout: Layout, role: str, synthetic: bool):
    """(FileCheck, parsed table or None) for one list file."""
    path = layout.path(role)
    official = OFFICIAL_FILES[role]
    if not path.is_file():
        return FileCheck(role, path, ABSENT, detail=f"the file is missing (every stage needs {path.name})"), None
    data = path.read_bytes()
    if not synthetic and layout.kind != KAGGLE and len(data) == official.size \
            and hashlib.sha256(data).hexdigest() == official.sha256:
        table = read_list(layout, role)
        return FileCheck(role, path, SAME, len(table.ids),
                         "byte-identical to the official file (size and SHA-256)"), table
    try:
        table = read_list(layout, role)
    except FaceganError as e:
        line = re.search(r", line (\d+):", str(e))
        return FileCheck(role, path, CHANGED, detail=str(e), line=int(line.group(1)) if line else None), None
    n = len(table.ids)
    if synthetic:
        return FileCheck(role, path, NOT_COMPARED, n, "synthetic data: no official file to compare with"), table
    problem, fits = _row_problem(layout, role, table)
    if problem is not None:
        line, detail, expected, actual = problem
        return FileCheck(role, path, CHANGED, n, detail, line, expected, actual), table
    form = _form(layout, fits[0], data)
    if n == OFFICIAL_ROWS:
        rebuilt = official_text(role, table.ids, table.values)
        digest = hashlib.sha256(rebuilt).hexdigest()
        if digest == official.sha256:
            return FileCheck(role, path, SAME, n, f"the official content ({form}): the official text rebuilt "
                             "from its rows has the official SHA-256"), table
        return FileCheck(role, path, CHANGED, n, f"all {n:,} rows, but not the official content ({form})",
                         expected=f"{official.name}: {official.size:,} bytes, SHA-256 {official.sha256}",
                         actual=f"rebuilt from its rows: {len(rebuilt):,} bytes, SHA-256 {digest}"), table
    what = ("every row agrees with the official partition" if role == "partition"
            else "rows well formed and consistent")
    return FileCheck(role, path, PART, n, f"{what}; {form}"), table


def _form(layout: Layout, name: str, data: bytes) -> str:
    """How the file writes its rows, in words (CSV / official text / padded columns; line endings)."""
    if layout.kind == KAGGLE:
        return "Kaggle CSV form"
    ending = "CRLF line endings" if b"\r\n" in data else "LF line endings (official: CRLF)"
    if name == "official":
        return f"official row layout, {ending}"
    return f"columns re-spaced ({name}), not the official text: rewritten by another tool; {ending}"


def _layouts_of(layouts: dict, ids, values, rows):
    """(names of the layouts that reproduce every row, None) or (layouts fitting so far, first row that
    fits none of them). A layout must hold for the whole file: one row in another is an edit."""
    fits = list(layouts)
    for k, (name, v, text) in enumerate(zip(ids, values, rows)):
        still = [f for f in fits if layouts[f](name, v) == text]
        if not still:
            return fits, k
        fits = still
    return fits, None


def _row_problem(layout: Layout, role: str, table):
    """((line, what, expected, actual) of the first row inconsistent with the official release, or None;
    the names of the row layouts that fit the file)."""
    if layout.kind == KAGGLE:
        layouts = {"csv": lambda name, v: ",".join([name, *map(str, v)])}
    else:
        layouts = ROW_LAYOUTS[role]
    fits, k = _layouts_of(layouts, table.ids, table.values.tolist(), table.rows)
    if k is not None:
        want = layouts[fits[0]](table.ids[k], table.values[k].tolist())
        what = ("the first row is laid out like no copy of the official list" if k == 0 else
                f"line {k + table.first_line} is laid out unlike the rest of the file: an edited row")
        return (k + table.first_line, what, f"{want!r} (its values, laid out like the rest)",
                repr(table.rows[k])), fits
    return _value_problem(role, table), fits


def _value_problem(role: str, table):
    """(line, what, expected, actual) of the first row whose name or values contradict the release."""
    first, ids, rows = table.first_line, table.ids, table.rows
    numbers = []
    for k, name in enumerate(ids):
        m = NAME.match(name)
        if not m or not 1 <= int(m.group(1)) <= OFFICIAL_ROWS:
            return (k + first, f"line {k + first}: {name!r} is not a CelebA image name",
                    "000001.jpg ... 202599.jpg", repr(name))
        numbers.append(int(m.group(1)))
    numbers = np.array(numbers, np.int64)
    if numbers.size > 1:
        back = np.flatnonzero(np.diff(numbers) <= 0)
        if back.size:
            k = int(back[0]) + 1
            return (k + first, f"line {k + first}: {ids[k]} after {ids[k - 1]}, out of the official order",
                    f"an image after {ids[k - 1]}", ids[k])
    if role == "partition":
        want = official_partition(numbers)
        bad = np.flatnonzero(table.values[:, 0] != want)
        if bad.size:
            k = int(bad[0])
            return (k + first, f"line {k + first}: {ids[k]} is in partition {table.values[k, 0]}, the official "
                    f"release puts it in {want[k]} ({PARTITION_NAMES[int(want[k])]})",
                    repr(ROW_LAYOUTS["partition"]["official"](ids[k], [int(want[k])])), repr(rows[k]))
    if role == "landmarks":
        xy = table.values.reshape(-1, 5, 2)
        out = np.flatnonzero(((xy < 0) | (xy >= IMAGE_SIZE)).any(axis=(1, 2)))
        if out.size:
            k = int(out[0])
            return (k + first, f"line {k + first}: a landmark of {ids[k]} lies outside the 178x218 image",
                    "0 <= x < 178, 0 <= y < 218", repr(rows[k]))
    return None


def _check_same_images(checks: list[FileCheck], tables: dict) -> None:
    """Every list must name the partition list's images (a dropped or added row is a modification)."""
    part = tables.get("partition")
    if part is None:
        return
    names = set(part.ids)
    for fc in checks:
        table = tables.get(fc.role)
        if fc.role == "partition" or table is None or fc.status == CHANGED:
            continue
        have = set(table.ids)
        lost, extra = sorted(names - have), sorted(have - names)
        if lost or extra:
            fc.status = CHANGED
            fc.detail = "does not list the same images as " + part.path.name
            fc.expected = f"{len(names):,} rows, the images of {part.path.name}"
            fc.actual = (f"{len(have):,} rows" + (f"; no row for {_first(lost, 3)}" if lost else "")
                         + (f"; rows for unlisted {_first(extra, 3)}" if extra else ""))


def _check_images(result: CelebACheck, listed: list[str]) -> None:
    """Missing and unreadable images (a JPEG starts with FF D8 and ends with FF D9)."""
    present = {n for n in os.listdir(result.image_dir) if n.lower().endswith(".jpg")}
    result.n_image_files = len(present)
    result.n_unlisted = len(present - set(listed))
    result.missing = [n for n in listed if n not in present]
    for name in listed:
        if name in present:
            why = _jpeg_problem(result.image_dir / name)
            if why:
                result.unreadable.append((name, why))


def _jpeg_problem(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64))
            tail = f.read()
    except OSError as e:
        return f"unreadable ({e.strerror})"
    if size == 0:
        return "empty file"
    if head != b"\xff\xd8":
        return "not a JPEG"
    if not tail.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        return "truncated JPEG"
    return None
