"""The one spec base and the one run-directory module, as the GAN, inpainter and encoder share them:
settings round-trip, the recorded command line gives the same spec back, one error per mistake,
and a run directory is never taken over by another kind of run."""
from __future__ import annotations

import json
import shlex

import pytest

from facegan.cli import build_parser
from facegan.completion.encoder_training import EncoderSpec
from facegan.completion.inpainter_training import InpainterSpec
from facegan.errors import FaceganError
from facegan.gan.spec import TrainSpec
from facegan.rundir import begin, make_config, read_config, start_epoch
from facegan.settings import split_item

SPECS = {
    "train": (TrainSpec, dict(recipe="study", width=0.5, epochs=3, lr=4e-4, flip=True, max_batches=7,
                              final_face_n=12, precision="mixed_bfloat16", augment="translation")),
    "train-inpainter": (InpainterSpec, dict(base=16, epochs=2, adv_weight=0.001, loss="l2", jitter=0,
                                            max_batches=None, lr=1e-3)),
    "train-encoder": (EncoderSpec, dict(base=8, steps=5, hole="random", pixel_weight=0.0, seed=3)),
}


def spec_from_command(command: str):
    """The spec that the recorded command line asks for, read by the CLI's own parser."""
    from facegan.cli import encoder, inpainter, train

    args = build_parser().parse_args(shlex.split(command)[1:])
    reader = {"train": train, "train-inpainter": inpainter, "train-encoder": encoder}[args.command]
    return reader.spec_from_args(args)


@pytest.mark.parametrize("name", SPECS)
def test_settings_round_trip_and_the_command_gives_the_same_spec_back(name):
    cls, settings = SPECS[name]
    spec = cls.from_settings(**settings)
    assert cls.from_settings(**spec.settings()) == spec
    assert cls.from_settings(**json.loads(json.dumps(spec.settings()))) == spec    # via config.json
    command = spec.command("SOURCE", "OUT") if cls is not EncoderSpec else spec.command("RUN", "OUT")
    assert command.split()[:2] == ["facegan", name]
    assert spec_from_command(command) == spec
    assert spec_from_command(cls().command("RUN", "OUT")) == cls()     # defaults: a short line


@pytest.mark.parametrize("name", SPECS)
def test_every_setting_can_be_given_as_text(name):
    cls, settings = SPECS[name]
    spec = cls.from_settings(**settings)
    for key, value in spec.settings().items():
        text = json.dumps(value) if not isinstance(value, str) else value
        assert cls.parse(key, text) == value, key


@pytest.mark.parametrize("cls", [TrainSpec, InpainterSpec, EncoderSpec])
def test_one_error_for_an_unknown_setting_and_for_a_wrong_type(cls):
    with pytest.raises(FaceganError, match=rf"^nope: unknown {cls.WHAT} setting; valid settings are ") as e:
        cls.from_settings(nope=1)
    assert e.value.setting == "nope"
    with pytest.raises(FaceganError, match="^seed expects a whole number, got 'x'"):
        cls.parse("seed", "x")
    with pytest.raises(FaceganError, match="^seed must be a whole number >= 0, got -1"):
        cls.from_settings(seed=-1)


def test_identity_leaves_out_only_the_length():
    assert set(TrainSpec().settings()) - set(TrainSpec().identity()) == {"epochs"}
    assert set(InpainterSpec().settings()) - set(InpainterSpec().identity()) == {"epochs"}
    assert TrainSpec().but(epochs=9).identity() == TrainSpec().identity()
    assert TrainSpec().but(r1_share=0.5).identity() != TrainSpec().identity()


def test_key_value_items_are_read_one_way():
    assert split_item("lr=4e-4") == ("lr", "4e-4")
    assert split_item(" generation_gan.epochs =10") == ("generation_gan.epochs", "10")
    assert split_item("augment=translation,color") == ("augment", "translation,color")
    for bad in ("lr", "=3", ""):
        with pytest.raises(FaceganError, match="write KEY=VALUE"):
            split_item(bad)


def test_a_run_directory_is_not_taken_over_by_another_kind(tmp_path):
    run = tmp_path / "run"
    gan = make_config("gan", TrainSpec(), "facegan train C --out run")
    inpainter = make_config("inpainter", InpainterSpec(), "facegan train-inpainter C --out run")
    assert start_epoch(run, gan, TrainSpec().identity(), resume=False) == 0
    begin(run, gan, 0)
    assert read_config(run)["kind"] == "gan" and read_config(run)["command"].startswith("facegan train")
    with pytest.raises(FaceganError, match="already holds a gan run"):
        start_epoch(run, gan, TrainSpec().identity(), resume=False)
    with pytest.raises(FaceganError, match="not empty .and is not an inpainter run"):
        start_epoch(run, inpainter, InpainterSpec().identity(), resume=False)
    with pytest.raises(FaceganError, match="cannot resume .*another kind of run .'gan', not 'inpainter'"):
        start_epoch(run, inpainter, InpainterSpec().identity(), resume=True)
    with pytest.raises(FaceganError, match="cannot resume .*no checkpoint"):
        start_epoch(run, gan, TrainSpec().identity(), resume=True)
    other = make_config("gan", TrainSpec(width=0.5), "facegan train C --out run --width 0.5")
    with pytest.raises(FaceganError, match="settings differ .*width: 1.0 in the run, 0.5 requested"):
        start_epoch(run, other, ["width", *TrainSpec().identity()], resume=True)
    assert json.loads((run / "config.json").read_text()) == gan          # refusals change nothing


def test_the_encoder_is_never_written_over_another_run(tmp_path):
    from facegan.rundir import check_target

    run = tmp_path / "run"
    begin(run, make_config("gan", TrainSpec(), "facegan train C --out run"), 0)
    with pytest.raises(FaceganError, match="not empty .and is not an encoder run"):
        check_target(run, "encoder", resume=False)
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    with pytest.raises(FaceganError, match="not empty"):
        check_target(tmp_path / "stuff", "encoder", resume=False)
    assert check_target(tmp_path / "new", "encoder", resume=False) is None      # a new directory
    enc = tmp_path / "enc"
    begin(enc, make_config("encoder", EncoderSpec(), "facegan train-encoder run --out enc"), 0)
    assert check_target(enc, "encoder", resume=False)["kind"] == "encoder"   # training again replaces it


def test_several_unknown_settings_are_named_together():
    with pytest.raises(FaceganError, match="^a: unknown training settings a, b; valid settings are recipe"):
        TrainSpec.from_settings(b=1, a=2)


def test_train_refuses_a_wrong_out_before_measuring_anything(tmp_path, monkeypatch, capsys):
    from facegan.cli import main
    from facegan.gan import speed

    monkeypatch.setattr(speed, "choose_kernels", lambda *a, **k: pytest.fail("measured kernels"))
    inp = tmp_path / "inp"
    begin(inp, make_config("inpainter", InpainterSpec(), "facegan train-inpainter C --out inp"), 0)
    assert main(["train", str(tmp_path / "cache"), "--out", str(inp), "--resume"]) == 2
    assert "belongs to another kind of run ('inpainter', not 'gan')" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "cache"), "--out", str(inp)]) == 2
    assert "is not empty (and is not a gan run)" in capsys.readouterr().err
