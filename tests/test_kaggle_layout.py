"""CelebA in Kaggle's layout (nested image folder, lists as CSV) reads and prepares like the official one."""
from __future__ import annotations

import numpy as np
import pytest
from celeba_copies import kaggle_copy, official_copy

from facegan.cli import main
from facegan.data.cache import load_cache
from facegan.data.celeba import ATTRIBUTE_NAMES, read_celeba
from helpers import write_celeba_lists
from facegan.data.layout import IMAGE_DIR, KAGGLE, OFFICIAL, find_layout
from facegan.data.prepare import prepare
from facegan.errors import FaceganError

COUNTS = ("n_source", "n_kept", "removed", "flagged", "n_corrupt", "n_missing", "kept_per_partition")


@pytest.fixture
def tiny(tmp_path):
    """Four faces in the official layout (tiny stand-in JPEGs) and the same four in Kaggle's."""
    src = tmp_path / "official"
    (src / IMAGE_DIR).mkdir(parents=True)
    ids = [f"{i:06d}.jpg" for i in (1, 2, 162771, 182638)]
    for name in ids:
        (src / IMAGE_DIR / name).write_bytes(b"\xff\xd8\xff\xd9")
    rng = np.random.default_rng(1)
    write_celeba_lists(src, ids, rng.integers(40, 170, (4, 5, 2)), rng.choice([-1, 1], (4, 40)), [0, 0, 1, 2])
    return src, kaggle_copy(src, tmp_path / "kaggle")


def test_kaggle_lists_read_exactly_like_the_official_ones(tiny):
    src, kag = tiny
    assert find_layout(src).kind == OFFICIAL and find_layout(kag).kind == KAGGLE
    assert find_layout(kag).image_dir == kag / IMAGE_DIR / IMAGE_DIR
    a, b = read_celeba(src), read_celeba(kag)
    assert b.layout == KAGGLE and a.image_ids == b.image_ids and b.missing == []
    for field in ("landmarks", "attributes", "partitions"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert b.attribute_names == ATTRIBUTE_NAMES
    assert b.image_path(0) == kag / IMAGE_DIR / IMAGE_DIR / "000001.jpg"
    assert [len(b.select(p)) for p in ("train", "val", "test")] == [2, 1, 1]


@pytest.mark.parametrize("name, bad_header", [
    ("list_attr_celeba.csv", "image_id,5_o_Clock_Shadow," + ",".join(ATTRIBUTE_NAMES[2:])),   # a column lost
    ("list_landmarks_align_celeba.csv", "image,lefteye_x,lefteye_y,righteye_x,righteye_y,nose_x,nose_y,"
                                        "leftmouth_x,leftmouth_y,rightmouth_x,rightmouth_y"),
    ("list_eval_partition.csv", "image_id,split"),
])
def test_a_wrong_csv_header_is_one_clear_error(tiny, tmp_path, capfd, name, bad_header):
    _, kag = tiny
    path = kag / name
    lines = path.read_text().splitlines()
    expected = lines[0]
    path.write_text("\n".join([bad_header, *lines[1:]]) + "\n")
    with pytest.raises(FaceganError) as e:
        read_celeba(kag)
    msg = str(e.value)
    assert f"{path}, line 1: expected the header {expected!r}" in msg and f"got {bad_header!r}" in msg
    assert "\n" not in msg
    assert main(["data", "prepare", str(kag), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    err = capfd.readouterr().err      # fd-level: the CLI filters TensorFlow's start-up lines on fd 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("facegan: error: ") and name in last and "expected the header" in last


def test_a_bad_csv_row_names_file_and_line(tiny):
    _, kag = tiny
    path = kag / "list_attr_celeba.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",-1", ",0", 1) if ",-1" in lines[3] else lines[3].replace(",1", ",0", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FaceganError, match=r"list_attr_celeba.csv, line 4: attribute .* is 0"):
        read_celeba(kag)


def test_both_sets_of_lists_is_an_error(tiny):
    src, kag = tiny
    for f in kag.glob("list_*.csv"):
        (src / f.name).write_text(f.read_text())
    with pytest.raises(FaceganError, match="holds both official lists .* and Kaggle CSVs"):
        read_celeba(src)


@pytest.mark.real
def test_the_sample_prepares_to_the_same_cache_in_both_layouts(celeba_sample, tmp_path):
    """300 real images spread over train and val: the same manifest counts and the same crops."""
    off = official_copy(celeba_sample, tmp_path / "official", 300)
    kag = kaggle_copy(celeba_sample, tmp_path / "kaggle", 300)
    assert find_layout(kag).kind == KAGGLE
    a = prepare(off, tmp_path / "cache-official", workers=1, progress=False)
    b = prepare(kag, tmp_path / "cache-kaggle", workers=1, progress=False)
    assert a["n_source"] == 300 and a["kept_per_partition"]["val"] > 0 and a["n_kept"] > 200
    assert {k: a[k] for k in COUNTS} == {k: b[k] for k in COUNTS}
    ca, cb = load_cache(tmp_path / "cache-official"), load_cache(tmp_path / "cache-kaggle")
    np.testing.assert_array_equal(ca.image_ids, cb.image_ids)
    np.testing.assert_array_equal(np.asarray(ca.crops), np.asarray(cb.crops))
    np.testing.assert_array_equal(ca.landmarks, cb.landmarks)
    # a re-run of the Kaggle copy reuses its cache (the fingerprint reads the CSVs)
    assert prepare(kag, tmp_path / "cache-kaggle", workers=1, progress=False)["reused"]
