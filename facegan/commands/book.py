"""`facegan book` sub-commands (placeholder until implemented)."""


def register(sub):
    pass
