"""The per-machine kernel choice (`facegan.gan.speed`): what its key covers, and how a kernel
configuration that cannot run on this machine is skipped instead of ending the run. The measuring
processes are replaced here by fakes: no TensorFlow step is timed."""
from __future__ import annotations

import io
import json
import subprocess

import pytest

from facegan.errors import FaceganError
from facegan.gan import probe, speed
from facegan.gan.spec import TrainSpec

NO_KERNEL = ("tensorflow.python.framework.errors_impl.NotFoundError: No registered 'Conv2D' "
             "OpKernel for 'CPU' devices compatible with node {{node conv}} (T=DT_BFLOAT16)")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty per-machine cache and no oneDNN setting of the user's."""
    monkeypatch.setenv("FACEGAN_CACHE", str(tmp_path))
    monkeypatch.delenv(speed.ONEDNN, raising=False)
    return tmp_path


def fake_processes(monkeypatch, results):
    """The measuring processes replaced: `results[onednn]` is, per role, the ms of each step that
    ran, or a string, the last line of stderr of a process that failed. Returns the calls made."""
    calls = []

    def run(cmd, env, capture_output, text):
        onednn, roles = env[speed.ONEDNN], sorted(json.loads(cmd[3]))
        calls.append((onednn, roles))
        out = {role: results[onednn][role] for role in roles}
        failing = [v for v in out.values() if isinstance(v, str)]
        if failing:
            return subprocess.CompletedProcess(cmd, 1, "", f"Traceback ...\n{failing[0]}\n")
        return subprocess.CompletedProcess(cmd, 0, "RESULT " + json.dumps(out) + "\n", "")

    monkeypatch.setattr(speed.subprocess, "run", run)
    return calls


def test_a_kernel_configuration_that_cannot_run_is_skipped_and_another_chosen(cache, monkeypatch):
    """bfloat16 without oneDNN has no kernels: the process measuring oneDNN off fails, and oneDNN
    on is chosen, though it is the slower one for the float32 GAN measured beside it."""
    bf16 = TrainSpec.from_settings(recipe="study", width=0.25, precision="mixed_bfloat16")
    f32 = TrainSpec.from_settings(recipe="study", width=0.25)
    calls = fake_processes(monkeypatch, {
        "0": {"train": NO_KERNEL, "other": {"plain": 100.0, "xla": 90.0}},
        "1": {"train": {"plain": 300.0, "xla": 200.0}, "other": {"plain": 150.0, "xla": 160.0}}})
    out = io.StringIO()
    choice = speed.calibrate({"train": bf16, "other": f32}, out=out)
    # the failed two-spec process is measured again spec by spec: `other` still ran with oneDNN off
    assert calls == [("0", ["other", "train"]), ("0", ["train"]), ("0", ["other"]),
                     ("1", ["other", "train"])]
    key, other = speed.spec_key(bf16), speed.spec_key(f32)
    assert choice["onednn"] == "1"                          # the one setting both GANs ran with
    assert choice["specs"][key] == {"0": {}, "1": {"plain": 300.0, "xla": 200.0}}
    assert choice["specs"][other]["0"] == {"plain": 100.0, "xla": 90.0}
    why = "the measuring process failed: " + NO_KERNEL
    assert choice["failed"] == {key: {"0": {"plain": why, "xla": why}}}        # why, kept
    assert choice["step_ms"] == {key: 200.0, other: 150.0} and choice["jit"] == {key: True, other: False}
    assert speed.load_choice() == choice
    assert f"train: skipped what cannot run here: oneDNN off: {why}" in out.getvalue()
    assert "oneDNN on; train: 200 ms per step with XLA; other: 150 ms per step" in out.getvalue()

    monkeypatch.setattr(speed, "measure", lambda *a, **k: pytest.fail("measured again"))
    assert speed.calibrate({"train": bf16}, out=io.StringIO())["onednn"] == "1"
    # the float32 GAN alone runs fastest with oneDNN off, whatever the other needed
    assert speed.calibrate({"other": f32}, out=io.StringIO())["onednn"] == "0"


def test_a_step_that_fails_only_with_xla_is_trained_without(cache, monkeypatch):
    spec = TrainSpec.from_settings(recipe="study", width=0.25)
    fake_processes(monkeypatch, {"0": {"gen": {"plain": 500.0, "failed": {"xla": "XlaRuntimeError: x"}}},
                                 "1": {"gen": {"plain": 400.0, "failed": {"xla": "XlaRuntimeError: x"}}}})
    out = io.StringIO()
    choice = speed.calibrate({"gen": spec}, out=out)
    assert choice["onednn"] == "1" and choice["jit"] == {speed.spec_key(spec): False}
    assert "gen: skipped what cannot run here: oneDNN off and on with XLA: XlaRuntimeError: x\n" \
        in out.getvalue()
    monkeypatch.setenv(speed.ONEDNN, "1")                  # as choose_kernels sets it
    assert speed.use_xla(spec) is False
    assert choice["failed"][speed.spec_key(spec)] == {"0": {"xla": "XlaRuntimeError: x"},
                                                      "1": {"xla": "XlaRuntimeError: x"}}


