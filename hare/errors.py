"""Errors raised at the engine's edges, each with a message meant for a person to read.

Every error the command line and the app show to a user derives from :class:`HareError`; the
command line prints its message on one line and exits non-zero.
"""


class HareError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class ConfigError(HareError, ValueError):
    """An invalid run setting: unknown name, budget not divisible by iterations, ..."""


class DataFileError(HareError, FileNotFoundError):
    """A data file that is missing, cannot be downloaded, or fails its checksum."""


class InputError(HareError, ValueError):
    """An invalid profile or feature value entered by a person."""


class StoreError(HareError):
    """A results or answers store that cannot be opened, created or written."""
