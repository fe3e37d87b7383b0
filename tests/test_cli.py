"""The CLI's output: TensorFlow's C++ start-up lines dropped unless asked for, real errors kept."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from facegan.cli.quiet import noise_pattern

STARTUP_MARKERS = ("absl::InitializeLog", "Could not find cuda drivers", "failed call to cuInit",
                   "oneDNN custom operations", "cpu_feature_guard")
REAL_LINES = {
    # TF 2.21 on a CPU-only machine (verbatim, less timestamps)
    "I0000 00:00:1795568590.455490    7320 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.": "no-gpu",
    "E0000 00:00:1795568595.754909    7320 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA "
    "error: Failed call to cuInit: UNKNOWN ERROR (303)": "no-gpu",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR": "always",
    "I0000 00:00:1795568590.455142    7320 port.cc:153] oneDNN custom operations are on. You may see "
    "slightly different numerical results": "always",
    "E0000 00:00:1796611803.104305    9390 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: "
    "Mutation::Apply error: fanout 'gradient_tape/functional_1/leaky_re_lu_1_2/LeakyRelu/LeakyReluGrad' "
    "exist for missing node 'functional_1/conv2d_1_2/BiasAdd'.": "always",
    # real errors: never dropped
    "E0000 00:00:1.0  1 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: out of memory": "keep",
    "E0000 00:00:1.0  1 cuda_dnn.cc:535] Could not create cudnn handle: CUDNN_STATUS_INTERNAL_ERROR": "keep",
    "W0000 00:00:1.0  1 op_kernel.cc:1841] OP_REQUIRES failed at conv_ops.cc: RESOURCE_EXHAUSTED: OOM": "keep",
    "facegan: error: something the user can fix": "keep",
}


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "FACEGAN_VERBOSE")}     # conftest sets the first
    env.update(extra)
    return env


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=clean_env(**env), timeout=300)


@pytest.mark.parametrize("line, kind", REAL_LINES.items())
def test_noise_pattern(line, kind):
    assert bool(noise_pattern(gpu_machine=False).search(line)) == (kind != "keep")
    # with an NVIDIA driver loaded, CUDA start-up failures are diagnostics and are kept
    assert bool(noise_pattern(gpu_machine=True).search(line)) == (kind == "always")


def test_filter_keeps_real_errors_from_cpp_python_and_children():
    code = r"""
import os, subprocess, sys
from facegan.cli.quiet import StartupFilter
with StartupFilter(gpu_machine=False) as f:
    os.write(2, b"I0000 00:00:1.0  1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n")
    os.write(2, b"E0000 00:00:1.0  1 cuda_dnn.cc:535] Could not create cudnn handle\n")
    print("python-level warning", file=sys.stderr)
    # papermill relays a kernel's start-up lines through Python's sys.stderr
    print("I0000 00:00:1.0  1 port.cc:153] oneDNN custom operations are on. You may see", file=sys.stderr)
    sys.stderr.write("\rprogress 50%")
    subprocess.run(["sh", "-c", "echo child-error >&2"])
