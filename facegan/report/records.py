"""The book's tables of measurements, rendered from the committed records (benchmarks/results/*.json).

Each table is made at build time from the records of one kind, one per CPU class (or GPU), with a
caption naming the command that measured it, the commit, the date and the machine, and the command
that refreshes it. `facegan book` writes every table to book/_generated/NAME.md, which the
discussion includes; notebooks call `render(NAME)`. A new measurement is a new record: no prose to edit.
"""
from __future__ import annotations

from pathlib import Path

from facegan.errors import FaceganError
from facegan.tables import md_table

RESULTS = Path("benchmarks") / "results"


def results_dir(root=None) -> Path | None:
    """benchmarks/results of the clone this runs in (None outside a clone, e.g. in Colab)."""
    from facegan.report.edition import find_root

    try:
        return Path(root or find_root()) / RESULTS
    except FaceganError:
        return None


def load(kind: str, root=None) -> list[dict]:
    """Every record of `kind` (files KIND-*.json), ordered by machine class, each class's main
    record (KIND-CLASS.json) before its variants (KIND-CLASS-TRIAL.json); each with its `file`
    name."""
    from facegan.records import read_record

    folder = results_dir(root)
    if folder is None or not folder.is_dir():
        return []
    found = [{**read_record(p), "file": p.name}
             for p in sorted(folder.glob(f"{kind}-*.json"), key=lambda p: p.stem)]
    return [r for r in found if r["record"] == kind]


def machine_label(m: dict, with_kernels: bool = True) -> str:
    """'AMD EPYC (AVX-512 (VNNI, BF16), 2 cores; oneDNN on)' or the GPU's name; without the
    kernels (but with oneDNN's instruction cap, if any) for a table that has its own oneDNN column."""
    if m.get("gpu"):
        return f"{m['gpu'][0]} (GPU; CPU {m.get('cpu')})"
    if not with_kernels:
        cap = f"; oneDNN limited to {m['onednn_max_isa']}" if m.get("onednn_max_isa") else ""
        return f"{m.get('cpu')} ({m.get('cpu_class')}, {m.get('cores')} cores{cap})"
    kernels = {"1": "oneDNN on", "0": "oneDNN off"}.get(m.get("onednn"))
    if kernels is None:         # TensorFlow's default: oneDNN on where the CPU has VNNI, BF16 or AMX
        on = bool(set(m.get("isa") or []) & {"avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"})
        kernels = f"TensorFlow's default kernels, oneDNN {'on' if on else 'off'}"
    if m.get("onednn_max_isa"):
        kernels += f", limited to {m['onednn_max_isa']}"
    return f"{m.get('cpu')} ({m.get('cpu_class')}, {m.get('cores')} cores; {kernels})"


def refresh_command(record: dict) -> str:
    """The command that measures `record` again: the one that made it, writing where the record
    is kept (benchmarks/results/FILE). A trial record made with `--record ELSEWHERE` and moved
    there, or one whose file is not the default name for its machine, gets `--record` to its file."""
    import shlex

    from facegan.records import record_name

    command = record["command"]
    file = record.get("file")
    if not file:
        return command
    here = (RESULTS / file).as_posix()
    words = shlex.split(command)
    at = next((i for i, w in enumerate(words) if w == "--record" or w.startswith("--record=")), None)
    if at is None:                         # no --record: it went to its kind's and machine's file
        if file == record_name(record["record"], record["machine"]):
            return command
        return f"{command} --record {shlex.quote(here)}"
    inline = words[at].startswith("--record=")
    given = words[at].partition("=")[2] if inline else " ".join(words[at + 1:at + 2])
    if Path(given).as_posix() == here:
        return command
    return shlex.join(words[:at] + ["--record", here] + words[at + (1 if inline else 2):])


def provenance_line(record: dict, refresh: str | None = None) -> str:
    """The caption's record of how, where and when a table's numbers were measured; `refresh`
    (default: the record's own command, `refresh_command`) measures them again."""
    m = record["machine"]
    refresh = refresh or refresh_command(record)
    return (f"Measured by `{record['command']}` at commit `{record['commit']}` on {record['date']}, "
            f"{machine_label(m)}, TensorFlow {m.get('tensorflow')}. Refresh: `{refresh}`.")


def missing(refresh: str) -> str:
    return f"*(No record yet: run `{refresh}` in a clone to measure it on your machine.)*"


def changed_settings(name: str, settings: dict) -> str:
    """'lr 0.0004, r1_every 4': a run's settings that differ from its recipe's ('' for none)."""
    from facegan.gan.recipes import RECIPES

    if name not in RECIPES:
        return ""
    base = RECIPES[name].settings()
    return settings_text({k: v for k, v in settings.items() if k in base and base[k] != v})