def test_no_kernel_configuration_that_runs_is_one_clear_error(cache, monkeypatch):
    spec = TrainSpec.from_settings(recipe="study", width=0.25, precision="mixed_bfloat16")
    calls = fake_processes(monkeypatch, {"0": {"train": NO_KERNEL}, "1": {"train": NO_KERNEL}})
    with pytest.raises(FaceganError) as err:
        speed.calibrate({"train": spec}, out=io.StringIO())
    text = str(err.value)
    assert text.startswith("train: no configuration of TensorFlow's CPU kernels could train "
                           "study-w0.25-b20-mixed_bfloat16 on this machine")
    assert f"on this machine (oneDNN off and on: the measuring process failed: {NO_KERNEL}); " in text
    assert "float32 runs everywhere" in text and err.value.setting == "precision"
    assert speed.load_choice() is None                      # nothing kept: measured again next time
    with pytest.raises(FaceganError, match="no configuration"):
        speed.calibrate({"train": spec}, out=io.StringIO())
    assert len(calls) == 4


def test_gans_that_run_under_no_one_setting_together_are_one_clear_error(cache, monkeypatch):
    a = TrainSpec.from_settings(recipe="study", width=0.25, precision="mixed_bfloat16")
    b = TrainSpec.from_settings(recipe="study", width=0.25)
    fake_processes(monkeypatch, {"0": {"gen": NO_KERNEL, "comp": {"plain": 100.0}},
                                 "1": {"gen": {"plain": 300.0}, "comp": "Fatal Python error: Aborted"}})
    with pytest.raises(FaceganError) as err:
        speed.calibrate({"gen": a, "comp": b}, out=io.StringIO())
    assert str(err.value) == (
        "no one setting of TensorFlow's CPU kernels trains all of gen, comp on this machine: gen "
        "(study-w0.25-b20-mixed_bfloat16) ran only with oneDNN on; comp (study-w0.25-b20-float32) ran "
        "only with oneDNN off; train them in separate processes, or in float32")
    assert speed.load_choice() is None                      # no choice made: nothing kept
    assert speed.calibrate({"gen": a}, out=io.StringIO())["onednn"] == "1"     # each alone runs
    assert speed.calibrate({"comp": b}, out=io.StringIO())["onednn"] == "0"


def test_the_measuring_process_skips_a_step_that_raises(monkeypatch):
    """In the measuring process, a step that raises is left out with its reason; the others run."""
    def step(spec, steps, jit_compile):
        if spec.precision == "mixed_bfloat16" and not jit_compile:
            raise ValueError("no bfloat16 kernel\nlong TensorFlow trace ...")
        return 0.25 if jit_compile else 0.5

    monkeypatch.setattr(probe, "time_training_step", step)
    payload = json.dumps({"a": TrainSpec.from_settings(precision="mixed_bfloat16").settings(),
                          "b": TrainSpec.from_settings().settings()})
    assert probe._measure_here(payload, 1) == {
        "a": {"xla": 250.0, "failed": {"plain": "ValueError: no bfloat16 kernel"}},
        "b": {"plain": 500.0, "xla": 250.0}}


def test_a_failures_reason_is_the_line_that_says_what_went_wrong():
    graph_error = ("Graph execution error:\n\nDetected at node d/MaxPoolGradGrad defined at (most recent "
                   "call last):\n<stack traces unavailable>\nDetected unsupported operations when trying "
                   "to compile graph on XLA_CPU_JIT: MaxPoolGradGrad (No registered 'MaxPoolGradGrad' "
                   "OpKernel)\nThe op is created at: ...")
    assert probe.reason(RuntimeError(graph_error)) == (
        "RuntimeError: Detected unsupported operations when trying to compile graph on XLA_CPU_JIT: "
        "MaxPoolGradGrad (No registered 'MaxPoolGradGrad' OpKernel)")
    assert probe.reason(ValueError("x" * 400)) == "ValueError: " + "x" * 285 + "..."
    assert probe.reason(KeyError()) == "KeyError"


def test_the_choice_key_covers_every_setting_that_changes_a_steps_cost():
    base = TrainSpec.from_settings(recipe="stable", width=0.5)
    key = speed.spec_key(base)
    assert key == "stable-w0.5-b20-float32"                 # the named recipe's own settings
    for change in ({"r1_share": 0.5}, {"r1_every": 4}, {"mode_seeking": 0.0}, {"augment": ""},
                   {"k_g": 1}, {"ema": 0.0}, {"batch_size": 8}, {"precision": "mixed_bfloat16"},
                   {"width": 0.25}, {"recipe": "study"}):
        assert speed.spec_key(base.but(**change)) != key, change
    assert speed.spec_key(base.but(r1_share=0.5)) == "stable-w0.5-b20-float32-r1_share=0.5"
    assert speed.spec_key(base.but(r1_share=0.5)) != speed.spec_key(base.but(r1_share=0.25))
    for change in ({"epochs": 9}, {"seed": 3}, {"max_batches": 7}, {"swd_n": 0}, {"sample_n": 4},
                   {"epoch_face_n": 0}, {"final_face_n": 8}, {"final_n": 0}, {"metrics_every": 2},
                   {"lr": 4e-4}, {"flip": True}):
        assert speed.spec_key(base.but(**change)) == key, change
    assert speed.NOT_STEP_COST <= set(base.settings())      # each is a setting (none renamed away)


def test_a_recipe_setting_not_listed_anywhere_is_in_the_key(monkeypatch):
    """The key is every setting but those that cannot change a step's cost: a setting the key's
    code never names (a new one, say) is covered."""
    base = TrainSpec.from_settings(recipe="study", width=0.5)
    other = base.but(n_critic=2)
    monkeypatch.setattr(TrainSpec, "settings", lambda self, _s=TrainSpec.settings: {
        **_s(self), "new_penalty": 0.0 if self.recipe.n_critic == 1 else 2.0})
    assert speed.spec_key(base) == "study-w0.5-b20-float32"
    assert speed.spec_key(other) == "study-w0.5-b20-float32-n_critic=2-new_penalty=2"
