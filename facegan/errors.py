"""One exception type for every input problem a user can fix.

The CLI prints its message (no traceback) and exits with status 2, so each message must say
what was wrong, where (file, line or argument) and what to do about it.
"""


class FaceganError(Exception):
    """A problem with the user's input or set-up, explained in plain words."""