def settings_text(settings: dict) -> str:
    """'lr 0.0004, r1_every 4'."""
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in settings.items())


def profile_changes(profile: str | None, role: str | None, changed: dict | None) -> str:
    """"Changed from the quick profile's `completion_gan` of the time: epochs 1, max_batches 40. ": the settings a
    benchmark's command changed from the profile its runs were built from ('' for none, and for
    a record from before records named them)."""
    if not changed or not profile:
        return ""
    gan = f" `{role}`" if role else ""
    return f"Changed from the {profile} profile's{gan} of the time: {settings_text(changed)}. "


def recipe_label(name: str, settings: dict) -> str:
    """'stable' or, for a run whose settings differ from the recipe's, 'stable (lr 0.0004)'."""
    changed = changed_settings(name, settings)
    return f"{name} ({changed})" if changed else name


# ---------------------------------------------------------------------------- the tables
def stability(records: list[dict]) -> str:
    """benchmarks/gan_stability.py: each recipe x seed at a profile's budget."""
    if not records:
        return missing("python benchmarks/gan_stability.py")
    out = []
    for rec in records:
        res = rec["results"]
        s, runs = res["settings"], res["runs"]
        sources = sorted({r["data"] for r in runs})
        data_column = len(sources) > 1                  # else the caption names the one source
        after = f"after training ({s['face_rate_n']:,})" if s.get("face_rate_n") else "after training"
        header = (["data"] if data_column else []) + [
            "recipe", "seed", "SWD per epoch", "final SWD", "diversity ratio: last epoch / after training",
            f"face rate: last epoch ({s['face_n']:,} samples) / {after}",
            "images/s"]
        rows, changed = [], {}
        for r in runs:
            swd = [v for v in r["swd"] if v is not None]
            differ = changed_settings(r["recipe"], r.get("settings", {}))
            if differ:
                changed[f"`{r['recipe']}`: {differ}"] = None
            rows.append(([r["data"]] if data_column else []) + [
                r["recipe"], r["seed"], " → ".join(f"{v:.0f}" for v in swd), swd[-1] if swd else None,
                _pair(r["diversity"][-1], r.get("final_diversity"), "{:.2f}"),
                _pair(r["face_rate"][-1], r.get("final_face_rate"), "{:.0%}", "{:.1%}"),
                round(r["images_per_s"])])
        data = "" if data_column else f"on {sources[0]} faces, "
        out += [md_table(header, rows), "",
                profile_changes(res.get("profile"), res.get("role"), res.get("changed")) +
                ("Settings that differ from the recipe's: " + "; ".join(changed) + ". " if changed else "")
                + f"Width {s['width']}, {data}{s['epochs']} epochs × {s['batches']} batches of {s['batch']}, "
                f"{s['precision']}; SWD and diversity on {s['swd_n']} held-out crops, each epoch's face "
                f"rate on {s['face_n']} samples. " + provenance_line(rec, stability_refresh(rec)), ""]
    return "\n".join(out)


def stability_refresh(record: dict) -> str:
    """The gan_stability command that trains the record's runs again: its own command, plus a
    `--set RECIPE.KEY=VALUE` for each recipe setting its runs had that the profile now gives
    otherwise (a profile changed since, say a new penalty, would otherwise train other GANs)."""
    import shlex

    from facegan.gan.recipes import BEFORE, RECIPE_KEYS
    from facegan.report.profiles import ROLES, get_profile
    from facegan.report.training import budget_spec

    command = refresh_command(record)
    res = record["results"]
    words = shlex.split(record["command"])
    # records from before they named their profile: the one the command chose (default quick)
    named = words[words.index("--profile") + 1] if "--profile" in words[:-1] else "quick"
    try:
        cfg = get_profile(res.get("profile") or named)
    except FaceganError:
        return command
    extra = {}
    for run in res["runs"]:
        if not run.get("settings"):
            continue
        now = budget_spec(cfg, res.get("role") or ROLES[-1], recipe=run["recipe"]).recipe.settings()
        for k, v in {**BEFORE, **run["settings"]}.items():     # settings newer than the run: as trained
            key = f"{run['recipe']}.{k}"
            if k in RECIPE_KEYS and k in now and now[k] != v and f"--set {key}=" not in command:
                extra[key] = v
    return command + "".join(f" --set {k}={v:g}" if isinstance(v, float) else f" --set {k}={v}"
                             for k, v in extra.items())


def _cell(value, form: str) -> str:
    """`value` in `form` ('{:.1%}' gives '88.0 %'); '–' where it was not measured."""
    return "–" if value is None else form.format(value).replace("%", " %")


