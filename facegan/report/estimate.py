"""How long `facegan book` will take here, said before it starts.

The estimate scales a recorded build of the same profile (`benchmarks/book_time.py`'s record,
which keeps each notebook's seconds and the training steps' milliseconds measured on that machine)
by how much slower or faster this machine's training steps measured (`facegan.gan.speed`). When a
GAN's step has changed since the record (a new setting), it estimates the training from the steps
measured here and the rest of the build in the record's proportion of rest to training. Without a
record it estimates the training alone, from the measured steps and the profile's sizes.
"""
from __future__ import annotations


def step_ratio(record: dict, choice: dict, specs: dict) -> float | None:
    """This machine's training step time over the recorded machine's, averaged over the GANs;
    None unless the record measured every GAN this build trains (a GAN whose step costs
    changed since, a new setting say, would be scaled by the others' ratio: a wrong promise)."""
    from facegan.gan.speed import spec_key

    ref = record["results"].get("step_ms") or {}
    here = (choice or {}).get("step_ms") or {}
    ratios = []
    for spec in specs.values():
        key = spec_key(spec)
        # records made before the key named every setting that changes a step's cost keep only
        # its first part (recipe, width, batch, precision), for the same profile's spec
        recorded = ref.get(key, ref.get(key[:len(_named_part(spec))]))
        if key not in here or not recorded:
            return None
        ratios.append(here[key] / recorded)
    return sum(ratios) / len(ratios) if ratios else None


def _named_part(spec) -> str:
    s = spec.settings()
    return f"{s['recipe']}-w{s['width']:g}-b{s['batch_size']}-{s['precision']}"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def estimate_book(cfg: dict, specs: dict, choice: dict | None) -> str | None:
    """One line for the start of a build: the expected time on this machine, or None when nothing
    was measured here (a GPU, or a oneDNN setting the user chose)."""
    from facegan.device import cpu_class
    from facegan.report.records import load, machine_label

    if not choice:
        return None
    records = [r for r in load("book_time") if r["results"].get("profile") == cfg["name"]]
    here = cpu_class()
    training = training_seconds(specs, choice.get("step_ms", {}))
    # a record of this CPU class, scaled by its steps or else in its proportion of rest to training,
    # before another class's (whose step ratios differ between GANs: AMX speeds up one more)
    for same_class in (True, False):
        group = [r for r in records if (r["machine"].get("cpu_class") == here) == same_class]
        for record in group:
            ratio = step_ratio(record, choice, specs)
            if ratio is not None:
                res = record["results"]
                return (f"expected time on this machine: about {minutes(ratio * res['build_s'])} (the "
                        f"{cfg['name']} profile took {minutes(res['build_s'])} on "
                        f"{machine_label(record['machine'])}, whose training steps measured {ratio:.2g}x "
                        f"as fast as here)")
        for record in group:
            share = build_per_training(record, specs)
            if training is not None and share is not None:
                return (f"expected time on this machine: about {minutes(training * share)} (the GANs' "
                        f"training from the steps measured here, {minutes(training)}, and the rest in "
                        f"proportion, as in the {cfg['name']} build on {machine_label(record['machine'])}: "
                        f"{share:.2f}x its training)")
    return training_estimate(cfg, specs, choice)


def training_seconds(specs: dict, step_ms: dict) -> float | None:
    """The GANs' training time from steps in milliseconds keyed by `spec_key`; None unless every
    GAN has one and the profile caps its batches."""
    from facegan.gan.speed import spec_key

    seconds = 0.0
    for spec in specs.values():
        ms = step_ms.get(spec_key(spec))
        if ms is None or spec.max_batches is None:
            return None
        seconds += ms / 1000 * spec.max_batches * spec.epochs
    return seconds


def build_per_training(record: dict, specs: dict) -> float | None:
    """A recorded build's time over its GANs' training time (its recorded steps times the
    profile's steps), each recorded step matched to this build's GAN of the same recipe, width,
    batch and precision; None unless each GAN matches exactly one recorded step."""
    res = record["results"]
    ref = res.get("step_ms") or {}
    matched = {}
    for role, spec in specs.items():
        part = _named_part(spec)
        keys = [k for k in ref if k == part or k.startswith(part + "-")]
        if len(keys) != 1 or spec.max_batches is None:
            return None
        matched[role] = ref[keys[0]] / 1000 * spec.max_batches * spec.epochs
    if len(set(ref)) != len(matched) or not res.get("build_s"):
        return None
    return res["build_s"] / sum(matched.values())


def training_estimate(cfg: dict, specs: dict, choice: dict) -> str | None:
    """The GANs' training alone, from the measured steps, when the profile caps the batches."""
    seconds = training_seconds(specs, choice.get("step_ms", {}))
    if seconds is None:
        return None
    return (f"expected time on this machine: the GANs' training alone about {minutes(seconds)} "
            f"(from the steps measured here; no recorded {cfg['name']} build to scale the rest from)")
