"""The base of every error whose message is written for the person using Storyfit."""


class StoryfitError(Exception):
    """A problem the user can act on; ``str(error)`` is a clear sentence saying what to do."""