def _face_rate(rate, samples) -> str:
    """'88.0 % (1,024)': a face rate and the samples it was measured on."""
    return _cell(rate, "{:.1%}") + (f" ({samples:,})" if rate is not None and samples else "")


def _pair(first, second, form_first: str, form_second: str | None = None) -> str:
    """'0.84 / 0.90': a measure after the last epoch and after training."""
    return f"{_cell(first, form_first)} / {_cell(second, form_second or form_first)}"


def book_time_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    """One row per machine class: the default build's time (`make book`) from a fresh clone, and
    its parts."""
    header = ["machine", "oneDNN", "make book (min)", ".venv set-up (min)", "kernel measurement (min)",
              "training notebook (min)", "other notebooks and HTML (min)"]
    rows = []
    for rec in records:
        r = rec["results"]
        training = r["notebooks"].get("03_training", 0.0)
        kernels = r.get("kernel_measurement_s") or 0.0      # part of the set-up before the notebooks
        onednn = {"1": "on", "0": "off"}.get(r.get("onednn"), "default")
        rows.append([machine_label(rec["machine"], with_kernels=False), onednn] + [
            f"{v / 60:.1f}" for v in (r["make_book_s"], r["setup_s"] - kernels, kernels, training,
                                      r["build_s"] - training)])
    return header, rows


def book_time(records: list[dict]) -> str:
    """benchmarks/book_time.py: `make book` from a fresh clone, per machine class, and its GANs."""
    if not records:
        return missing("python benchmarks/book_time.py")
    header, rows = book_time_rows(records)
    out = [md_table(header, rows), ""]
    quality = [[machine_label(rec["machine"], with_kernels=False), rec["results"]["seed"], name,
                run["epochs"], run["swd"], _pair(run["diversity_last_epoch"], run.get("diversity"), "{:.2f}"),
                _face_rate(run.get("face_rate"), run.get("n_face_rate"))]
               for rec in records for name, run in sorted(rec["results"]["runs"].items())]
    out += ["The same builds' GANs:", "",
            md_table(["machine", "seed", "recipe", "epochs", "final SWD",
                      "diversity ratio: last epoch / after training", "face rate after training (samples)"],
                     quality), ""]
    out += [line for rec in records for line in (provenance_line(rec), "")]
    return "\n".join(out)


def train_profile(records: list[dict]) -> str:
    """benchmarks/train_profile.py: where a training step's time goes, per machine class."""
    if not records:
        return missing("python benchmarks/train_profile.py")
    out = []
    for rec in records:
        res, peak = rec["results"], rec["results"]["peak_gflops"]
        for step in res["steps"]:
            rows = [[name, ms, f"{100 * ms / step['step_ms']:.0f} %"] for name, ms in step["parts_ms"].items()]
            rows += [[f"whole step (train_step), {step['step_gflop']:.1f} GFLOP", step["step_ms"], "100 %"]]
            label = recipe_label(step["recipe"], step.get("settings", {}))
            out += [f"**{label}, width {step['width']:g}, batch {step['batch']}** on "
                    f"{machine_label(rec['machine'])}: {step['gflops']:.0f} GFLOP/s, "
                    f"{100 * step['fraction_of_peak']:.0f} % of the {peak['peak']:.0f} GFLOP/s measured "
                    f"for fp32 (matmul {peak['matmul']:.0f}, convolution {peak['conv']:.0f}).", "",
                    md_table(["part", "ms per step", "share of the step"], rows), "",
                    profile_changes(res.get("profile"), step.get("role"), step.get("changed"))
                    + "Per epoch: " + "; ".join(f"{k} {v:.2f} s" for k, v in step["per_epoch_s"].items()) + ".", ""]
        c = res.get("completion")
        if c:
            out += [f"Completion (`{c['method']}`, {c['faces']} faces): {c['ms_per_evaluation']:.2f} ms per "
                    f"generator evaluation; functions traced again on a second call: "
                    f"{c['retraced_on_second_call']}.", ""]
        out += [provenance_line(rec), ""]
    out += ["A part \"(in ...)\" is the difference between that update with and without it, timed in "
            "turn: one below 0 is within the timing noise.", ""]
    return "\n".join(out)


