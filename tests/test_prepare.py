"""`prepare`: counts per rule, corrupt/missing images, quality.csv, cache reuse, and the data CLI."""
from __future__ import annotations

import importlib.util
import json
import os

import cv2
import numpy as np
import pytest

from facegan.data.cache import load_cache
from facegan.data.celeba import ATTRIBUTE_NAMES, LANDMARKS_FILE
from helpers import write_celeba_lists
from facegan.cli import main
from facegan.data.crop import crop_boxes
from facegan.data.prepare import prepare, read_quality_csv
from facegan.data.quality import RULES, Thresholds

N = 40
GLASSES = ATTRIBUTE_NAMES.index("Eyeglasses")
# image number -> what is special about it
DARK, BRIGHT, PROFILE, GLASSES_ONLY, DARK_GLASSES, TRUNCATED, GARBAGE, MISSING = 3, 4, 5, 6, 7, 8, 9, 10
EXPECTED_REMOVED = {"too_dark": 2, "too_bright": 1, "profile": 1, "glasses": 1}    # first reason
EXPECTED_FLAGGED = {"too_dark": 2, "too_bright": 1, "profile": 1, "glasses": 2}    # every reason
EXPECTED_KEPT = N - 3 - 5


def _name(i):
    return f"{i:06d}.jpg"


@pytest.fixture(scope="module")
def fake_celeba(tmp_path_factory):
    """40 noisy 178x218 JPEGs with CelebA-like landmarks; a few dark/bright/turned/glasses/broken ones."""
    root = tmp_path_factory.mktemp("celeba")
    (root / "img_align_celeba").mkdir()
    rng = np.random.default_rng(0)
    ids, lms, attrs, parts = [], [], [], []
    for i in range(1, N + 1):
        dx, dy = rng.integers(-6, 7, 2)
        lm = np.array([[69, 111], [108, 111], [88, 135], [71, 152], [106, 152]]) + [dx, dy]
        if i == PROFILE:
            lm[2, 0] += 20                                      # nose near the right eye: yaw ~0.5
        at = -np.ones(40, int)
        if i in (GLASSES_ONLY, DARK_GLASSES):
            at[GLASSES] = 1
        base = {DARK: 20, DARK_GLASSES: 25, BRIGHT: 235}.get(i, int(rng.integers(90, 160)))
        img = np.clip(base + rng.normal(0, 12, (218, 178, 3)), 0, 255).astype(np.uint8)
        path = root / "img_align_celeba" / _name(i)
        if i != MISSING:
            cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        if i == TRUNCATED:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        if i == GARBAGE:
            path.write_bytes(b"this is not a jpeg" * 50)
        ids.append(_name(i)), lms.append(lm), attrs.append(at), parts.append(i % 3)
    write_celeba_lists(root, ids, lms, attrs, parts)
    return root


@pytest.fixture(scope="module")
def prepared(fake_celeba, tmp_path_factory):
    out = tmp_path_factory.mktemp("cache") / "c"
    return out, prepare(fake_celeba, out, workers=1, progress=False)


def test_counts_add_up_and_match_each_rule(prepared):
    out, m = prepared
    assert m["reused"] is False
    assert m["n_source"] == N
    assert m["n_corrupt"] == 3 and m["n_missing"] == 1
    assert m["removed"] == EXPECTED_REMOVED
    assert m["flagged"] == EXPECTED_FLAGGED
    assert m["n_kept"] == EXPECTED_KEPT
    assert m["n_source"] == m["n_kept"] + sum(m["removed"].values()) + m["n_corrupt"]
    on_disk = json.loads((out / "manifest.json").read_text())
    for key in ("n_source", "n_kept", "removed", "n_corrupt", "thresholds", "source", "partition", "fingerprint"):
        assert on_disk[key] == m[key], key


def test_corrupt_and_missing_images_are_listed_not_fatal(prepared):
    _, m = prepared
    assert set(m["corrupt"]) == {_name(TRUNCATED), _name(GARBAGE), _name(MISSING)}
    assert m["corrupt"][_name(MISSING)] == "missing"
    assert "truncated" in m["corrupt"][_name(TRUNCATED)]
    assert "not a JPEG" in m["corrupt"][_name(GARBAGE)]


