"""`facegan info`: versions and the device TensorFlow will use (the GPU install's check)."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("info", help="print facegan/TensorFlow/CUDA versions and the device in use",
                       description="Print the versions of facegan, Python, TensorFlow (and the CUDA/"
                                   "cuDNN it was built for), Keras, the GPUs TensorFlow sees and the "
                                   "device facegan will train on. Exit status 2 with --require-gpu "
                                   "when TensorFlow sees no GPU.")
    p.add_argument("--require-gpu", action="store_true",
                   help="exit with an error when TensorFlow sees no GPU (for scripts)")
    p.set_defaults(func=run)


def kernels_line() -> str:
    """TensorFlow's CPU kernels here: the user's setting, or what `facegan.gan.speed` measured."""
    import os

    from facegan.gan.speed import ONEDNN, choice_path, load_choice
    from facegan.device import cpu_class

    if ONEDNN in os.environ:
        return f"oneDNN {'on' if os.environ[ONEDNN] == '1' else 'off'} ({ONEDNN} set by you); CPU {cpu_class()}"
    choice = load_choice()
    if not choice:
        return (f"not measured on this machine yet (the first `facegan book` or `facegan train` does); "
                f"CPU {cpu_class()}")
    steps = ", ".join(f"{k} {v:.0f} ms" for k, v in choice["step_ms"].items())
    return (f"oneDNN {'on' if choice['onednn'] == '1' else 'off'}, measured here per training step: "
            f"{steps} ({choice_path()}); CPU {cpu_class()}")


def run(args) -> int:
    from facegan import __version__
    from facegan.device import device_info, nvidia_smi
    from facegan.errors import FaceganError

    info = device_info()
    print(f"facegan     {__version__}")
    print(info.describe())
    smi = nvidia_smi()
    print(f"nvidia-smi  {smi or 'not found'}")
    print(f"kernels     {kernels_line()}")
    if args.require_gpu and not info.gpus:
        raise FaceganError("TensorFlow sees no GPU" + (
            ": an NVIDIA driver is loaded, so install the CUDA libraries TensorFlow needs "
            "(pip install -e \".[gpu]\") and run `facegan --verbose info` to see why CUDA failed"
            if info.nvidia_device else ": no NVIDIA driver on this machine (`nvidia-smi` is missing)"))
    return 0