def evaluation_rows(summary: dict) -> tuple[list[str], list[list]]:
    """An evaluation's rows (facegan.completion.evaluate's summary), best hole L1 first in each
    family; the classifier realism column (C2ST accuracy, 50 % = indistinguishable from real)
    where the evaluation measured it."""
    c2st = _has_c2st(summary)
    header = ["method", "family", "hole L1", "hole PSNR (dB)", "hole SSIM", "realism SWD",
              *(["realism C2ST (%)"] if c2st else []), "seconds per face", "G evaluations per face"]
    order = {f: i for i, f in enumerate(("gan", "supervised", "classical"))}
    names = sorted(summary["methods"], key=lambda n: (order.get(summary["methods"][n]["family"], 9),
                                                       summary["methods"][n]["hole_l1"][0]))
    rows = []
    for name in names:
        m = summary["methods"][name]
        acc = m.get("realism_c2st")
        rows.append([f"`{name}`", m["family"], f"{m['hole_l1'][0]:.4f} ± {m['hole_l1'][1]:.4f}",
                     f"{m['hole_psnr'][0]:.2f} ± {m['hole_psnr'][1]:.2f}",
                     f"{m['hole_ssim'][0]:.3f} ± {m['hole_ssim'][1]:.3f}",
                     "" if m["realism_swd"] is None else f"{m['realism_swd']:.0f} ± {m['realism_se']:.0f}",
                     *([("" if acc is None else f"{100 * acc:.1f} ± {100 * m['realism_c2st_se']:.1f}")]
                       if c2st else []),
                     f"{m['seconds_per_face']:.3g}", m.get("evaluations_per_face")])
    if summary.get("realism_floor") is not None:
        rows.append(["real mouths (no hole)", "", "", "", "", f"{summary['realism_floor']:.0f} ± "
                     f"{summary.get('realism_floor_se') or 0:.0f}", *(["50 (chance)"] if c2st else []),
                     "", ""])
    return header, rows


REALISM_BOTH = ("realism SWD of the filled holes to the mouths of training faces (± SE over reference "
                "draws) and C2ST accuracy (± SE over faces); for both, lower is more like real mouths")


def _has_c2st(ev: dict) -> bool:
    return any(m.get("realism_c2st") is not None for m in ev["methods"].values())


def _evaluation_table(ev: dict, source: str, realism: str) -> list[str]:
    """An evaluation's caption (its faces, what ± means, `realism` explained) and its table."""
    header, rows = evaluation_rows(ev)
    lead = f"{source}split `{ev['split']}`"
    return [f"{lead[0].upper()}{lead[1:]}: {ev['faces']} faces, each with its own 30×30 mouth box; mean ± "
            f"standard error over faces (L1 on the [0, 1] scale); {realism}.", "", md_table(header, rows)]


def prepared_sentence(p: dict | None) -> str:
    """What `facegan data prepare` kept of the source images, and why it removed the rest."""
    if not p:
        return ""
    removed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(p["removed"].items()))
    parts = ", ".join(f"{k} {v}" for k, v in p["kept_per_partition"].items() if v)
    return (f"Data: the quality rules kept {p['n_kept']:,} of {p['n_source']:,} images "
            f"({100 * p['n_kept'] / p['n_source']:.0f} %; removed: {removed}; unreadable {p['n_corrupt']}), "
            f"split {parts}.")


def gan_sentence(gan: dict | None, epochs) -> str:
    """The completion GAN's own scores after training (the run's metrics.json)."""
    if not gan or not gan.get("final"):
        return ""
    f = gan["final"]
    return (f"The GAN after {epochs} epochs: face rate {100 * f['face_rate']:.1f} % on {f['n_face_rate']} "
            f"samples, diversity ratio {f['diversity']:.2f}, memorisation ratio "
            f"{f['memorisation_ratio']:.2f} (nearest-training-face distance of samples over that of "
            f"held-out faces).")


def protocol_records(records: list[dict]) -> list[dict]:
    """Protocol records, the one over the most faces first (the full protocol before a partial one)."""
    return sorted(records, key=lambda r: -r["results"]["evaluation"]["faces"])


def protocol(records: list[dict]) -> str:
    """benchmarks/protocol.py: every completion row on the real sample's validation faces; where
    the evaluation measured both realism scores, its frontier figure and paired comparisons too."""
    from facegan.completion.evaluate import comparison_sentences, frontier_sentences, paired_sentences

    if not records:
        return missing("python benchmarks/protocol.py --adversarial --sweep")
    out = []
    for i, rec in enumerate(protocol_records(records)):
        res = rec["results"]
        ev = res["evaluation"]
        out += _evaluation_table(ev, f"Real CelebA ({res['data']}), ", REALISM_BOTH if _has_c2st(ev) else
                                 "realism is the SWD of the filled holes to the mouths of training "
                                 "faces (lower is more like real mouths)")
        if ev.get("frontier"):
            out += ["", f"![Every row at its hole L1 and realism, ± SE both ways; the rows no other row "
                        f"beats on both joined: the perception–distortion frontier]"
                        f"({FIGURES}/frontier-protocol-{i}.png)"]
        out += (frontier_sentences(ev.get("frontier")) + comparison_sentences(ev.get("comparisons"))
                + paired_sentences(ev.get("paired")) + [""])
        out += [prepared_sentence(res.get("prepared")), gan_sentence(res.get("gan"), res.get("epochs")), ""]
        out += ["The protocol's steps, as run:", "",
                md_table(["command", "minutes"], [[f"`{s['command']}`", f"{s['seconds'] / 60:.1f}"]
                                                  for s in res["steps"]]), ""]
        if res.get("sweep"):
            sweep = [[r["iterations"], r["finetune_steps"], f"{r['hole_l1'][0]:.4f} ± {r['hole_l1'][1]:.4f}",
                      f"{r['evaluations_per_face']:.0f}", f"{r['seconds_per_face']:.3g}"] for r in res["sweep"]]
            out += ["The encoder's guess of z, then the search: hole L1 by search length, on the same faces:",
                    "", md_table(["search steps", "fine-tuning steps", "hole L1", "G evaluations per face",
                                  "seconds per face"], sweep), ""]
        out += [provenance_line(rec), ""]
    return "\n".join(out)