print("dropped", f.dropped, file=sys.stderr)
print("stdout untouched")
"""
    p = run_python(code)
    assert p.returncode == 0, p.stderr
    assert "Could not find cuda drivers" not in p.stderr and "oneDNN" not in p.stderr
    # fd 2 is pumped by the filter's thread, so its kept line may land anywhere among the Python-level
    # writes: take it out before checking what the Python-level noise left between its neighbours
    cudnn = "E0000 00:00:1.0  1 cuda_dnn.cc:535] Could not create cudnn handle\n"
    assert "python-level warning\n\nprogress 50%" in p.stderr.replace(cudnn, "", 1)
    for kept in ("Could not create cudnn handle", "python-level warning", "progress 50%",
                 "child-error", "dropped 2"):
        assert kept in p.stderr
    assert p.stdout == "stdout untouched\n"


MAIN = "import sys; from facegan.cli import main; sys.exit(main({argv!r}))"


@pytest.mark.slow
def test_a_tensorflow_command_prints_no_startup_lines():
    p = run_python(MAIN.format(argv=["info"]))       # imports TensorFlow and initialises its devices
    assert p.returncode == 0, p.stderr
    assert "tensorflow" in p.stdout
    assert not [m for m in STARTUP_MARKERS if m in p.stderr], p.stderr


# start-up lines as TensorFlow prints them on some CPU or other: which of them a given machine prints
# depends on its instruction sets (the oneDNN notice only where oneDNN is on by default), so the
# verbose switch is tested with lines fed to fd 2 from inside a command, not with what TensorFlow prints
FED = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
       "I0000 00:00:1.0  1 port.cc:153] oneDNN custom operations are on. You may see slightly "
       "different numerical results",
       "I0000 00:00:1.0  1 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use "
       "available CPU instructions in performance-critical operations.")
FEEDING = ("import os, sys; import facegan.cli.info as info\n"
           "def feed(args):\n"
           "    for line in {fed!r}:\n"
           "        os.write(2, (line + '\\n').encode())\n"
           "    return 0\n"
           "info.run = feed\n"
           "from facegan.cli import main; sys.exit(main({argv!r}))")


@pytest.mark.parametrize("how", ["flag", "env", "quiet"])
def test_verbose_shows_them(how):
    argv, env = {"flag": (["--verbose", "info"], {}), "env": (["info"], {"FACEGAN_VERBOSE": "1"}),
                 "quiet": (["info"], {})}[how]
    p = run_python(FEEDING.format(fed=FED, argv=argv), **env)
    assert p.returncode == 0, p.stderr
    shown = [line for line in FED if line in p.stderr]
    assert shown == (list(FED) if how != "quiet" else []), p.stderr


def test_errors_still_print_under_the_filter():
    p = run_python(MAIN.format(argv=["book", "--set", "no_such_setting=1"]))
    assert p.returncode == 2
    assert p.stderr.count("facegan: error:") == 1 and "valid settings:" in p.stderr


def test_help_and_version():
    p = run_python(MAIN.format(argv=["--version"]))
    assert p.returncode == 0 and p.stdout.startswith("facegan ")


def test_building_the_parser_does_not_import_tensorflow():
    # `facegan --help` and argument errors must be instant: TensorFlow is imported by the handlers only
    import subprocess
    import sys

    code = ("import sys; from facegan.cli import build_parser; build_parser(); "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_library_error_about_a_setting_is_worded_as_the_commands_flag():
    from types import SimpleNamespace

    from facegan.cli import worded
    from facegan.errors import FaceganError

    e = FaceganError("epochs must be a whole number >= 1, got 0", setting="epochs")
    assert worded(e, SimpleNamespace(setting_flags={"epochs": "--epochs"})) == \
        "--epochs must be a whole number >= 1, got 0"
    lr = FaceganError("lr must be > 0, got -1.0", setting="lr")
    assert worded(lr, SimpleNamespace(setting_flags={}, settings=[])) == "--set lr must be > 0, got -1.0"
    assert worded(lr, SimpleNamespace()) == str(lr)              # a command without flags for it
    assert worded(FaceganError("no such file"), SimpleNamespace(settings=[])) == "no such file"


def test_train_words_a_bad_setting_as_its_flag(tmp_path, capsys):
    from facegan.cli import main

    assert main(["train", str(tmp_path), "--out", str(tmp_path / "r"), "--epochs", "0"]) == 2
    assert "facegan: error: --epochs must be a whole number >= 1, got 0" in capsys.readouterr().err
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "r"), "--set", "lr=-1"]) == 2
    assert "facegan: error: --set lr must be > 0" in capsys.readouterr().err
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "r"), "--width", "0.5",
                 "--set", "width=0.25"]) == 2
    assert "width is given twice" in capsys.readouterr().err
