"""Reader for CelebA's annotation lists, in the official layout or Kaggle's (see `facegan.data.layout`).

Official lists (as distributed, and as `facegan data synth` writes them)::

    list_landmarks_align_celeba.txt       count line, header line, rows `000001.jpg x y x y ...` (5 points)
    list_attr_celeba.txt                  count line, header line (40 names), rows of 40 values 1 / -1
    list_eval_partition.txt               rows `000001.jpg 0` (0 train, 1 val, 2 test); no count/header

Kaggle's CSVs hold the same rows after one header row: `image_id,5_o_Clock_Shadow,...,Young`,
`image_id,lefteye_x,...,rightmouth_y`, `image_id,partition`; any other header is refused.

The files are joined by image file name. Any malformed line stops the reader with one `FaceganError`
naming the file and the line, because a silently skipped row would shift or drop faces unnoticed.
Images missing from the image folder are not an error: they are reported in `CelebA.missing`.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facegan.data.layout import (ATTRIBUTES_FILE, IDENTITY_FILE, IMAGE_DIR, KAGGLE,  # noqa: F401 (re-exported)
                                 LANDMARKS_FILE, PARTITION_FILE, Layout, find_layout)
from facegan.errors import FaceganError

PARTITIONS = {"train": 0, "val": 1, "test": 2}
PARTITION_NAMES = {v: k for k, v in PARTITIONS.items()}
LANDMARK_NAMES = ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")
LANDMARK_COLUMNS = tuple(f"{name}_{axis}" for name in LANDMARK_NAMES for axis in "xy")
ATTRIBUTE_NAMES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby",
    "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male",
    "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose",
    "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair",
    "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young")


@dataclass(frozen=True)
class ListSpec:
    """What one list holds: values per row (None: as many as the header names), the official file's
    count and header lines, the Kaggle CSV's header, and the values allowed."""

    n_values: int | None
    counted: bool
    header: tuple[str, ...] | None
    csv_header: tuple[str, ...]
    allowed: tuple[int, ...] | None = None


SPECS = {
    "partition": ListSpec(1, False, None, ("image_id", "partition")),
    "landmarks": ListSpec(10, True, LANDMARK_COLUMNS, ("image_id", *LANDMARK_COLUMNS)),
    "attributes": ListSpec(None, True, None, ("image_id", *ATTRIBUTE_NAMES), allowed=(-1, 1)),
    "identity": ListSpec(1, False, None, ("image_id", "identity")),
}


@dataclass
class ListTable:
    """One parsed list: image names, integer values, column names, and each data row's text and line."""

    path: Path
    ids: list[str]
    values: np.ndarray              # int64 (N, k)
    header: tuple[str, ...]         # column names (without the image column)
    rows: list[str]                 # the data rows as written (line ending removed)
    first_line: int                 # 1-based line number of the first data row
    count_line: int | None = None   # the official file's count line, when it has one


@dataclass
class CelebA:
    """The joined annotations of a CelebA directory, in the partition file's order."""

    root: Path
    image_ids: list[str]            # file names, e.g. '000001.jpg'
    landmarks: np.ndarray           # int32 (N, 5, 2): x, y in the aligned image
    attributes: np.ndarray          # int8 (N, A): 1 / -1
    attribute_names: tuple[str, ...]
    partitions: np.ndarray          # int8 (N,): 0 train, 1 val, 2 test
    missing: list[str] = field(default_factory=list)   # ids whose image file does not exist
    image_dir: Path | None = None   # where the images are (default root/img_align_celeba)
    layout: str = "official"        # 'official' or 'kaggle'

    def __len__(self) -> int:
        return len(self.image_ids)

    def image_path(self, i_or_id: int | str) -> Path:
        name = self.image_ids[i_or_id] if isinstance(i_or_id, (int, np.integer)) else i_or_id
        return (self.image_dir or self.root / IMAGE_DIR) / name

    def attribute(self, name: str) -> np.ndarray:
        """One attribute column (1 / -1) by its official name, e.g. 'Eyeglasses'."""
        if name not in self.attribute_names:
            raise FaceganError(f"the attribute list of {self.root} has no attribute {name!r} in its header")
        return self.attributes[:, self.attribute_names.index(name)]

    def take(self, index) -> "CelebA":
        """The images at the given positions (e.g. the first N: `take(slice(0, N))`)."""
        idx = np.arange(len(self))[index]
        ids = [self.image_ids[i] for i in idx]
        gone = set(self.missing)
        return CelebA(self.root, ids, self.landmarks[idx], self.attributes[idx], self.attribute_names,
                      self.partitions[idx], [i for i in ids if i in gone], self.image_dir, self.layout)

    def select(self, partition: str | None) -> "CelebA":
        """One partition ('train', 'val', 'test'), or everything for None / 'all'."""
        if partition in (None, "all"):
            return self
        if partition not in PARTITIONS:
            raise FaceganError(f"unknown partition {partition!r}: use one of train, val, test, all")
        return self.take(np.flatnonzero(self.partitions == PARTITIONS[partition]))