def _trained_lines(trained: dict | None) -> list[str]:
    """How the evaluated networks were trained: one command per network, as it trains the same
    network today."""
    if not trained:
        return []
    return ["Trained by (what trains the same networks today):", "",
            *[f"- {name}: `{trained_command(t)}`" for name, t in trained.items() if t.get("command")], ""]


def trained_command(trained: dict) -> str:
    """A trained network's command with the settings whose default has changed since spelled out
    (`train-inpainter`'s ALWAYS settings: its adversarial weight), as the record's `settings` say
    or, in records from before those were kept, as the defaults of their time were
    (`InpainterSpec.BEFORE`)."""
    import shlex

    from facegan.completion.inpainter_training import InpainterSpec
    from facegan.settings import text_of

    command = trained["command"]
    words = shlex.split(command)
    if tuple(words[:2]) != InpainterSpec.COMMAND:
        return command
    settings, given = trained.get("settings") or InpainterSpec.BEFORE, _given_settings(command, InpainterSpec)
    for key in (k for k in InpainterSpec.ALWAYS if k in settings and k not in given):
        value = text_of(InpainterSpec.check_value(key, settings[key]))
        words += [InpainterSpec.FLAGS[key], value] if key in InpainterSpec.FLAGS else ["--set", f"{key}={value}"]
    return shlex.join(words)


def inpainter_settings(trained: dict) -> dict:
    """Every setting an evaluated inpainter trained with: the record's `settings` where it kept
    them, else read from its command at the defaults of its time (`trained_command`)."""
    from facegan.completion.inpainter_training import InpainterSpec

    from_command = _training_settings(trained_command(trained) if trained.get("command") else None,
                                      InpainterSpec)
    kept = {k: v for k, v in (trained.get("settings") or {}).items() if k in from_command}
    return {**from_command, **kept}


def inpainter_text(trained: dict) -> str:
    """'adversarial weight 0.02 (local critic), seed 0, 10 epochs': what tells one trained
    inpainter from another (the L1 inpainter: 'L1 only, ...')."""
    s = inpainter_settings(trained)
    loss = (f"adversarial weight {s['adv_weight']:g} ({s['critic']} critic)" if s.get("adv_weight")
            else "L1 only")
    return f"{loss}, seed {s['seed']}, {s['epochs']} epochs"


def _refresh(record: dict) -> str:
    """An evaluation record is OUT/summary.json of `facegan evaluate ... --out OUT`, copied here."""
    import shlex

    words = shlex.split(record["command"])
    out = words[words.index("--out") + 1] if "--out" in words else "OUT"
    return f"{record['command']} && cp {out}/summary.json {RESULTS.as_posix()}/{record.get('file', 'FILE')}"


def _is_main(record: dict) -> bool:
    """A machine class's main record (KIND-CLASS.json), not one of its variants."""
    from facegan.records import record_name

    return record.get("file") == record_name(record["record"], record["machine"])


def _inpainters_trained(ev: dict) -> tuple[str, str]:
    """The seed(s) and epochs of an evaluation's supervised inpainters, as table cells."""
    t = [v for k, v in (ev.get("trained") or {}).items() if k != "GAN"]
    cell = lambda key: ", ".join(str(v) for v in dict.fromkeys(x.get(key) for x in t)) or "?"
    return cell("seed"), cell("epochs")


# settings that say what a GAN run measures along the way, not how it trains
_MEASURES = {"swd_n", "epoch_face_n", "final_face_n", "final_n", "sample_n", "metrics_every"}


def _training_settings(command: str | None, spec=None) -> dict:
    """Every setting (typed; defaults filled in) of the run a training command trains (`facegan
    train`, or the command of `spec`, a Spec class), less the sizes of what it measures along the
    way."""
    from facegan.gan.spec import TrainSpec

    spec = spec or TrainSpec
    settings = spec.from_settings(**_given_settings(command, spec)).settings()
    return {k: v for k, v in settings.items() if k not in _MEASURES}


