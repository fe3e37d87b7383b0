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


def run(args) -> int:
    from facegan import __version__
    from facegan.device import device_info, nvidia_smi
    from facegan.errors import FaceganError

    info = device_info()
    print(f"facegan     {__version__}")
    print(info.describe())
    smi = nvidia_smi()
    print(f"nvidia-smi  {smi or 'not found'}")
    if args.require_gpu and not info.gpus:
        raise FaceganError("TensorFlow sees no GPU" + (
            ": an NVIDIA driver is loaded, so install the CUDA libraries TensorFlow needs "
            "(pip install -e \".[gpu]\") and run `facegan --verbose info` to see why CUDA failed"
            if info.nvidia_device else ": no NVIDIA driver on this machine (`nvidia-smi` is missing)"))
    return 0