def test_quality_csv_gives_every_image_its_reasons(prepared):
    out, _ = prepared
    rows = {r["image_id"]: r for r in read_quality_csv(out / "quality.csv")}
    assert len(rows) == N
    assert rows[_name(DARK)]["reasons"] == ["too_dark"]
    assert rows[_name(BRIGHT)]["reasons"] == ["too_bright"]
    assert rows[_name(PROFILE)]["reasons"] == ["profile"]
    assert rows[_name(GLASSES_ONLY)]["reasons"] == ["glasses"]
    assert rows[_name(DARK_GLASSES)]["reasons"] == ["too_dark", "glasses"]
    assert rows[_name(MISSING)]["reasons"] == ["missing"]
    assert rows[_name(TRUNCATED)]["reasons"][0].startswith("corrupt")
    assert float(rows[_name(DARK)]["luminance"]) < 50 < 200 < float(rows[_name(BRIGHT)]["luminance"])
    assert abs(float(rows[_name(PROFILE)]["yaw"])) > 0.4
    kept = [i for i, r in rows.items() if r["kept"]]
    assert len(kept) == EXPECTED_KEPT and all(not rows[i]["reasons"] for i in kept)
    assert {r["partition"] for r in rows.values()} == {"train", "val", "test"}


def test_cache_holds_the_exact_crops(prepared, fake_celeba):
    out, _ = prepared
    cache = load_cache(out, mmap=False)
    assert cache.crops.shape == (EXPECTED_KEPT, 80, 80, 3) and cache.crops.dtype == np.uint8
    from facegan.data.celeba import read_celeba

    data = read_celeba(fake_celeba)
    pos = {name: k for k, name in enumerate(data.image_ids)}
    for j, image_id in enumerate(cache.image_ids):
        k = pos[str(image_id)]
        left, top = crop_boxes(data.landmarks[k])
        img = cv2.cvtColor(cv2.imread(str(data.image_path(k))), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(cache.crops[j], img[top:top + 80, left:left + 80])
        np.testing.assert_allclose(cache.landmarks[j], data.landmarks[k] - [left, top])
        assert cache.partitions[j] == data.partitions[k]
        t, l, h, w = cache.mouth_boxes[j]
        assert (h, w) == (30, 30) and 0 <= t <= 50 and 0 <= l <= 50


def test_no_filter_keeps_every_readable_image(fake_celeba, tmp_path):
    m = prepare(fake_celeba, tmp_path / "c", workers=1, progress=False, filter=False)
    assert m["n_kept"] == N - 3 and sum(m["removed"].values()) == 0
    assert m["flagged"] == EXPECTED_FLAGGED          # reasons are still recorded
    rows = read_quality_csv(tmp_path / "c" / "quality.csv")
    assert sum(r["kept"] for r in rows) == N - 3


def test_partition_limit_and_parallel_workers_agree(fake_celeba, tmp_path, prepared):
    m = prepare(fake_celeba, tmp_path / "val", partition="val", workers=1, progress=False)
    cache = load_cache(tmp_path / "val")
    assert m["n_source"] == sum(1 for i in range(1, N + 1) if i % 3 == 1)
    assert set(cache.partitions.tolist()) == {1}
    m = prepare(fake_celeba, tmp_path / "lim", limit=5, workers=1, progress=False)
    assert m["n_source"] == 5 and m["limit"] == 5
    # several chunks in two spawned processes give the same cache as one in-process pass
    m2 = prepare(fake_celeba, tmp_path / "par", workers=2, progress=False)
    assert m2["n_kept"] == prepared[1]["n_kept"] and m2["removed"] == prepared[1]["removed"]
    np.testing.assert_array_equal(load_cache(tmp_path / "par").crops, load_cache(prepared[0]).crops)


def test_rerun_reuses_the_cache_until_input_or_settings_change(fake_celeba, tmp_path):
    out = tmp_path / "c"
    first = prepare(fake_celeba, out, workers=1, progress=False)
    stamp = os.stat(out / "crops.npy").st_mtime_ns
    again = prepare(fake_celeba, out, workers=1, progress=False)
    assert again["reused"] is True and again["n_kept"] == first["n_kept"]
    assert os.stat(out / "crops.npy").st_mtime_ns == stamp                  # nothing rewritten
    other = prepare(fake_celeba, out, workers=1, progress=False, thresholds=Thresholds(max_yaw=0.6))
    assert other["reused"] is False and other["removed"]["profile"] == 0
    assert prepare(fake_celeba, out, workers=1, progress=False,
                   thresholds=Thresholds(max_yaw=0.6))["reused"] is True
    img = fake_celeba / "img_align_celeba" / _name(1)
    st = os.stat(img)
    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))      # the input changed
    try:
        changed = prepare(fake_celeba, out, workers=1, progress=False, thresholds=Thresholds(max_yaw=0.6))
        assert changed["reused"] is False and changed["fingerprint"] != other["fingerprint"]
    finally:
        os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert prepare(fake_celeba, out, workers=1, progress=False, force=True,
                   thresholds=Thresholds(max_yaw=0.6))["reused"] is False