def _given_settings(command: str | None, spec) -> dict:
    """The settings a training command gives by flag or `--set KEY=VALUE`, typed by `spec`."""
    import shlex

    words, given = shlex.split(command or ""), {}
    flags = {flag: key for key, flag in spec.FLAGS.items()}
    for i, w in enumerate(words):
        if w == "--set" and i + 1 < len(words):
            key, _, value = words[i + 1].partition("=")
            given[key] = spec.parse(key, value)
        elif w in flags and flags[w] in spec.SWITCHES:
            given[flags[w]] = True
        elif w in flags and i + 1 < len(words):
            given[flags[w]] = spec.parse(flags[w], words[i + 1])
    return given


def _gan_change(ev: dict, main: dict | None) -> str:
    """What a variant's GAN training changed from the main record's ('the same' for nothing)."""
    from facegan.spec import same

    gan = lambda e: _training_settings(((e or {}).get("trained") or {}).get("GAN", {}).get("command"))
    mine, base = gan(ev), gan(main)
    return settings_text({k: v for k, v in mine.items() if not same(v, base.get(k))}) or "the same"


def _inpainter_change(ev: dict, main: dict | None) -> str:
    """What a variant's inpainters' training changed from the main record's inpainter of the same
    name, besides the seed and epochs that have columns of their own ('the same' for nothing)."""
    from facegan.spec import same

    nets = lambda e: {k: v for k, v in ((e or {}).get("trained") or {}).items() if k != "GAN"}
    mine, base = nets(ev), nets(main)
    changes = []
    for name, t in mine.items():
        ref = base.get(name) or next(iter(base.values()), {})
        a, b = inpainter_settings(t), inpainter_settings(ref)
        changes.append(settings_text({k: v for k, v in a.items()
                                      if k not in ("seed", "epochs") and not same(v, b.get(k))}))
    return "; ".join(dict.fromkeys(c for c in changes if c)) or "the same"


def evaluation(records: list[dict]) -> str:
    """`facegan evaluate` records of real faces: a machine class's main record in full (its table,
    frontier figure, paired comparisons and training commands); its variants (the same evaluation
    with inpainters trained on other seeds or for longer) as one compact table of their GAN and
    supervised rows, with their comparisons."""
    from facegan.completion.evaluate import comparison_sentences, frontier_sentences

    if not records:
        return missing("facegan evaluate RUN CACHE --split val --out OUT --inpainter DIR")
    out = []
    main = [r for r in records if _is_main(r)]
    for i, rec in enumerate(main):
        ev = rec["results"]
        out += _evaluation_table(ev, "", REALISM_BOTH)
        out += ["", f"![Every row at its hole L1 and realism, ± SE both ways; the rows no other row beats "
                    f"on both joined: the perception–distortion frontier]({FIGURES}/frontier-{i}.png)"]
        out += frontier_sentences(ev.get("frontier")) + comparison_sentences(ev.get("comparisons"))
        out += ["", *_trained_lines(ev.get("trained")), provenance_line(rec, _refresh(rec)), ""]
    variants = [r for r in records if not _is_main(r)]
    if variants:
        rows, said = [], []
        base = next((r["results"] for r in main if r["machine"].get("cpu_class")
                     == variants[0]["machine"].get("cpu_class")), main[0]["results"] if main else None)
        for rec in variants:
            ev = rec["results"]
            seed, epochs = _inpainters_trained(ev)
            gan, nets = _gan_change(ev, base), _inpainter_change(ev, base)
            for name, m in ev["methods"].items():
                if m["family"] == "classical":
                    continue
                rows.append([gan, nets, seed, epochs, f"`{name}`", f"{m['hole_l1'][0]:.4f} ± {m['hole_l1'][1]:.4f}",
                             f"{m['realism_swd']:.0f} ± {m['realism_se']:.0f}",
                             f"{100 * m['realism_c2st']:.1f} ± {100 * m['realism_c2st_se']:.1f}"])
            who = f"the inpainters of seed {seed} ({epochs} epochs" + ("" if nets == "the same" else f"; {nets}") + ")"
            said += [f"With {who}" + ("" if gan == "the same" else f" and the GAN trained with {gan}") + ":",
                     *comparison_sentences(ev.get("comparisons")), ""]
        out += ["The same evaluation on the same faces, with the supervised inpainters trained again "
                "(another seed, longer or with other settings) or the GAN trained with other settings "
                "(the GAN and inpainters columns: what their training changed from the table "
                "above's):", "",
                md_table(["GAN", "inpainters", "inpainters' seed", "epochs", "row", "hole L1",
                          "realism SWD", "realism C2ST (%)"], rows), "", *said]
        out += [provenance_line(rec, _refresh(rec)) for rec in variants] + [""]
    return "\n".join(out)


