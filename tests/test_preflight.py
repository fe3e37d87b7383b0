"""The paper profile's preflight: no GPU -> one clear error with an estimate; --allow-cpu goes on."""
from __future__ import annotations

import io

import pytest

from facegan import device
from facegan.device import DeviceInfo
from facegan.errors import FaceganError
from facegan.report import preflight as pre
from facegan.report.preflight import estimate_training, preflight
from facegan.report.profiles import get_profile

STEP = {"generation_gan": 1.656, "completion_gan": 0.858}      # seconds per batch of 20, per GAN (example figures)


def cpu_only(nvidia=False) -> DeviceInfo:
    return DeviceInfo("3.11.7", "2.21.0", "3.15.1", "12.5.1", "9", gpus=[], cpu_cores=2,
                      nvidia_device=nvidia)


def with_gpu() -> DeviceInfo:
    return DeviceInfo("3.11.7", "2.21.0", "3.15.1", "12.5.1", "9",
                      gpus=["NVIDIA H100 (compute capability 9.0)"], cpu_cores=16, nvidia_device=True)


def test_estimate_is_the_paper_schedule_times_the_measured_step():
    cfg = get_profile("paper")
    est = estimate_training(cfg, STEP)
    batches = round(pre.PAPER_KEPT * pre.TRAIN_FRACTION) // 20
    assert batches == 3413
    assert est.hours == pytest.approx(5 * batches * (1.656 + 0.858) / 3600)
    assert "5 epochs x 3,413 batches of 20 x 1,656 ms" in est.detail


def test_no_gpu_stops_with_one_clear_message(monkeypatch):
    monkeypatch.setattr(pre, "time_training_step", lambda *a, **k: pytest.fail("should not time"))
    out = io.StringIO()
    with pytest.raises(FaceganError) as e:
        preflight(get_profile("paper"), info=cpu_only(), step_seconds=STEP, out=out)
    msg = str(e.value)
    assert "needs a GPU" in msg and "sees none" in msg and "CPU (2 cores)" in msg
    assert "about 11.9 h" in msg                     # 5 x 3413 x (1.656 + 0.858) s
    assert "--allow-cpu" in msg and '.[gpu]' in msg and "facegan info" in msg
    assert "tensorflow  2.21.0 (built for CUDA 12.5.1" in out.getvalue()   # versions printed first


def test_driver_present_but_unused_says_so():
    with pytest.raises(FaceganError, match="an NVIDIA driver is loaded"):
        preflight(get_profile("paper"), info=cpu_only(nvidia=True), step_seconds=STEP, out=io.StringIO())


def test_no_gpu_times_this_machine_when_no_figure_is_given(monkeypatch):
    timed = []
    monkeypatch.setattr(pre, "time_training_step",
                        lambda spec: timed.append((spec.width, spec.batch_size, spec.recipe.name)) or 2.0)
    with pytest.raises(FaceganError, match=r"about 19\.0 h"):     # 5 x 3413 x (2 + 2) s
        preflight(get_profile("paper"), info=cpu_only(), out=io.StringIO())
    assert timed == [(1.0, 20, "study"), (0.5, 20, "stable")]


def test_allow_cpu_goes_past_the_preflight():
    out = io.StringIO()
    info = preflight(get_profile("paper"), allow_cpu=True, info=cpu_only(), step_seconds=STEP, out=out)
    assert info.gpus == []
    assert "--allow-cpu: going on without a GPU" in out.getvalue() and "about 11.9 h" in out.getvalue()


def test_estimate_counts_the_listed_train_images():
    """A subset (the 5,311-image sample lists 4,533 train images) is estimated from its own size."""
    with pytest.raises(FaceganError) as e:
        preflight(get_profile("paper"), info=cpu_only(), step_seconds=STEP, listed_train=4533,
                  out=io.StringIO())
    batches = round(4533 * pre.KEPT_FRACTION) // 20                     # 1,901 crops -> 95 batches
    assert f"5 epochs x {batches:,} batches of 20" in str(e.value) and batches == 95
    assert "4,533 train-partition images listed" in str(e.value)


def test_a_gpu_passes_and_is_named():
    out = io.StringIO()
    info = preflight(get_profile("paper"), info=with_gpu(), out=out)
    assert info.device.startswith("GPU: NVIDIA H100")
    assert "device      GPU: NVIDIA H100" in out.getvalue()


def test_cpu_profiles_need_no_gpu(monkeypatch):
    """A CPU profile on a machine without a GPU goes on: no error, no timing, the device named."""
    monkeypatch.setattr(pre, "time_training_step", lambda *a, **k: pytest.fail("should not time"))
    out = io.StringIO()
    for name in ("smoke", "quick"):
        info = preflight(get_profile(name), info=cpu_only(), out=out)
        assert info.gpus == [] and info.device == "CPU (2 cores)"
    assert out.getvalue().count("device      CPU (2 cores)") == 2 and "timing" not in out.getvalue()


def test_device_info_on_this_machine():
    import tensorflow as tf

    info = device.device_info()
    assert info.tensorflow == tf.__version__
    assert info.device == (f"GPU: {info.gpus[0]}" if info.gpus else f"CPU ({info.cpu_cores} cores)")


# ------------------------------------------------------------------ through `facegan book`
@pytest.fixture
def no_gpu(monkeypatch):
    """A machine where TensorFlow sees no GPU; the build itself must never start."""
    from facegan.report import build

    monkeypatch.setattr(pre, "device_info", cpu_only)
    monkeypatch.setattr(pre, "time_training_step", lambda spec: STEP["generation_gan" if spec.width == 1.0 else "completion_gan"])
    calls = []
    monkeypatch.setattr(build, "build_book", lambda **kw: calls.append(kw))
    return calls


