"""facegan: reproduce "Generation and Completion of Human Face Images" (2018) with Keras 3.

The package is grouped by stage, and imports flow one way: data -> gan -> completion -> report
(`facegan.cli` drives them all). `facegan.images` (pixel conversion, image files, grids) and
`facegan.errors` are shared by every stage.
"""
import os

from facegan.errors import FaceganError

# the environment's kernel settings as the process started, before facegan chooses its own
# (`facegan.gan.speed`): a record's command repeats these (`facegan.records.this_command`)
START_ENV = {k: os.environ[k] for k in ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA")
             if k in os.environ}

__version__ = "0.1.0"
IMAGE_SIZE = 80      # the study's crop size (pixels)
HOLE_SIZE = 30       # the study's square mouth hole (pixels)
Z_DIM = 100          # length of the generator's input z

__all__ = ["FaceganError", "IMAGE_SIZE", "HOLE_SIZE", "Z_DIM", "__version__"]