SPECKLE_STAGES = {"G samples (face)": "G's samples, whole face", "G samples (mouth)": "G's samples, mouth",
                  "search": "`near-blend`'s G(z), before the blend", "search, blended": "`near-blend`'s fill",
                  "fine-tuned, blended": "`finetune-blend`'s fill", "guided, blended": "`inpainter-guided-blend`'s fill",
                  "inpainter, blended": "the inpainter's fill"}


SPECKLE_FACES = {"real": "the real sample", "synthetic": "the quick edition's synthetic faces",
                 "unknown": "a prepared cache"}     # benchmarks/speckle.py's faces_kind; older records: real


def speckle(records: list[dict]) -> str:
    """benchmarks/speckle.py: the top octave's share of each run's samples and fills, as a multiple
    of real faces' (colour alone, then all channels), one column per run; the settings the runs
    share go in the caption, the ones that tell them apart head the columns."""
    if not records:
        return missing("python benchmarks/speckle.py --run RUN --data CACHE")
    out = []
    for rec in records:
        res = rec["results"]
        runs = res["runs"]
        keys = list(dict.fromkeys(k for r in runs for k in r["trained"]))
        differ = [k for k in keys if k not in _MEASURES and len({str(r["trained"].get(k)) for r in runs}) > 1]
        common = recipe_label(runs[0]["trained"]["recipe"],
                              {k: v for k, v in runs[0]["trained"].items() if k not in differ})
        common += "".join(f", {k} {runs[0]['trained'][k]:g}" if isinstance(runs[0]["trained"][k], float)
                          else f", {k} {runs[0]['trained'][k]}"
                          for k in ("width", "epochs", "seed") if k not in differ)
        header = ["stage"] + [settings_text({k: r["trained"].get(k) for k in differ}) or r["label"]
                              for r in runs]
        stages = list(dict.fromkeys(name for r in runs for name in r["stages"]))
        cell = lambda st: (f"{st['chroma']['ratio']:.1f} ({st['rgb']['ratio']:.2f})" if st else "–")
        rows = [[SPECKLE_STAGES.get(name, name)] + [cell(r["stages"].get(name)) for r in runs]
                for name in stages]
        real = res["real"]
        kind = res.get("faces_kind", "real")
        inpainter = (f" The inpainter: {inpainter_text(res['inpainter_trained'])}."
                     if res.get("inpainter_trained") else "")
        faces = "real faces" if kind == "real" else "the data's own faces"
        out += [f"The share of spectral power at the highest spatial frequencies (at least "
                f"{res['cutoff']:g} cycles per pixel) as a multiple of {faces}': in colour alone "
                f"(Cb, Cr), then in brackets in all three channels; 1 = as much as {faces}. Samples "
                f"and fills of {res['faces']} validation faces of {SPECKLE_FACES[kind]}; the whole "
                f"face is compared with their crops (colour share {real['face']['chroma']['mean']:.4f}), "
                f"the rest with their mouths ({real['mouth']['chroma']['mean']:.4f}). "
                f"{'The GANs' if len(runs) > 1 else 'The GAN'}: `{common}`.{inpainter}",
                "", md_table(header, rows), "", provenance_line(rec), ""]
    return "\n".join(out)


FIGURES = "_generated"     # where the discussion (book/discussion.md) finds the tables' figures


def frontier_figures(out_dir, root=None) -> list[Path]:
    """OUT/frontier-N.png: the perception–distortion frontier of each main evaluation record, and
    OUT/frontier-protocol-N.png of each protocol record whose evaluation has one."""
    import matplotlib.pyplot as plt

    from facegan.completion.frontier import plot_frontier

    drawn = [(f"frontier-{i}.png", rec["results"])
             for i, rec in enumerate(r for r in load("evaluation", root) if _is_main(r))]
    drawn += [(f"frontier-protocol-{i}.png", rec["results"]["evaluation"])
              for i, rec in enumerate(protocol_records(load("protocol", root)))
              if rec["results"]["evaluation"].get("frontier")]
    written = []
    for name, summary in drawn:
        path = Path(out_dir) / name
        plt.close(plot_frontier(summary, path=path))
        written.append(path)
    return written


LOCAL_INPAINTER = "inpainter (L1 + local adversarial)"
TARGET_L1 = 0.075           # the target: hole L1 at most this, realism at least near-blend's


