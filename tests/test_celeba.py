"""CelebA official-format reader: parsing, joining, partitions, missing images, malformed files."""
from __future__ import annotations

import numpy as np
import pytest

from facegan.data.celeba import ATTRIBUTE_NAMES, ATTRIBUTES_FILE, LANDMARKS_FILE, PARTITION_FILE, read_celeba
from helpers import write_celeba_lists
from facegan.errors import FaceganError

GLASSES = ATTRIBUTE_NAMES.index("Eyeglasses")

# Verbatim excerpts in the official formatting (padded columns, trailing space after the attribute header).
LANDMARKS = """3
lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y
000001.jpg 69  109  106  113   77  142   73  152  108  154
000002.jpg 69  110  107  112   81  135   70  151  108  153
000003.jpg 76  112  104  106  108  128   74  156   98  158
"""
ATTRS = ("3\n" + " ".join(ATTRIBUTE_NAMES) + " \n"
         "000003.jpg " + " ".join(["-1"] * 15 + [" 1"] + ["-1"] * 24) + "\n"
         "000001.jpg " + " ".join(["-1"] * 39 + [" 1"]) + "\n"
         "000002.jpg " + " ".join([" 1"] * 40) + "\n")
PARTITION = "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n"


@pytest.fixture
def celeba_dir(tmp_path):
    (tmp_path / "img_align_celeba").mkdir()
    for i in ("000001.jpg", "000003.jpg"):          # 000002.jpg deliberately absent
        (tmp_path / "img_align_celeba" / i).write_bytes(b"\xff\xd8\xff\xd9")
    (tmp_path / LANDMARKS_FILE).write_text(LANDMARKS)
    (tmp_path / ATTRIBUTES_FILE).write_text(ATTRS)
    (tmp_path / PARTITION_FILE).write_text(PARTITION)
    return tmp_path


def test_reads_and_joins_by_file_name(celeba_dir):
    d = read_celeba(celeba_dir)
    assert d.image_ids == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert d.landmarks.shape == (3, 5, 2) and d.landmarks.dtype == np.int32
    np.testing.assert_array_equal(d.landmarks[0], [[69, 109], [106, 113], [77, 142], [73, 152], [108, 154]])
    np.testing.assert_array_equal(d.landmarks[2, 2], [108, 128])
    # the attribute file lists 000003 first: the join must follow names, not row order
    np.testing.assert_array_equal(d.attribute("Eyeglasses"), [-1, 1, 1])
    np.testing.assert_array_equal(d.attribute("Young"), [1, 1, -1])
    assert d.attribute_names == ATTRIBUTE_NAMES
    np.testing.assert_array_equal(d.partitions, [0, 1, 2])
    assert d.missing == ["000002.jpg"]
    assert d.image_path(0) == celeba_dir / "img_align_celeba" / "000001.jpg"


@pytest.mark.parametrize("partition, ids", [("train", ["000001.jpg"]), ("val", ["000002.jpg"]),
                                            ("test", ["000003.jpg"]), ("all", ["000001.jpg", "000002.jpg",
                                                                               "000003.jpg"])])
def test_selects_a_partition(celeba_dir, partition, ids):
    d = read_celeba(celeba_dir, partition)
    assert d.image_ids == ids
    assert len(d.landmarks) == len(d.attributes) == len(d.partitions) == len(ids)
    assert d.missing == [i for i in ids if i == "000002.jpg"]


def test_take_keeps_rows_together(celeba_dir):
    d = read_celeba(celeba_dir).take(slice(1, 3))
    assert d.image_ids == ["000002.jpg", "000003.jpg"]
    np.testing.assert_array_equal(d.landmarks[1, 0], [76, 112])
    np.testing.assert_array_equal(d.attribute("Eyeglasses"), [1, 1])


def test_writer_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    ids = [f"{i:06d}.jpg" for i in range(1, 8)]
    lm = rng.integers(0, 178, (7, 5, 2))
    at = rng.choice([-1, 1], (7, 40))
    parts = rng.integers(0, 3, 7)
    (tmp_path / "img_align_celeba").mkdir()
    write_celeba_lists(tmp_path, ids, lm, at, parts)
    d = read_celeba(tmp_path)
    assert d.image_ids == ids and d.missing == ids
    np.testing.assert_array_equal(d.landmarks, lm)
    np.testing.assert_array_equal(d.attributes, at)
    np.testing.assert_array_equal(d.partitions, parts)


