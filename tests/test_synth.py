"""Synthetic CelebA: official formats, determinism, landmark statistics and the quality ground truth."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegan.errors import FaceganError
from facegan.data.synthetic.render import render_synthetic_celeba

# The header line of CelebA's list_attr_celeba.txt, copied from the official file (trailing space included).
OFFICIAL_ATTR_HEADER = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young ")
LANDMARK_HEADER = ("lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
                   "rightmouth_x rightmouth_y")
# Means of the official aligned CelebA landmarks (x, y for lefteye, righteye, nose, leftmouth, rightmouth)
CELEBA_MEANS = np.array([69.3, 111.4, 107.9, 111.4, 88.1, 135.5, 70.9, 152.3, 105.8, 152.2])
N = 240


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "celeba"
    s = render_synthetic_celeba(out, N, seed=3, workers=2, progress=False)
    assert s["n"] == N and s["path"] == str(out)
    return out


def read_rows(path: Path, skip: int) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()[skip:]]


def landmarks(root: Path) -> np.ndarray:
    return np.array([[int(v) for v in r[1:]] for r in read_rows(root / "list_landmarks_align_celeba.txt", 2)])


def truth(root: Path) -> dict[str, np.ndarray]:
    with open(root / "synth_truth.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([int(r[k]) for r in rows]) for k in ("too_dark", "too_bright", "profile", "glasses")}


def crop_luminance(img: np.ndarray, lm: np.ndarray) -> float:
    """Mean Y = 0.299 R + 0.587 G + 0.114 B over the 80x80 paper crop, written out independently of
    facegan.data.quality (the renderer uses that module, so the test must not)."""
    left = min(max(lm[0] - 20, 0), 178 - 80)
    top = min(max(int(np.floor((lm[7] + lm[9]) / 2 + 0.5)) - 60, 0), 218 - 80)
    c = img[top:top + 80, left:left + 80].astype(np.float64)
    return float((0.299 * c[..., 0] + 0.587 * c[..., 1] + 0.114 * c[..., 2]).mean())


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------ formats
def test_official_formats(synth):
    names = [f"{i:06d}.jpg" for i in range(1, N + 1)]
    lines = (synth / "list_attr_celeba.txt").read_text().split("\n")
    assert lines[0] == str(N) and lines[1] == OFFICIAL_ATTR_HEADER and lines[-1] == ""
    rows = [r.split() for r in lines[2:-1]]
    assert [r[0] for r in rows] == names
    assert all(len(r) == 41 and set(r[1:]) <= {"1", "-1"} for r in rows)
    assert lines[2].startswith(names[0] + " ") and all(len(r) == len(lines[2]) for r in lines[2:-1])

    lm_lines = (synth / "list_landmarks_align_celeba.txt").read_text().split("\n")
    assert lm_lines[0] == str(N) and lm_lines[1] == LANDMARK_HEADER
    lm = landmarks(synth)
    assert lm.shape == (N, 10) and [r[0] for r in read_rows(synth / "list_landmarks_align_celeba.txt", 2)] == names
    assert (lm[:, 0::2] >= 0).all() and (lm[:, 0::2] < 178).all() and (lm[:, 1::2] < 218).all()

    parts = read_rows(synth / "list_eval_partition.txt", 0)
    assert [r[0] for r in parts] == names
    p = np.array([int(r[1]) for r in parts])
    assert set(p) == {0, 1, 2} and (np.diff(p) >= 0).all()            # contiguous, train first, as CelebA
    assert abs((p == 0).mean() - 0.803) < 0.02
    ids = read_rows(synth / "identity_CelebA.txt", 0)
    assert [r[0] for r in ids] == names and all(int(r[1]) >= 1 for r in ids)
    assert 1 < len({r[1] for r in ids}) < N                              # several photos per person

    header = (synth / "synth_truth.csv").read_text().split("\n")[0]
    assert header == "image_id,too_dark,too_bright,profile,glasses"


def test_attribute_header_matches_real_sample(synth, celeba_sample):
    real = (celeba_sample / "list_attr_celeba.txt").read_text().split("\n")[1]
    assert (synth / "list_attr_celeba.txt").read_text().split("\n")[1] == real


def test_images_are_178x218_rgb_jpeg(synth):
    files = sorted((synth / "img_align_celeba").iterdir())
    assert [f.name for f in files] == [f"{i:06d}.jpg" for i in range(1, N + 1)]
    for f in files[::37]:
        with Image.open(f) as im:
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (178, 218))
            assert not im.info.get("exif")


# ------------------------------------------------------------------------------ ground truth
def test_flag_counts_exclusive_and_eyeglasses_attribute(synth):
    t = truth(synth)
    total = sum(t.values())
    assert total.max() <= 1                                                # at most one flag per image
    assert {k: int(v.sum()) for k, v in t.items()} == \
        {"too_dark": round(N * .07), "too_bright": round(N * .07), "profile": round(N * .10), "glasses": round(N * .08)}
    attr = np.array([[int(v) for v in r[1:]] for r in read_rows(synth / "list_attr_celeba.txt", 2)])
    glasses = attr[:, OFFICIAL_ATTR_HEADER.split().index("Eyeglasses")]
    assert ((glasses == 1) == (t["glasses"] == 1)).all()


def test_luminance_guarantees(synth):
    t, lm = truth(synth), landmarks(synth)
    lum = np.array([crop_luminance(np.asarray(Image.open(synth / "img_align_celeba" / f"{i + 1:06d}.jpg")), lm[i])
                    for i in range(N)])
    assert (lum[t["too_dark"] == 1] <= 35).all()
    assert (lum[t["too_bright"] == 1] >= 215).all()
    normal = (t["too_dark"] == 0) & (t["too_bright"] == 0)
    assert lum[normal].min() >= 70 and lum[normal].max() <= 180
    assert lum[normal].std() > 8                                            # real variety of exposure


def test_yaw_guarantees(synth):
    t, lm = truth(synth), landmarks(synth)
    yaw = (lm[:, 4] - (lm[:, 0] + lm[:, 2]) / 2) / (lm[:, 2] - lm[:, 0])
    assert (np.abs(yaw[t["profile"] == 1]) >= 0.40).all()
    assert (np.abs(yaw[t["profile"] == 0]) <= 0.12).all()
    assert (yaw[t["profile"] == 1] > 0).any() and (yaw[t["profile"] == 1] < 0).any()   # both directions


def test_landmark_statistics_like_celeba(synth):
    lm = landmarks(synth).astype(float)
    assert np.abs(lm.mean(0) - CELEBA_MEANS).max() < 2.0, lm.mean(0)
    sd = lm.std(0)
    assert (sd[[0, 1, 2, 3]] > 0.6).all() and (sd[[0, 1, 2, 3]] < 3.5).all(), sd     # eyes: jitter, aligned
    assert (sd[[6, 7, 8, 9]] > 0.8).all() and (sd[[6, 7, 8, 9]] < 5.0).all(), sd     # mouth corners
    assert 2.0 < sd[4] < 10.0, sd                                                     # nose x: yaw spread
    eye_dist = lm[:, 2] - lm[:, 0]
    profile = truth(synth)["profile"] == 1
    assert 33 <= eye_dist[~profile].min() and eye_dist[~profile].max() <= 45
    assert 24 <= eye_dist[profile].min() and 28 <= np.median(eye_dist[profile]) <= 38   # CelebA: 28..38


def test_eye_landmarks_sit_on_drawn_irises(synth):
    """Landmarks must be where the features are drawn: a dark iris/pupil within 1 px of each eye point."""
    t, lm = truth(synth), landmarks(synth)
    ok = 0
    normal = np.flatnonzero((t["too_dark"] == 0) & (t["too_bright"] == 0) & (t["glasses"] == 0))
    for i in normal:
        img = np.asarray(Image.open(synth / "img_align_celeba" / f"{i + 1:06d}.jpg").convert("L"), np.float64)
        for x, y in (lm[i, 0:2], lm[i, 2:4]):
            dark = img[y - 1:y + 2, x - 1:x + 2].min()
            around = np.median(img[y + 6:y + 14, x - 6:x + 7])             # cheek just below the eye
            ok += dark < 0.7 * around
    assert ok >= 0.95 * 2 * len(normal)


# ------------------------------------------------------------------------------ determinism
def test_byte_identical_for_same_seed_any_workers(tmp_path):
    a = render_synthetic_celeba(tmp_path / "a", 40, seed=5, workers=1, progress=False)
    render_synthetic_celeba(tmp_path / "b", 40, seed=5, workers=2, progress=False)
    render_synthetic_celeba(tmp_path / "c", 40, seed=6, workers=2, progress=False)
    da, db, dc = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert len(da) == 40 + 6 and da == db
    assert set(dc) == set(da)
    differ = [k for k in da if da[k] != dc[k]]
    assert sum(k.endswith(".jpg") for k in differ) == 40 and "list_landmarks_align_celeba.txt" in differ
    assert a["counts"] == {"too_dark": 3, "too_bright": 3, "profile": 4, "glasses": 3}


def test_custom_fractions_give_exact_counts(tmp_path):
    s = render_synthetic_celeba(tmp_path / "f", 20, seed=0, fractions={"too_dark": 0.5, "glasses": 0.0},
                                workers=1, progress=False)
    t = truth(tmp_path / "f")
    assert s["counts"] == {"too_dark": 10, "too_bright": 1, "profile": 2, "glasses": 0}   # others: defaults
    assert {k: int(v.sum()) for k, v in t.items()} == s["counts"]


# ------------------------------------------------------------------------------ arguments and directories
@pytest.mark.parametrize("kwargs, words", [
    (dict(n=0), "n (number"), (dict(n=-3), ">= 1"), (dict(n=2.5), "integer"),
    (dict(n=5, fractions={"too_dark": 1.5}), "[0, 1]"), (dict(n=5, fractions={"profile": -0.1}), "[0, 1]"),
    (dict(n=5, fractions={"too_dark": .6, "too_bright": .5}), "sum"),
    (dict(n=5, fractions={"blurry": .1}), "unknown"), (dict(n=5, workers=0), "workers"),
    (dict(n=5, seed=-1), "seed"),
])
def test_bad_arguments(tmp_path, kwargs, words):
    with pytest.raises(FaceganError, match=None) as exc:
        render_synthetic_celeba(tmp_path / "x", **kwargs)
    assert words in str(exc.value)
    assert not (tmp_path / "x").exists()


def test_refuses_foreign_non_empty_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FaceganError, match="not empty"):
        render_synthetic_celeba(tmp_path, 3, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and (tmp_path / "notes.txt").read_text() == "mine"


def test_existing_output_reused_refused_or_overwritten(tmp_path):
    out = tmp_path / "s"
    first = render_synthetic_celeba(out, 12, seed=1, workers=1, progress=False)
    before = digest(out)
    assert not first["reused"]
    again = render_synthetic_celeba(out, 12, seed=1, workers=1, progress=False)
    assert again["reused"] and digest(out) == before
    with pytest.raises(FaceganError, match="overwrite=True"):
        render_synthetic_celeba(out, 8, seed=2, workers=1, progress=False)
    assert digest(out) == before
    (out / "img_align_celeba" / "user.png").write_bytes(b"keep")   # not ours: must survive an overwrite
    render_synthetic_celeba(out, 8, seed=2, workers=1, progress=False, overwrite=True)
    imgs = sorted(p.name for p in (out / "img_align_celeba").iterdir())
    assert imgs == [f"{i:06d}.jpg" for i in range(1, 9)] + ["user.png"]
    assert (out / "list_landmarks_align_celeba.txt").read_text().split("\n")[0] == "8"