def read_celeba(root: str | os.PathLike, partition: str | None = "all",
                check_images: bool = True) -> CelebA:
    """Read and join the annotation lists of a CelebA directory (official or Kaggle layout).

    `check_images` looks for every image file and lists the absent ones in `.missing` (so a
    partial download still works); it never opens the images.
    """
    layout = find_layout(root)
    part = read_list(layout, "partition")
    lm = read_list(layout, "landmarks")
    at = read_list(layout, "attributes")
    order = part.ids
    lm_idx = _align(order, lm.ids, lm.path, part.path)
    at_idx = _align(order, at.ids, at.path, part.path)
    data = CelebA(layout.root, list(order), lm.values[lm_idx].reshape(-1, 5, 2).astype(np.int32),
                  at.values[at_idx].astype(np.int8), at.header, part.values[:, 0].astype(np.int8),
                  image_dir=layout.image_dir, layout=layout.kind)
    data = data.select(partition)
    if check_images:
        present = set(os.listdir(layout.image_dir))
        data.missing = [i for i in data.image_ids if i not in present]
    return data


def read_list(layout: Layout, role: str) -> ListTable:
    """Parse and validate one list ('partition', 'landmarks', 'attributes', 'identity') of a layout."""
    path = layout.path(role)
    spec = SPECS[role]
    lines = _read_lines(path)
    if layout.kind == KAGGLE:
        table = _parse_csv(path, lines, spec)
    else:
        table = _parse_txt(path, lines, spec)
    if role == "partition":
        bad = np.flatnonzero(~np.isin(table.values[:, 0], list(PARTITIONS.values())))
        if bad.size:
            raise FaceganError(f"{path}, line {bad[0] + table.first_line}: partition must be 0 (train), "
                               f"1 (val) or 2 (test), got {table.values[bad[0], 0]}")
    return table


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise FaceganError(f"{path} not found: a CelebA directory needs {path.name}")
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError as e:
        raise FaceganError(f"{path}: not a plain-text CelebA list (non-ASCII byte at offset {e.start})") from e
    while lines and not lines[-1].strip():
        lines.pop()                       # trailing blank lines are harmless
    return lines


def _parse_txt(path: Path, lines: list[str], spec: ListSpec) -> ListTable:
    """The official text form: `name v1 v2 ...` rows, after a count and a header line when counted."""
    first = 0          # index in `lines` of the first data row
    names_header: list[str] = []
    n_values = spec.n_values
    count = None
    if spec.counted:
        if len(lines) < 2:
            raise FaceganError(f"{path}: expected a count line and a header line, the file has "
                               f"{len(lines)} line(s)")
        if not lines[0].strip().isdigit():
            raise FaceganError(f"{path}, line 1: expected the number of images, got {lines[0][:60]!r}")
        count = int(lines[0].strip())
        names_header = lines[1].split()
        if spec.header is not None and tuple(names_header) != spec.header:
            raise FaceganError(f"{path}, line 2: expected the header {' '.join(spec.header)!r}, "
                               f"got {lines[1].strip()[:120]!r}")
        if n_values is None:
            n_values = len(names_header)
            if n_values == 0:
                raise FaceganError(f"{path}, line 2: the header names no columns")
        elif len(names_header) != n_values:
            raise FaceganError(f"{path}, line 2: expected {n_values} column names, got {len(names_header)}")
        first = 2
    else:
        names_header = list(spec.csv_header[1:])
    rows = [line.split() for line in lines[first:]]
    if count is not None and count != len(rows):
        raise FaceganError(f"{path}, line 1: the count line says {count} images but the file has "
                           f"{len(rows)} rows: the file is truncated or edited")
    if spec.counted and spec.header is None and rows and len(rows[0]) != n_values + 1 \
            and all(len(r) == len(rows[0]) for r in rows):
        raise FaceganError(f"{path}, line 2: the header names {n_values} columns but every row has "
                           f"{len(rows[0]) - 1} values")
    ids, values = _table(path, rows, lines[first:], first + 1, n_values, spec.allowed, names_header)
    return ListTable(path, ids, values, tuple(names_header), lines[first:], first + 1, count)


