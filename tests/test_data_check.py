"""`facegan data check`: layout, counts, missing/unreadable images, and official / subset / modified lists."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from celeba_copies import kaggle_copy, official_copy

from facegan.cli import main
from facegan.data import check
from facegan.data.check import (CHANGED, FULL, MODIFIED, OFFICIAL_FILES, OFFICIAL_ROWS, SAME, SUBSET, SYNTHETIC,
                                check_celeba, official_partition, official_text)
from facegan.data.layout import IMAGE_DIR


def _edit(path, line_no, old, new):
    """Replace the first `old` in one line (a trailing '\\n' in `old` anchors it at the line's end)."""
    lines = [line + "\n" for line in path.read_text().splitlines()]
    assert old in lines[line_no - 1]
    if old.endswith("\n"):
        lines[line_no - 1] = lines[line_no - 1][: -len(old)] + new
    else:
        lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    path.write_text("".join(lines))


# ------------------------------------------------------------------------------ the official text
def test_the_rebuilt_official_partition_list_is_byte_identical_to_the_published_one():
    ids = [f"{i:06d}.jpg" for i in range(1, OFFICIAL_ROWS + 1)]
    parts = official_partition(np.arange(1, OFFICIAL_ROWS + 1))[:, None]
    assert np.bincount(parts[:, 0]).tolist() == [162_770, 19_867, 19_962]
    text = official_text("partition", ids, parts)
    assert len(text) == OFFICIAL_FILES["partition"].size
    assert hashlib.sha256(text).hexdigest() == OFFICIAL_FILES["partition"].sha256


@pytest.fixture(scope="module")
def full_partition(tmp_path_factory):
    ids = [f"{i:06d}.jpg" for i in range(1, OFFICIAL_ROWS + 1)]
    return official_text("partition", ids, official_partition(np.arange(1, OFFICIAL_ROWS + 1))[:, None])


@pytest.mark.parametrize("form", ["official bytes", "LF line endings", "Kaggle CSV", "one row edited"])
def test_a_full_partition_list_is_verified_in_any_form(tmp_path, full_partition, form):
    (tmp_path / IMAGE_DIR).mkdir()
    text = full_partition.decode()
    if form == "Kaggle CSV":
        name = "list_eval_partition.csv"
        text = "image_id,partition\n" + text.replace(" ", ",").replace("\r\n", "\n")
    else:
        name = "list_eval_partition.txt"
        if form != "official bytes":
            text = text.replace("\r\n", "\n")
        if form == "one row edited":
            text = text.replace("000007.jpg 0", "000007.jpg 1")
    (tmp_path / name).write_bytes(text.encode())
    r = check_celeba(tmp_path, check_images=False)
    part = r.files[0]
    assert part.path.name == name and part.rows == OFFICIAL_ROWS
    if form == "one row edited":
        assert part.status == CHANGED and part.line == 7 and "partition 1" in part.detail
        assert part.expected == "'000007.jpg 0'" and part.actual == "'000007.jpg 1'"
    else:
        assert part.status == SAME
        assert ("byte-identical" in part.detail) == (form == "official bytes")
    assert not r.ok            # the other lists are missing


# ------------------------------------------------------------------------------ the real sample
@pytest.mark.real
def test_the_sample_is_a_subset_of_the_official_release(celeba_sample, capsys):
    r = check_celeba(celeba_sample)
    assert r.verdict == SUBSET and r.ok and r.layout == "official"
    assert r.n_listed == r.n_image_files == 5311 and r.missing == [] and r.unreadable == []
    assert r.partition_counts == {"train": 4533, "val": 778, "test": 0}
    assert [(f.path.name, f.rows, f.status) for f in r.files] == [
        ("list_eval_partition.txt", 5311, "subset"), ("list_landmarks_align_celeba.txt", 5311, "subset"),
        ("list_attr_celeba.txt", 5311, "subset"), ("identity_CelebA.txt", 5311, "subset")]
    assert "re-spaced" in r.files[1].detail        # the sample's landmarks were estimated and rewritten
    assert main(["data", "check", str(celeba_sample)]) == 0
    out = capsys.readouterr().out
    assert "verdict: subset of the official release (5,311 of 202,599 images)" in out
    assert "layout: official" in out and "train 4,533, val 778, test 0" in out


@pytest.fixture
def sample_copy(celeba_sample, tmp_path):
    """The whole sample, lists copied and images linked, to edit freely."""
    return official_copy(celeba_sample, tmp_path / "copy")


@pytest.mark.real
@pytest.mark.parametrize("name, line, old, new, what", [
    ("list_attr_celeba.txt", 47, " -1\n", " 1\n", "laid out unlike the rest"),     # last attribute flipped by hand
    ("list_landmarks_align_celeba.txt", 100, "  1", "   ", "laid out unlike the rest"),
    ("list_eval_partition.txt", 12, " 0", " 1", "the official release puts it in 0 (train)"),
    ("identity_CelebA.txt", 5, " ", "  ", "laid out unlike the rest"),
])
def test_one_edited_row_is_reported_as_a_modified_file(sample_copy, capsys, name, line, old, new, what):
    path = sample_copy / name
    if name.startswith("list_landmarks"):
        old = path.read_text().splitlines()[line - 1].split()[3]
        new = str(int(old) + 100)                   # 3 digits where the rest of the file has 2 or 3: same width
        old, new = f" {old}", f"{new}"              # ... but one space fewer: a hand edit
    _edit(path, line, old, new)
    r = check_celeba(sample_copy)
    assert r.verdict == MODIFIED and not r.ok
    bad = [f for f in r.files if f.status == CHANGED]
    assert [f.path.name for f in bad] == [name]
    assert bad[0].line == line and what in bad[0].detail and bad[0].expected and bad[0].actual
    assert main(["data", "check", str(sample_copy)]) == 1
    out = capsys.readouterr().out
    assert f"verdict: {MODIFIED}: {name}" in out and "expected" in out and "actual" in out


@pytest.mark.real
def test_missing_and_unreadable_images_are_named(sample_copy, capsys):
    (sample_copy / IMAGE_DIR / "000058.jpg").unlink()
    broken = sample_copy / IMAGE_DIR / "000086.jpg"
    data = broken.read_bytes()
    broken.unlink()
    broken.write_bytes(data[: len(data) // 2])
    r = check_celeba(sample_copy)
    assert r.verdict == SUBSET and not r.ok
    assert r.missing == ["000058.jpg"] and r.unreadable == [("000086.jpg", "truncated JPEG")]
    assert main(["data", "check", str(sample_copy)]) == 1
    out = capsys.readouterr().out
    assert "missing: 000058.jpg (1 in all)" in out and "unreadable: 000086.jpg (truncated JPEG)" in out
    assert "[NOT OK]" in out


@pytest.mark.real
def test_the_kaggle_copy_of_the_sample_is_a_subset_too(celeba_sample, tmp_path):
    r = check_celeba(kaggle_copy(celeba_sample, tmp_path / "k", 500))
    assert r.layout == "kaggle" and r.verdict == SUBSET and r.ok and r.n_listed == 500
    assert r.image_dir == tmp_path / "k" / IMAGE_DIR / IMAGE_DIR
    assert all("Kaggle CSV" in f.detail for f in r.files)


# ------------------------------------------------------------------------------ synthetic data
def test_synthetic_celeba_is_recognised_and_checked_for_images(tmp_path, capsys):
    from facegan.data.synthetic.render import render_synthetic_celeba

    out = tmp_path / "s"
    render_synthetic_celeba(out, 12, seed=0, workers=1, progress=False)
    r = check_celeba(out)
    assert r.verdict == SYNTHETIC and r.ok and r.n_listed == r.n_image_files == 12
    assert sum(r.partition_counts.values()) == 12
    (out / IMAGE_DIR / "000003.jpg").unlink()
    r = check_celeba(out)
    assert not r.ok and r.missing == ["000003.jpg"]
    _edit(out / "list_eval_partition.txt", 2, "000002.jpg", "000002.jpg 7")
    r = check_celeba(out, check_images=False)
    assert r.files[0].status == CHANGED and r.files[0].line == 2 and "got 3 field(s)" in r.files[0].detail


def test_not_a_celeba_directory_exits_2(tmp_path, capfd):
    assert main(["data", "check", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capfd.readouterr().err


@pytest.mark.parametrize("form", ["official bytes", "Kaggle CSV", "one attribute flipped"])
def test_full_verdict_needs_every_list_official(monkeypatch, tmp_path, form):
    """A stand-in 'release' of 30 images (published sizes and checksums swapped for theirs): all three
    lists official -> 'full'; the same rows as Kaggle CSVs -> 'full'; one value changed -> modified."""
    n = 30
    (tmp_path / IMAGE_DIR).mkdir()
    ids = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    rng = np.random.default_rng(0)
    values = {"partition": official_partition(np.arange(1, n + 1))[:, None],
              "landmarks": rng.integers(10, 170, (n, 10)), "attributes": rng.choice([-1, 1], (n, 40))}
    files = {role: official_text(role, ids, v) for role, v in values.items()}
    monkeypatch.setattr(check, "OFFICIAL_ROWS", n)
    fake = dict(check.OFFICIAL_FILES)
    for role, data in files.items():
        fake[role] = check.OfficialFile(fake[role].name, len(data), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(check, "OFFICIAL_FILES", fake)
    if form == "Kaggle CSV":
        from facegan.data.celeba import SPECS
        from facegan.data.layout import LIST_FILES

        for role, v in values.items():
            rows = [",".join([name, *map(str, r)]) for name, r in zip(ids, v.tolist())]
            (tmp_path / LIST_FILES["kaggle"][role]).write_text(
                "\n".join([",".join(SPECS[role].csv_header), *rows]) + "\n")
    else:
        if form == "one attribute flipped":
            values["attributes"][4, 7] *= -1          # same width: invisible in a subset, not in a full list
            files["attributes"] = official_text("attributes", ids, values["attributes"])
        for role, data in files.items():
            (tmp_path / fake[role].name).write_bytes(data)
    r = check_celeba(tmp_path, check_images=False)
    if form == "one attribute flipped":
        assert r.verdict == MODIFIED and [f.status for f in r.files] == [SAME, SAME, CHANGED]
        assert r.files[2].expected.endswith(fake["attributes"].sha256) and "SHA-256" in r.files[2].actual
    else:
        assert r.verdict == FULL and [f.status for f in r.files] == [SAME] * 3 and r.ok
        assert all(("byte-identical" in f.detail) == (form == "official bytes") for f in r.files)