def _corrupt(path, line_no, new_text):
    lines = path.read_text().splitlines()
    lines[line_no - 1] = new_text
    path.write_text("\n".join(lines) + "\n")


ROW1_LM = "000001.jpg 69  109  106  113   77  142   73  152  108  154"


@pytest.mark.parametrize("fname, line, text, message", [
    (LANDMARKS_FILE, 1, "4", "count line says 4"),
    (LANDMARKS_FILE, 1, "three", "expected the number of images"),
    (LANDMARKS_FILE, 2, "lefteye_x lefteye_y", "expected the header"),
    (LANDMARKS_FILE, 4, "000002.jpg 69 110 107 112 81 135 70 151 108", "got 10 field(s)"),
    (LANDMARKS_FILE, 5, "000003.jpg 76 112 104 106 108.5 128 74 156 98 158", "'108.5' is not an integer"),
    (LANDMARKS_FILE, 5, ROW1_LM, "duplicate image 000001.jpg (first listed on line 3)"),
    (ATTRIBUTES_FILE, 4, "000001.jpg " + " ".join(["-1"] * 39 + ["0"]), "attribute 'Young' of 000001.jpg is 0"),
    (ATTRIBUTES_FILE, 5, "000002.jpg " + " ".join(["1"] * 41), "got 42 field(s)"),
    (ATTRIBUTES_FILE, 2, " ".join(ATTRIBUTE_NAMES[:39]), "the header names 39 columns but every row has 40 values"),
    (PARTITION_FILE, 2, "000002.jpg 5", "partition must be 0"),
    (PARTITION_FILE, 3, "000003.jpg", "got 1 field(s)"),
    (PARTITION_FILE, 3, "000003.jpg x", "'x' is not an integer"),
])
def test_malformed_input_names_file_and_line(celeba_dir, fname, line, text, message):
    if fname == ATTRIBUTES_FILE and line == 2:    # header shorter than the rows
        (celeba_dir / fname).write_text(ATTRS.replace(" ".join(ATTRIBUTE_NAMES), text))
    else:
        _corrupt(celeba_dir / fname, line, text)
    with pytest.raises(FaceganError) as e:
        read_celeba(celeba_dir)
    msg = str(e.value)
    assert f"{fname}, line {line}:" in msg
    assert message in msg
    assert "\n" not in msg


def test_files_that_disagree_on_images(celeba_dir):
    (celeba_dir / PARTITION_FILE).write_text(PARTITION + "000004.jpg 0\n")
    with pytest.raises(FaceganError, match=r"list_landmarks_align_celeba.txt has no row for 000004.jpg"):
        read_celeba(celeba_dir)
    (celeba_dir / PARTITION_FILE).write_text("000001.jpg 0\n000002.jpg 1\n")
    with pytest.raises(FaceganError, match=r"has a row for 000003.jpg, which list_eval_partition.txt does not"):
        read_celeba(celeba_dir)


def test_missing_pieces(tmp_path, celeba_dir):
    with pytest.raises(FaceganError, match="does not exist"):
        read_celeba(tmp_path / "nope")
    with pytest.raises(FaceganError, match="has no img_align_celeba/ folder"):
        read_celeba(tmp_path / "img_align_celeba")
    with pytest.raises(FaceganError, match="unknown partition 'training'"):
        read_celeba(celeba_dir, "training")
    (celeba_dir / ATTRIBUTES_FILE).unlink()
    with pytest.raises(FaceganError, match="list_attr_celeba.txt not found"):
        read_celeba(celeba_dir)


def test_unknown_attribute(celeba_dir):
    with pytest.raises(FaceganError, match="no attribute 'Sunglasses'"):
        read_celeba(celeba_dir).attribute("Sunglasses")


def test_real_sample_files(celeba_sample):
    d = read_celeba(celeba_sample)
    assert len(d) == 5311 and d.missing == []
    assert int((d.partitions == 0).sum()) == 4533 and int((d.partitions == 1).sum()) == 778
    assert int((d.attribute("Eyeglasses") == 1).sum()) == 260
    np.testing.assert_array_equal(d.landmarks[0], [[68, 111], [107, 112], [79, 135], [69, 151], [110, 152]])
