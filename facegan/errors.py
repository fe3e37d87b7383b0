"""One exception type for every input problem a user can fix.

The CLI prints its message (no traceback) and exits with status 2, so each message must say
what was wrong, where (file, line or argument) and what to do about it. Library code names the
*setting* (``epochs``, ``limit``), never a command-line flag: notebooks call it too. An error about
one setting passes its name as ``setting``, and the CLI words it as the flag the user typed.
"""
from __future__ import annotations


class FaceganError(Exception):
    """A problem with the user's input or set-up, explained in plain words.

    `setting`: the name of the setting the message is about (it starts the message), or None."""

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting

    def worded_as(self, flag: str) -> str:
        """The message with its setting's name replaced, where it starts the message, by `flag`."""
        text = str(self)
        if self.setting and text.startswith(self.setting):
            return flag + text[len(self.setting):]
        return text