def _parse_csv(path: Path, lines: list[str], spec: ListSpec) -> ListTable:
    """Kaggle's CSV form: a header row naming `image_id` and the official columns, then the rows."""
    rows = [[f.strip() for f in r] for r in csv.reader(lines)]
    got = tuple(rows[0]) if rows else ()
    if got != spec.csv_header:
        k = next((i for i, (a, b) in enumerate(zip(got, spec.csv_header)) if a != b),
                 min(len(got), len(spec.csv_header)))
        raise FaceganError(f"{path}, line 1: expected the header {','.join(spec.csv_header)!r} "
                           f"({len(spec.csv_header)} columns), got {','.join(got) or '(empty file)'!r} "
                           f"({len(got)} columns; column {k + 1} differs): is this CelebA's {path.name} from Kaggle?")
    header = spec.csv_header[1:]
    ids, values = _table(path, rows[1:], lines[1:], 2, len(header), spec.allowed, list(header))
    return ListTable(path, ids, values, header, lines[1:], 2)


def _table(path: Path, rows: list[list[str]], texts: list[str], first_line: int, n_values: int,
           allowed: tuple[int, ...] | None, names_header: list[str]):
    """Check every row (width, integers, allowed values, unique names); returns (names, int64 array)."""
    width = n_values + 1
    for k, row in enumerate(rows):
        if len(row) != width:
            raise FaceganError(f"{path}, line {k + first_line}: expected an image name and {n_values} "
                               f"value(s), got {len(row)} field(s): {texts[k].strip()[:80]!r}")
    ids = [row[0] for row in rows]
    try:
        values = np.array([row[1:] for row in rows], dtype=np.int64).reshape(len(rows), n_values)
    except (ValueError, OverflowError):
        for k, row in enumerate(rows):       # slow path only to name the offending line
            for v in row[1:]:
                try:
                    int(v)
                except ValueError:
                    raise FaceganError(f"{path}, line {k + first_line}: {v!r} is not an integer "
                                       f"(image {row[0]})") from None
        raise
    if allowed is not None:
        bad = np.argwhere(~np.isin(values, allowed))
        if bad.size:
            k, c = bad[0]
            raise FaceganError(f"{path}, line {k + first_line}: attribute {names_header[c]!r} of {ids[k]} "
                               f"is {values[k, c]}; CelebA attributes are 1 or -1")
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for k, name in enumerate(ids):
            if name in seen:
                raise FaceganError(f"{path}, line {k + first_line}: duplicate image {name} "
                                   f"(first listed on line {seen[name] + first_line})")
            seen[name] = k
    return ids, values


def _align(order: list[str], ids: list[str], path: Path, reference: Path) -> np.ndarray:
    """Row positions in `ids` for every name in `order`; both lists must hold the same names."""
    pos = {name: i for i, name in enumerate(ids)}
    try:
        idx = np.fromiter((pos[name] for name in order), dtype=np.int64, count=len(order))
    except KeyError as e:
        raise FaceganError(f"{path} has no row for {e.args[0]} (listed in {reference.name}): the "
                           f"annotation files must describe the same images") from None
    if len(ids) != len(order):
        extra = next(name for name in ids if name not in set(order))
        raise FaceganError(f"{path} has a row for {extra}, which {reference.name} does not list: "
                           f"the annotation files must describe the same images")
    return idx
