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


class SchedulerLost(HareError):
    """The Dask scheduler of a sweep went away mid-sweep; the finished runs are stored."""


class StoreError(HareError):
    """A results or answers store that cannot be opened, created or written."""


class StoreBusy(StoreError):
    """A store that another process holds: worth waiting for, unlike the other StoreErrors."""


def make_folder_for(path, what: str) -> None:
    """Create the folder that ``path`` goes in, or raise a StoreError naming ``what`` the path
    is for (e.g. "--out report.md") and why the folder cannot be made."""
    from pathlib import Path

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # mkdir's own words ("File exists", "Not a directory") hide that a file is in the way
        raise StoreError(f"cannot create the folder for {what}: a file stands where a folder "
                         "should be") from None
    except OSError as exc:
        raise StoreError(f"cannot create the folder for {what}: {exc.strerror}") from None


class StoreNotCheckpointed(StoreError):
    """A run was committed, but the store could not fold its write-ahead log into the file
    (a full disk): the run is safe, the store needs space before the next write."""
