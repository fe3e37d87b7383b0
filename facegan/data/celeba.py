"""Reader for CelebA's official on-disk layout (aligned images + the three annotation lists).

Layout (as distributed, and as `facegan data synth` writes it)::

    img_align_celeba/000001.jpg ...       178x218 RGB JPEGs
    list_landmarks_align_celeba.txt       count line, header line, rows `000001.jpg x y x y ...` (5 points)
    list_attr_celeba.txt                  count line, header line (40 names), rows of 40 values 1 / -1
    list_eval_partition.txt               rows `000001.jpg 0` (0 train, 1 val, 2 test); no count/header

The files are joined by image file name. Any malformed line stops the reader with one `FaceganError`
naming the file and the line, because a silently skipped row would shift or drop faces unnoticed.
Images missing from `img_align_celeba/` are not an error: they are reported in `CelebA.missing`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facegan.data.cache import LANDMARK_NAMES, PARTITIONS
from facegan.errors import FaceganError

IMAGE_DIR = "img_align_celeba"
LANDMARKS_FILE = "list_landmarks_align_celeba.txt"
ATTRIBUTES_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
LANDMARK_COLUMNS = tuple(f"{name}_{axis}" for name in LANDMARK_NAMES for axis in "xy")
ATTRIBUTE_NAMES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby",
    "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male",
    "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose",
    "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair",
    "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young")
PARTITION_NAMES = {v: k for k, v in PARTITIONS.items()}


@dataclass
class CelebA:
    """The joined annotations of a CelebA-format directory, in the partition file's order."""

    root: Path
    image_ids: list[str]            # file names, e.g. '000001.jpg'
    landmarks: np.ndarray           # int32 (N, 5, 2): x, y in the aligned image
    attributes: np.ndarray          # int8 (N, A): 1 / -1
    attribute_names: tuple[str, ...]
    partitions: np.ndarray          # int8 (N,): 0 train, 1 val, 2 test
    missing: list[str] = field(default_factory=list)   # ids whose image file does not exist

    def __len__(self) -> int:
        return len(self.image_ids)

    def image_path(self, i_or_id: int | str) -> Path:
        name = self.image_ids[i_or_id] if isinstance(i_or_id, (int, np.integer)) else i_or_id
        return self.root / IMAGE_DIR / name

    def attribute(self, name: str) -> np.ndarray:
        """One attribute column (1 / -1) by its official name, e.g. 'Eyeglasses'."""
        if name not in self.attribute_names:
            raise FaceganError(f"{self.root / ATTRIBUTES_FILE} has no attribute {name!r} in its header")
        return self.attributes[:, self.attribute_names.index(name)]

    def take(self, index) -> "CelebA":
        """The images at the given positions (e.g. the first N: `take(slice(0, N))`)."""
        idx = np.arange(len(self))[index]
        ids = [self.image_ids[i] for i in idx]
        gone = set(self.missing)
        return CelebA(self.root, ids, self.landmarks[idx], self.attributes[idx], self.attribute_names,
                      self.partitions[idx], [i for i in ids if i in gone])

    def select(self, partition: str | None) -> "CelebA":
        """One partition ('train', 'val', 'test'), or everything for None / 'all'."""
        if partition in (None, "all"):
            return self
        if partition not in PARTITIONS:
            raise FaceganError(f"unknown partition {partition!r}: use one of train, val, test, all")
        return self.take(np.flatnonzero(self.partitions == PARTITIONS[partition]))