@pytest.fixture
def celeba_ok(monkeypatch, tmp_path):
    """A directory the CelebA check accepts (a subset listing 4,533 train images, as the sample)."""
    from types import SimpleNamespace

    from facegan.data import check

    seen = []
    result = SimpleNamespace(ok=True, verdict="subset of the official release",
                             partition_counts={"train": 4533, "val": 778, "test": 0},
                             summary=lambda: "verdict: subset of the official release")
    monkeypatch.setattr(check, "check_celeba", lambda root, check_images=True: seen.append(
        (str(root), check_images)) or result)
    return tmp_path, seen


def test_book_paper_without_gpu_is_one_error(no_gpu, celeba_ok, capsys):
    from facegan.cli import main

    data, seen = celeba_ok
    rc = main(["book", "--profile", "paper", "--data", str(data)])
    err = capsys.readouterr().err
    assert rc == 2 and no_gpu == []
    assert err.count("facegan: error:") == 1 and "needs a GPU" in err and "--allow-cpu" in err
    assert "4,533 train-partition images listed" in err
    assert seen == [(str(data), False)]          # only the lists were read before stopping


def test_book_paper_allow_cpu_checks_images_then_builds(no_gpu, celeba_ok, capsys):
    from facegan.cli import main

    data, seen = celeba_ok
    assert main(["book", "--profile", "paper", "--data", str(data), "--allow-cpu",
                 "--set", "completion.candidates=100"]) == 0
    assert seen == [(str(data), False), (str(data), True)]
    assert no_gpu[0]["overrides"] == {"completion.candidates": 100}
    assert "--allow-cpu: going on" in capsys.readouterr().err


def test_book_paper_needs_data_before_anything(no_gpu, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "paper"]) == 2
    assert "needs real CelebA" in capsys.readouterr().err and no_gpu == []


def test_book_bad_set_stops_before_the_build(no_gpu, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "quick", "--set", "generation_gan.epochs=many"]) == 2
    assert "'generation_gan.epochs' expects a whole number" in capsys.readouterr().err and no_gpu == []


def test_book_set_reaches_build_book(no_gpu):
    from facegan.cli import main

    assert main(["book", "--profile", "smoke", "--set", "generation_gan.epochs=2", "--set", "seed=5",
                 "--set", "completion_gan.lr=0.001"]) == 0
    assert no_gpu[0]["overrides"] == {"generation_gan.epochs": 2, "completion_gan.lr": 0.001}
    assert no_gpu[0]["seed"] == 5 and no_gpu[0]["profile"] == "smoke"


@pytest.mark.real
def test_book_paper_allow_cpu_checks_the_data_then_builds(no_gpu, celeba_sample, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "paper", "--data", str(celeba_sample), "--allow-cpu",
                 "--set", "generation_gan.epochs=1"]) == 0
    out = capsys.readouterr()
    assert "--allow-cpu: going on" in out.err
    assert "verdict:" in out.out and "subset" in out.out.lower()
    assert no_gpu[0]["overrides"] == {"generation_gan.epochs": 1} and no_gpu[0]["data"] == str(celeba_sample)


def test_book_paper_stops_on_a_directory_that_is_not_celeba(no_gpu, tmp_path, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "paper", "--data", str(tmp_path), "--allow-cpu"]) == 2
    assert capsys.readouterr().err.count("facegan: error:") == 1 and no_gpu == []


@pytest.mark.real
def test_book_paper_stops_on_missing_images(no_gpu, celeba_sample, tmp_path, capsys):
    """The sample with one image gone (lists copied, images linked) is refused, naming the image."""
    import shutil

    from facegan.cli import main

    copy = tmp_path / "celeba"
    (copy / "img_align_celeba").mkdir(parents=True)
    for f in celeba_sample.iterdir():
        if f.is_file():
            shutil.copy2(f, copy / f.name)
    images = sorted((celeba_sample / "img_align_celeba").glob("*.jpg"))
    for img in images[1:]:
        (copy / "img_align_celeba" / img.name).symlink_to(img)
    assert main(["book", "--profile", "paper", "--data", str(copy), "--allow-cpu"]) == 2
    out = capsys.readouterr()
    assert images[0].name in out.out                            # the check names the image
    assert "is not usable for the paper profile" in out.err and no_gpu == []


def test_estimate_follows_set_values():
    """--set generation_gan.epochs=1 --set prepare_limit=20000 shrink the estimate accordingly."""
    cfg = get_profile("paper", **{"generation_gan.epochs": 1, "prepare_limit": 20_000})
    with pytest.raises(FaceganError) as e:
        preflight(cfg, info=cpu_only(), step_seconds=STEP, out=io.StringIO())
    batches = round(20_000 * pre.KEPT_FRACTION * pre.TRAIN_FRACTION) // 20      # 337
    assert f"generation_gan (width 1.0, study): 1 epochs x {batches:,} batches" in str(e.value)
    assert f"completion_gan (width 0.5, stable): 5 epochs x {batches:,} batches" in str(e.value)


@pytest.mark.slow
def test_time_training_step_runs_the_real_step():
    """The timing the preflight uses on a machine without a GPU (half width, one batch)."""
    from facegan.gan.spec import TrainSpec

    seconds = pre.time_training_step(TrainSpec.from_settings(width=0.5, batch_size=4), steps=1)
    assert 0 < seconds < 60
