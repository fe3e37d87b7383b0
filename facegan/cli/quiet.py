"""Keep TensorFlow's C++ start-up chatter off the terminal, and every real error on it.

TensorFlow writes its start-up lines (``Could not find cuda drivers``, ``failed call to cuInit``,
the oneDNN notice) from C++ *before* its logging is initialised, so TF_CPP_MIN_LOG_LEVEL cannot
hide them (measured with TensorFlow 2.21: the pre-init lines print at every level, the cuInit
error at levels 0-2). So the CLI points file descriptor 2 - where C++ code and child processes
write - at a pipe, drops exactly those known lines and passes everything else through. Python's own
``sys.stderr`` writes to the real terminal (progress bars still see a tty) through the same line
filter, because papermill relays what a notebook kernel's TensorFlow printed there.

Nothing is filtered with ``facegan --verbose``, ``FACEGAN_VERBOSE=1`` or ``TF_CPP_MIN_LOG_LEVEL=0``.
On a machine with an NVIDIA driver the CUDA lines are diagnostics and are never dropped.
"""
from __future__ import annotations

import io
import os
import re
import sys
import threading

_ALWAYS = [
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"port\.cc:\d+\] oneDNN custom operations are on",
    r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized",
    r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags",
    r"Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin",
    r"computation_placer\.cc:\d+\] computation placer already registered",
    # Grappler could not fuse a LeakyReLU gradient into the convolution before it (the C2ST
    # classifier's): an optimisation skipped, the graph runs unfused and correct
    r"meta_optimizer\.cc:\d+\] remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout "
    r"'[^']*LeakyReluGrad' exist for missing node",
    # a local papermill kernel (ipykernel >= 7) warns that it talks over TCP on localhost
    r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption",
]
_NO_GPU = [
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, GPU will not be used",
    r"cuda_platform\.cc:\d+\] failed call to cuInit: .*(UNKNOWN ERROR \(303\)|CUDA_ERROR_NO_DEVICE)",
    r"cuda_executor\.cc:\d+\] failed call to cuInit",
]


def noise_pattern(gpu_machine: bool) -> re.Pattern:
    return re.compile("|".join(_ALWAYS + ([] if gpu_machine else _NO_GPU)))


def verbose_requested(flag: bool = False) -> bool:
    return (flag or os.environ.get("FACEGAN_VERBOSE", "").lower() not in ("", "0", "false", "no")
            or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0")


def _writes_to_fd2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):   # io.UnsupportedOperation is an OSError
        return False


class StartupFilter:
    """Drop TensorFlow's known start-up lines from fd 2 while installed (a context manager)."""

    def __init__(self, gpu_machine: bool | None = None):
        if gpu_machine is None:
            from facegan.device import has_nvidia_device
            gpu_machine = has_nvidia_device()
        self.pattern = noise_pattern(gpu_machine)
        self.dropped = 0

    def __enter__(self):
        sys.stderr.flush()
        try:
            self._saved = os.dup(2)
        except OSError:                  # no stderr at all (a daemon): nothing to filter
            self._saved = None
            return self
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._old_stderr = target = sys.stderr
        if _writes_to_fd2(sys.stderr):
            # Python writes straight to the real stderr (keeps isatty for progress bars); a
            # sys.stderr that is not fd 2 (pytest's capture) stays the target
            target = io.TextIOWrapper(os.fdopen(os.dup(self._saved), "wb", buffering=0),
                                      encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                                      errors="backslashreplace", line_buffering=True)
        # Python-level writes are filtered too: papermill relays a kernel's start-up lines there
        sys.stderr = FilteredStream(target, self)
        self._thread = threading.Thread(target=self._pump, args=(read_fd, os.dup(self._saved)),
                                        daemon=True)
        self._thread.start()
        return self

    def is_noise(self, line: str) -> bool:
        if self.pattern.search(line):
            self.dropped += 1
            return True
        return False

    def _pump(self, read_fd: int, out_fd: int) -> None:
        with os.fdopen(read_fd, "rb") as pipe, os.fdopen(out_fd, "wb", buffering=0) as out:
            for raw in pipe:            # line by line until every writer has closed
                if not self.is_noise(raw.decode("utf-8", "replace")):
                    out.write(raw)

    def __exit__(self, *exc):
        if self._saved is None:
            return False
        try:
            sys.stderr.flush()
        finally:
            # the filtered stream stays open: logging handlers made meanwhile may still hold it
            sys.stderr = self._old_stderr
        os.dup2(self._saved, 2)          # closes our write end of the pipe: the pump sees EOF
        self._thread.join(timeout=2)     # (unless a child process still holds it)
        os.close(self._saved)
        return False


class FilteredStream(io.TextIOBase):
    """A text stream that drops the known start-up lines in what is written to it, chunk by
    chunk (a progress bar's partial line passes at once)."""

    def __init__(self, stream, noise: StartupFilter):
        self.stream, self.noise = stream, noise
        self._open_drop = False       # a dropped line whose newline comes in the next write (print)

    def write(self, text: str) -> int:
        n = len(text)
        if self._open_drop and text.startswith("\n"):
            text = text[1:]
        self._open_drop = False
        kept = []
        for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
            if self.noise.is_noise(line):
                self._open_drop = not line.endswith("\n")
            else:
                kept.append(line)
        if kept:
            self.stream.write("".join(kept))
        return n

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")

    @property
    def errors(self):
        return getattr(self.stream, "errors", "strict")