def read_celeba(root: str | os.PathLike, partition: str | None = "all",
                check_images: bool = True) -> CelebA:
    """Read and join the annotation lists of a CelebA directory; optionally one partition.

    `check_images` looks for every image file and lists the absent ones in `.missing` (so a
    partial download still works); it never opens the images.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FaceganError(f"CelebA directory {str(root)!r} does not exist: pass the folder that holds "
                           f"{IMAGE_DIR}/ and the list_*.txt files")
    if not (root / IMAGE_DIR).is_dir():
        raise FaceganError(f"{root} has no {IMAGE_DIR}/ folder: pass a CelebA directory in the official "
                           "layout (img_align_celeba/ plus list_landmarks_align_celeba.txt, "
                           "list_attr_celeba.txt, list_eval_partition.txt)")
    part_ids, part_rows = _read_table(root / PARTITION_FILE, n_values=1, counted=False)
    lm_ids, lm_rows = _read_table(root / LANDMARKS_FILE, n_values=10, counted=True,
                                  header=LANDMARK_COLUMNS)
    at_ids, at_rows, at_names = _read_table(root / ATTRIBUTES_FILE, n_values=None, counted=True,
                                            allowed=(-1, 1), return_header=True)
    bad = np.flatnonzero(~np.isin(part_rows[:, 0], list(PARTITIONS.values())))
    if bad.size:
        raise FaceganError(f"{root / PARTITION_FILE}, line {bad[0] + 1}: partition must be 0 (train), "
                           f"1 (val) or 2 (test), got {part_rows[bad[0], 0]}")

    order = part_ids
    lm = _align(order, lm_ids, root / LANDMARKS_FILE, root / PARTITION_FILE)
    at = _align(order, at_ids, root / ATTRIBUTES_FILE, root / PARTITION_FILE)
    data = CelebA(root, list(order), lm_rows[lm].reshape(-1, 5, 2).astype(np.int32),
                  at_rows[at].astype(np.int8), tuple(at_names), part_rows[:, 0].astype(np.int8))
    data = data.select(partition)
    if check_images:
        present = set(os.listdir(root / IMAGE_DIR))
        data.missing = [i for i in data.image_ids if i not in present]
    return data


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


def _read_table(path: Path, n_values: int | None, counted: bool, header: tuple[str, ...] | None = None,
                allowed: tuple[int, ...] | None = None, return_header: bool = False):
    """Parse `name v1 v2 ...` rows of integers, checking every line; returns (names, int array[, header])."""
    if not path.is_file():
        raise FaceganError(f"{path} not found: a CelebA directory needs {path.name}")
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError as e:
        raise FaceganError(f"{path}: not a plain-text CelebA list (non-ASCII byte at offset {e.start})") from e
    first = 0          # index in `lines` of the first data row
    names_header: list[str] = []
    if counted:
        if len(lines) < 2:
            raise FaceganError(f"{path}: expected a count line and a header line, the file has "
                               f"{len(lines)} line(s)")
        count = lines[0].strip()
        if not count.isdigit():
            raise FaceganError(f"{path}, line 1: expected the number of images, got {lines[0][:60]!r}")
        names_header = lines[1].split()
        if header is not None and tuple(names_header) != header:
            raise FaceganError(f"{path}, line 2: expected the header {' '.join(header)!r}, "
                               f"got {lines[1].strip()[:120]!r}")
        if n_values is None:
            n_values = len(names_header)
            if n_values == 0:
                raise FaceganError(f"{path}, line 2: the header names no columns")
        elif len(names_header) != n_values:
            raise FaceganError(f"{path}, line 2: expected {n_values} column names, got {len(names_header)}")
        first = 2
    while len(lines) > first and not lines[-1].strip():
        lines.pop()                       # trailing blank lines are harmless
    rows = [line.split() for line in lines[first:]]
    if counted and int(count) != len(rows):
        raise FaceganError(f"{path}, line 1: the count line says {int(count)} images but the file has "
                           f"{len(rows)} rows: the file is truncated or edited")
    width = n_values + 1
    if counted and header is None and rows and len(rows[0]) != width and all(len(r) == len(rows[0]) for r in rows):
        raise FaceganError(f"{path}, line 2: the header names {n_values} columns but every row has "
                           f"{len(rows[0]) - 1} values")
    for k, row in enumerate(rows):
        if len(row) != width:
            raise FaceganError(f"{path}, line {k + first + 1}: expected an image name and {n_values} "
                               f"value(s), got {len(row)} field(s): {lines[k + first].strip()[:80]!r}")
    ids = [row[0] for row in rows]
    try:
        values = np.array([row[1:] for row in rows], dtype=np.int64).reshape(len(rows), n_values)
    except (ValueError, OverflowError):
        for k, row in enumerate(rows):       # slow path only to name the offending line
            for v in row[1:]:
                try:
                    int(v)
                except ValueError:
                    raise FaceganError(f"{path}, line {k + first + 1}: {v!r} is not an integer "
                                       f"(image {row[0]})") from None
        raise
    if allowed is not None:
        bad = np.argwhere(~np.isin(values, allowed))
        if bad.size:
            k, c = bad[0]
            raise FaceganError(f"{path}, line {k + first + 1}: attribute {names_header[c]!r} of {ids[k]} "
                               f"is {values[k, c]}; CelebA attributes are 1 or -1")
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for k, name in enumerate(ids):
            if name in seen:
                raise FaceganError(f"{path}, line {k + first + 1}: duplicate image {name} "
                                   f"(first listed on line {seen[name] + first + 1})")
            seen[name] = k
    return (ids, values, names_header) if return_header else (ids, values)


def write_celeba_lists(root: str | os.PathLike, image_ids, landmarks, attributes, partitions,
                       attribute_names=ATTRIBUTE_NAMES) -> Path:
    """Write the three annotation lists in the official format (for subsets, fixtures and tests)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    ids = list(image_ids)
    lm = np.asarray(landmarks, dtype=np.int64).reshape(len(ids), 10)
    at = np.asarray(attributes, dtype=np.int64).reshape(len(ids), len(attribute_names))
    parts = np.asarray(partitions, dtype=np.int64).reshape(len(ids))
    rows = [f"{i} " + " ".join(f"{v:4d}" for v in r) for i, r in zip(ids, lm)]
    (root / LANDMARKS_FILE).write_text("\n".join([str(len(ids)), " ".join(LANDMARK_COLUMNS), *rows]) + "\n")
    rows = [f"{i} " + " ".join(f"{v:2d}" for v in r) for i, r in zip(ids, at)]
    (root / ATTRIBUTES_FILE).write_text("\n".join([str(len(ids)), " ".join(attribute_names) + " ", *rows]) + "\n")
    (root / PARTITION_FILE).write_text("".join(f"{i} {p}\n" for i, p in zip(ids, parts)))
    return root
