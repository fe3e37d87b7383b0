"""Where a CelebA directory keeps its images and lists: the official layout or Kaggle's.

Official (CelebA's own download, and what `facegan data synth` writes)::

    img_align_celeba/000001.jpg ...
    list_eval_partition.txt  list_landmarks_align_celeba.txt  list_attr_celeba.txt  [identity_CelebA.txt]

Kaggle (the widespread "celeba-dataset" copy)::

    img_align_celeba/img_align_celeba/000001.jpg ...
    list_eval_partition.csv  list_landmarks_align_celeba.csv  list_attr_celeba.csv  [list_bbox_celeba.csv]

The Kaggle CSVs hold the same rows with a header row (`image_id,...`); the bbox list describes the
in-the-wild images and is not used. A Kaggle copy whose images were moved up to `img_align_celeba/`
also works (`Layout.image_dir` says which folder is read, and `facegan data check` prints it).
Both layouts give the same `CelebA`, so prepare and every later stage never see the difference.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from facegan.errors import FaceganError

OFFICIAL, KAGGLE = "official", "kaggle"
IMAGE_DIR = "img_align_celeba"
LANDMARKS_FILE = "list_landmarks_align_celeba.txt"
ATTRIBUTES_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IDENTITY_FILE = "identity_CelebA.txt"
ROLES = ("partition", "landmarks", "attributes")           # the lists every stage needs
LIST_FILES = {
    OFFICIAL: {"partition": PARTITION_FILE, "landmarks": LANDMARKS_FILE, "attributes": ATTRIBUTES_FILE,
               "identity": IDENTITY_FILE},
    KAGGLE: {"partition": "list_eval_partition.csv", "landmarks": "list_landmarks_align_celeba.csv",
             "attributes": "list_attr_celeba.csv"},
}
DESCRIPTION = {
    OFFICIAL: f"official ({IMAGE_DIR}/ + list_*.txt)",
    KAGGLE: f"Kaggle ({IMAGE_DIR}/{IMAGE_DIR}/ + list_*.csv)",
}


@dataclass(frozen=True)
class Layout:
    """A CelebA directory's layout: which kind, where the images are, where each list is."""

    kind: str             # OFFICIAL or KAGGLE
    root: Path
    image_dir: Path

    def path(self, role: str) -> Path:
        """The list file for a role ('partition', 'landmarks', 'attributes', 'identity')."""
        return self.root / LIST_FILES[self.kind][role]

    def has(self, role: str) -> bool:
        return role in LIST_FILES[self.kind] and self.path(role).is_file()

    @property
    def description(self) -> str:
        return DESCRIPTION[self.kind]


def find_layout(root: str | os.PathLike) -> Layout:
    """Detect the layout of a CelebA directory from its list files; one clear error when neither fits."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FaceganError(f"CelebA directory {str(root)!r} does not exist: pass the folder that holds "
                           f"{IMAGE_DIR}/ and the list_*.txt (or Kaggle's list_*.csv) files")
    found = {kind: [f for r, f in files.items() if r in ROLES and (root / f).is_file()]
             for kind, files in LIST_FILES.items()}
    if found[OFFICIAL] and found[KAGGLE]:
        raise FaceganError(f"{root} holds both official lists ({', '.join(found[OFFICIAL])}) and Kaggle "
                           f"CSVs ({', '.join(found[KAGGLE])}): keep one set, so it is clear which is read")
    if not (root / IMAGE_DIR).is_dir():
        raise FaceganError(f"{root} has no {IMAGE_DIR}/ folder: pass a CelebA directory in the official "
                           f"layout ({IMAGE_DIR}/ plus {LANDMARKS_FILE}, {ATTRIBUTES_FILE}, "
                           f"{PARTITION_FILE}) or Kaggle's ({IMAGE_DIR}/{IMAGE_DIR}/ plus the list_*.csv files)")
    if found[KAGGLE]:
        nested = root / IMAGE_DIR / IMAGE_DIR
        return Layout(KAGGLE, root, nested if nested.is_dir() else root / IMAGE_DIR)
    return Layout(OFFICIAL, root, root / IMAGE_DIR)