def test_refuses_to_write_over_foreign_files(fake_celeba, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    from facegan.errors import FaceganError

    with pytest.raises(FaceganError, match="not a facegan cache"):
        prepare(fake_celeba, tmp_path, workers=1, progress=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(FaceganError, match="is the CelebA directory itself"):
        prepare(fake_celeba, fake_celeba, workers=1, progress=False)


# ---------------------------------------------------------------------------- CLI
def test_cli_prepare_and_reuse_message(fake_celeba, tmp_path, capsys):
    out = tmp_path / "c"
    args = ["data", "prepare", str(fake_celeba), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert f"kept {EXPECTED_KEPT} of {N} images" in first and "up to date" not in first
    assert main(args) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(args + ["--max-yaw", "0.6"]) == 0
    assert "profile 0" in capsys.readouterr().out


@pytest.fixture
def broken_celeba(fake_celeba, tmp_path):
    """A copy of the annotation lists with one bad landmark line (images linked, not copied)."""
    root = tmp_path / "broken"
    root.mkdir()
    (root / "img_align_celeba").symlink_to(fake_celeba / "img_align_celeba")
    for f in fake_celeba.glob("list_*.txt"):
        (root / f.name).write_text(f.read_text())
    lines = (root / LANDMARKS_FILE).read_text().splitlines()
    fields = lines[6].split()
    fields[2] = "1x1"
    lines[6] = " ".join(fields)
    (root / LANDMARKS_FILE).write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.parametrize("extra, message", [
    (["--limit", "0"], "--limit must be >= 1"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--min-luminance", "210"], "luminance band"),
    (["--max-yaw", "-1"], "--max-yaw must be > 0"),
])
def test_cli_bad_options_exit_2_with_one_line(fake_celeba, tmp_path, capsys, extra, message):
    code = main(["data", "prepare", str(fake_celeba), "--out", str(tmp_path / "c"), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("facegan: error: ") and err.count("\n") == 1 and message in err


def test_cli_bad_inputs_exit_2_with_one_line(tmp_path, broken_celeba, capsys):
    code = main(["data", "prepare", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    code = main(["data", "prepare", str(broken_celeba), "--out", str(tmp_path / "c"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{LANDMARKS_FILE}, line 7:" in err and "'1x1' is not an integer" in err
    assert not (tmp_path / "c").exists()                 # nothing written on error


def test_cli_empty_partition(tmp_path, capsys):
    root = tmp_path / "two"
    (root / "img_align_celeba").mkdir(parents=True)
    write_celeba_lists(root, ["000001.jpg", "000002.jpg"], np.zeros((2, 5, 2)), -np.ones((2, 40)), [0, 1])
    code = main(["data", "prepare", str(root), "--out", str(tmp_path / "c"), "--partition", "test"])
    err = capsys.readouterr().err
    assert code == 2 and "no images in partition 'test'" in err and err.count("\n") == 1


def test_cli_synth_rejects_bad_sizes(tmp_path, capsys):
    assert main(["data", "synth", "--out", str(tmp_path / "s"), "--n", "0"]) == 2
    assert "--n must be >= 1" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("facegan.data.synthetic.render") is None,
                    reason="facegan.data.synthetic.render (render_synthetic_celeba) is not available yet")
def test_cli_synth_writes_a_celeba_directory(tmp_path, capsys):
    from facegan.data.celeba import read_celeba

    out = tmp_path / "s"
    assert main(["data", "synth", "--out", str(out), "--n", "12", "--seed", "1", "--workers", "1",
                 "--quiet"]) == 0
    assert "wrote 12 synthetic faces" in capsys.readouterr().out
    d = read_celeba(out)
    assert len(d) == 12 and d.missing == []
    assert (out / "synth_truth.csv").is_file()
    m = prepare(out, tmp_path / "c", workers=1, progress=False)
    assert m["n_corrupt"] == 0 and m["n_source"] == 12
