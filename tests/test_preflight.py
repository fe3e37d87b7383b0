"""The paper profile's preflight: no GPU -> one clear error with an estimate; --allow-cpu goes on."""
from __future__ import annotations

import io

import pytest

from facegan import device
from facegan.device import DeviceInfo, estimate_training, preflight
from facegan.errors import FaceganError
from facegan.report.profiles import get_profile

STEP = {1.0: 1.656, 0.5: 0.858}      # seconds per batch of 20 (measured on the project's 2-core CPU)


def cpu_only(nvidia=False) -> DeviceInfo:
    return DeviceInfo("3.11.7", "2.21.0", "3.15.1", "12.5.1", "9", gpus=[], cpu_cores=2,
                      nvidia_device=nvidia)


def with_gpu() -> DeviceInfo:
    return DeviceInfo("3.11.7", "2.21.0", "3.15.1", "12.5.1", "9",
                      gpus=["NVIDIA H100 (compute capability 9.0)"], cpu_cores=16, nvidia_device=True)


def test_estimate_is_the_paper_schedule_times_the_measured_step():
    cfg = get_profile("paper")
    est = estimate_training(cfg, STEP)
    batches = round(device.PAPER_KEPT * device.TRAIN_FRACTION) // 20
    assert batches == 3413
    assert est.hours == pytest.approx(5 * batches * (1.656 + 0.858) / 3600)
    assert "5 epochs x 3,413 batches of 20 x 1,656 ms" in est.detail


def test_no_gpu_stops_with_one_clear_message(monkeypatch):
    monkeypatch.setattr(device, "time_training_step", lambda *a, **k: pytest.fail("should not time"))
    out = io.StringIO()
    with pytest.raises(FaceganError) as e:
        preflight(get_profile("paper"), info=cpu_only(), step_seconds=STEP, out=out)
    msg = str(e.value)
    assert "needs a GPU" in msg and "sees none" in msg and "CPU (2 cores)" in msg
    assert "about 12 h" in msg                       # 5 x 3413 x (1.656 + 0.858) s = 11.9 h
    assert "--allow-cpu" in msg and '.[gpu]' in msg and "facegan info" in msg
    assert "tensorflow  2.21.0 (built for CUDA 12.5.1" in out.getvalue()   # versions printed first


def test_driver_present_but_unused_says_so():
    with pytest.raises(FaceganError, match="an NVIDIA driver is loaded"):
        preflight(get_profile("paper"), info=cpu_only(nvidia=True), step_seconds=STEP, out=io.StringIO())


def test_no_gpu_times_this_machine_when_no_figure_is_given(monkeypatch):
    timed = []
    monkeypatch.setattr(device, "time_training_step",
                        lambda width, batch_size=20: timed.append((width, batch_size)) or 2.0)
    with pytest.raises(FaceganError, match=r"about 19 h"):       # 5 x 3413 x (2 + 2) s
        preflight(get_profile("paper"), info=cpu_only(), out=io.StringIO())
    assert timed == [(1.0, 20), (0.5, 20)]


def test_allow_cpu_goes_past_the_preflight():
    out = io.StringIO()
    info = preflight(get_profile("paper"), allow_cpu=True, info=cpu_only(), step_seconds=STEP, out=out)
    assert info.gpus == []
    assert "--allow-cpu: going on without a GPU" in out.getvalue() and "about 12 h" in out.getvalue()


def test_a_gpu_passes_and_is_named():
    out = io.StringIO()
    info = preflight(get_profile("paper"), info=with_gpu(), out=out)
    assert info.device.startswith("GPU: NVIDIA H100")
    assert "device      GPU: NVIDIA H100" in out.getvalue()


def test_cpu_profiles_need_no_gpu():
    preflight(get_profile("quick"), info=cpu_only(), out=io.StringIO())     # no error, no timing


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

    monkeypatch.setattr(device, "device_info", cpu_only)
    monkeypatch.setattr(device, "time_training_step", lambda width, batch_size=20: STEP[width])
    calls = []
    monkeypatch.setattr(build, "build_book", lambda **kw: calls.append(kw))
    return calls


def test_book_paper_without_gpu_is_one_error(no_gpu, tmp_path, capsys):
    from facegan.cli import main

    rc = main(["book", "--profile", "paper", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and no_gpu == []
    assert err.count("facegan: error:") == 1 and "needs a GPU" in err and "--allow-cpu" in err


def test_book_paper_needs_data_before_anything(no_gpu, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "paper"]) == 2
    assert "needs real CelebA" in capsys.readouterr().err and no_gpu == []


def test_book_bad_set_stops_before_the_build(no_gpu, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "quick", "--set", "gen_epochs=many"]) == 2
    assert "'gen_epochs' expects an integer" in capsys.readouterr().err and no_gpu == []


def test_book_set_reaches_build_book(no_gpu):
    from facegan.cli import main

    assert main(["book", "--profile", "smoke", "--set", "gen_epochs=2", "--set", "seed=5",
                 "--set", "lam=0.1"]) == 0
    assert no_gpu[0]["overrides"] == {"gen_epochs": 2, "lam": 0.1}
    assert no_gpu[0]["seed"] == 5 and no_gpu[0]["profile"] == "smoke"


@pytest.mark.real
def test_book_paper_allow_cpu_checks_the_data_then_builds(no_gpu, celeba_sample, capsys):
    from facegan.cli import main

    assert main(["book", "--profile", "paper", "--data", str(celeba_sample), "--allow-cpu",
                 "--set", "gen_epochs=1"]) == 0
    out = capsys.readouterr()
    assert "--allow-cpu: going on" in out.err
    assert "verdict:" in out.out and "subset" in out.out.lower()
    assert no_gpu[0]["overrides"] == {"gen_epochs": 1} and no_gpu[0]["data"] == str(celeba_sample)