def adversarial(records: list[dict]) -> str:
    """The local-critic inpainter by its adversarial weight, seed and GAN, against `near-blend` on
    the same faces (every protocol and evaluation record that compares the two): its hole L1, the
    paired realism differences, and whether it meets the target (hole L1 at most TARGET_L1 and
    realism at least `near-blend`'s on both scores)."""
    from facegan.gan.spec import TrainSpec

    rows, used = [], []
    for rec in records:
        ev = rec["results"]["evaluation"] if rec["record"] == "protocol" else rec["results"]
        versus = next((c for c in ev.get("comparisons") or []
                       if (c["ours"], c["other"]) == (LOCAL_INPAINTER, "near-blend")), None)
        net = (ev.get("trained") or {}).get(LOCAL_INPAINTER)
        if versus is None or net is None or not versus.get("swd") or not versus.get("c2st"):
            continue
        used.append(rec["file"])
        spec = inpainter_settings(net)
        gan = {k: v for k, v in _given_settings(((ev.get("trained") or {}).get("GAN") or {}).get("command"),
                                                TrainSpec).items() if k not in _MEASURES}
        m = ev["methods"][LOCAL_INPAINTER]
        swd, c2st = versus["swd"], versus["c2st"]
        meets = m["hole_l1"][0] <= TARGET_L1 and swd["difference"] <= 0 and c2st["difference"] <= 0
        rows.append([f"{settings_text(gan) or 'the defaults'} ({rec['machine'].get('cpu_class', '?')})",
                     spec["adv_weight"], spec["seed"], spec["epochs"],
                     f"{m['hole_l1'][0]:.5f} ± {m['hole_l1'][1]:.5f}",    # 0.07503 is above 0.075
                     f"{swd['difference']:+.1f} ± {swd['se']:.1f}",
                     f"{100 * c2st['difference']:+.1f} ± {100 * c2st['se']:.1f}", "yes" if meets else "no"])
    if not rows:
        return missing("facegan evaluate RUN CACHE --split val --out OUT --inpainter DIR "
                       f"--method near-blend --compare '{LOCAL_INPAINTER}:near-blend'")
    rows.sort(key=lambda r: (r[0], r[1], r[2], -r[3]))
    return "\n".join([md_table(["GAN", "adversarial weight", "inpainter's seed", "epochs", "hole L1",
                                "realism SWD minus near-blend's", "C2ST minus near-blend's (points)",
                                f"hole L1 ≤ {TARGET_L1:g} and at least as real on both"],
                               [[*r[:1], f"{r[1]:g}", *r[2:]] for r in rows]), "",
                      "From the records " + ", ".join(f"`{name}`" for name in used)
                      + " (their commands, commits, dates and machines are with their own tables).", ""])


TABLES = {"stability": ("gan_stability", stability), "book_time": ("book_time", book_time),
          "train_profile": ("train_profile", train_profile), "protocol": ("protocol", protocol),
          "evaluation": ("evaluation", evaluation), "speckle": ("speckle", speckle),
          "adversarial": (("protocol", "evaluation"), adversarial)}
README_START = "<!-- book-time table: python -m facegan.report.records readme -->"
README_END = "<!-- end of book-time table -->"


def readme_table(root=None) -> str:
    """The README's table of `make book`'s time per machine class (from the book_time records)."""
    records = load("book_time", root)
    if not records:
        return missing("python benchmarks/book_time.py")
    header, rows = book_time_rows(records)
    built = "; ".join(f"at commit `{r['results'].get('clone_commit', r['commit'])}` on {r['date']} "
                      f"({machine_label(r['machine'], with_kernels=False)})" for r in records)
    return md_table(header, rows) + f"\n\nMeasured from a fresh clone {built}."


def update_readme(root=None) -> bool:
    """Rewrite the README's table between its markers; True when it changed."""
    from facegan.report.edition import find_root

    path = Path(root or find_root()) / "README.md"
    text = path.read_text()
    a, b = text.index(README_START) + len(README_START), text.index(README_END)
    new = text[:a] + "\n" + readme_table(root) + "\n" + text[b:]
    if new != text:
        path.write_text(new)
    return new != text


def render(name: str, root=None) -> str:
    """Table `name` (a key of TABLES) as Markdown, from the records in this clone."""
    kinds, make = TABLES[name]
    return make([r for kind in ((kinds,) if isinstance(kinds, str) else kinds) for r in load(kind, root)])


def write_generated(out_dir, root=None) -> list[Path]:
    """Every table as OUT/NAME.md (what the discussion includes); returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        path = out / f"{name}.md"
        path.write_text(render(name, root) + "\n")
        written.append(path)
    return written + frontier_figures(out, root)



if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["readme"]:
        raise SystemExit("usage: python -m facegan.report.records readme   (rewrites README.md's time table)")
    print("README.md " + ("updated" if update_readme() else "already up to date"))
