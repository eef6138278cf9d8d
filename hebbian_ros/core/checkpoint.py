"""Checkpoints of learned state: atomic, versioned, checksummed ``.npz`` files, never pickle.

A save writes a temporary file in the same folder, fsyncs it, keeps the previous checkpoint as
``<name>.prev.npz`` (a second name of the same file) and renames the new one into place, so a crash
at any moment leaves at least one complete checkpoint and ``<name>.npz`` itself never goes missing.
A load verifies the format version and a SHA-256 over every array and falls back to the previous
checkpoint when the newest is truncated, corrupt, of another version, not a hebbian_ros checkpoint,
or refused by the caller (e.g. it holds another node's state).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
_RESERVED = ("__format_version__", "__checksum__")
# A file name without separators; it may not start with "." (no "..", no hidden or temporary files).
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_SUFFIX = ".npz"
_PREVIOUS = ".prev"


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, of another version or fails its checksum."""


def checkpoint_path(directory: str | os.PathLike, name: str) -> Path:
    """``directory/name.npz``, refusing names that could leave ``directory`` (no separators, no ``..``).

    :raises ValueError: for an empty or non-text directory, a name with ``/``, ``\\``, ``..``, a
        leading ``.``, other characters than letters, digits, ``_ - .``, more than 128 characters,
        a name ending in ``.prev`` (that is where the previous checkpoint is kept), or a path that
        resolves (e.g. through a symbolic link) outside ``directory``.
    """
    if not isinstance(directory, (str, os.PathLike)) or not str(os.fspath(directory)):
        raise ValueError(f"checkpoint_dir: expected a non-empty path, got {directory!r}")
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name or name.endswith(_PREVIOUS):
        raise ValueError(
            f'checkpoint name: {name!r} must be 1-128 letters, digits, "_", "-" or "." '
            '(not first), without "..", not ending in ".prev"'
        )
    try:
        root = Path(directory).resolve()
        path = (root / f"{name}{_SUFFIX}").resolve()
    except (OSError, RuntimeError, ValueError) as error:
        raise ValueError(f"checkpoint_dir: {directory!r} cannot be resolved ({error})") from None
    if path.parent != root:
        raise ValueError(f"checkpoint name: {name!r} leaves {root}")
    return path


def previous_path(path: str | os.PathLike) -> Path:
    """Where the checkpoint before ``path`` is kept (``<name>.prev.npz``)."""
    path = Path(path)
    stem = path.name[: -len(_SUFFIX)] if path.name.endswith(_SUFFIX) else path.name
    return path.with_name(stem + _PREVIOUS + _SUFFIX)


def rejected_path(path: str | os.PathLike) -> Path:
    """Where a checkpoint that failed to load is moved aside (hidden: no checkpoint name starts with ".")."""
    path = Path(path)
    return path.with_name(f".{path.name}.rejected")


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of ``arrays`` in name order."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _plain_arrays(arrays: Any) -> dict[str, np.ndarray]:
    """``arrays`` as name -> numeric/text array, or ``ValueError`` naming what cannot be stored."""
    if not isinstance(arrays, Mapping):
        raise ValueError(f"checkpoint: expected a mapping of names to arrays, got {type(arrays).__name__}")
    plain = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f'checkpoint: name {key!r} must be 1-128 letters, digits, "_", "-" or "."')
        if key in _RESERVED:
            raise ValueError(f"checkpoint: {key!r} is a reserved name")
        try:
            value = np.asarray(value)
        except Exception as error:  # ragged sequences, objects refusing conversion
            raise ValueError(f"checkpoint: {key!r} is not an array ({type(error).__name__}: {error})") from None
        if value.dtype.hasobject or value.dtype.kind not in "biufcUS":
            raise ValueError(f"checkpoint: {key!r} has dtype {value.dtype}; only plain arrays are stored")
        plain[key] = value
    return plain


def save_checkpoint(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` atomically to ``path``; the checkpoint it replaces becomes ``.prev.npz``.

    Everything is validated before anything is written; on any error the files already on disk
    are left as they were (the temporary file is removed). ``path`` never goes missing, not even
    between two renames: the old checkpoint becomes ``.prev.npz`` as a second name of the same file
    (a hard link; a copy where links are not supported), and only then is ``path`` replaced, so a
    reader at any instant finds the old or the new checkpoint.
    """
    path = Path(path)
    arrays = _plain_arrays(arrays)
    payload = dict(arrays, __format_version__=np.array(FORMAT_VERSION), __checksum__=np.array(checksum(arrays)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            _keep_as_previous(path)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _keep_as_previous(path: Path) -> None:
    """Make ``path``'s current file also ``.prev.npz`` (atomically), leaving ``path`` in place."""
    fd, second = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.unlink(second)  # a unique free name for the link
        try:
            os.link(path, second)
        except OSError:  # no hard links on this file system
            shutil.copyfile(path, second)
        os.replace(second, previous_path(path))
    except BaseException:
        Path(second).unlink(missing_ok=True)
        raise


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files a save of ``path`` left behind when its process was killed mid-write."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def remove_stale_temporaries(path: str | os.PathLike) -> int:
    """Delete what :func:`stale_temporaries` finds; return how many files went.

    Only call this when no other process saves to ``path`` (a node does it once on start).
    """
    removed = 0
    for tmp in stale_temporaries(path):
        try:
            tmp.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def load_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read and verify one checkpoint file.

    :raises CheckpointError: naming the file and what is wrong with it (missing, not an npz
        archive, truncated or otherwise unreadable, not a hebbian_ros checkpoint, another format
        version, checksum mismatch).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
        if magic.startswith(b"\x93NUMPY"):
            raise CheckpointError(f"{path}: not a hebbian_ros checkpoint (a single .npy array, not an .npz archive)")
        if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise CheckpointError(
                f"{path}: unreadable (not an .npz archive: {'empty file' if not magic else f'starts with {magic!r}'})"
            )
        data = np.load(path, allow_pickle=False)
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except Exception as error:  # noqa: BLE001 - any failure to read is "unreadable", never a crash
        raise CheckpointError(f"{path}: unreadable ({type(error).__name__}: {error})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise CheckpointError(f"{path}: not a hebbian_ros checkpoint (a single .npy array, not an .npz archive)")
    try:
        with data:
            arrays = {key: data[key] for key in data.files}
    except Exception as error:  # noqa: BLE001 - truncated members, CRC errors, bad headers
        raise CheckpointError(f"{path}: unreadable ({type(error).__name__}: {error})") from None
    version = arrays.pop("__format_version__", None)
    stored = arrays.pop("__checksum__", None)
    if version is None or stored is None:
        raise CheckpointError(f"{path}: not a hebbian_ros checkpoint (no version or checksum)")
    if version.shape != () or version.dtype.kind not in "iu":
        raise CheckpointError(f"{path}: not a hebbian_ros checkpoint (format version {version!r})")
    if int(version) != FORMAT_VERSION:
        raise CheckpointError(f"{path}: format version {int(version)}, this code reads {FORMAT_VERSION}")
    if stored.shape != () or stored.dtype.kind != "U" or str(stored) != checksum(arrays):
        raise CheckpointError(f"{path}: checksum mismatch (corrupt)")
    return arrays


def load_latest(
    path: str | os.PathLike, accept: Callable[[dict[str, np.ndarray]], Any] | None = None
) -> tuple[dict[str, np.ndarray], Path, list[str]]:
    """Load ``path``, or its ``.prev.npz`` when ``path`` is bad; also return the problems met.

    :param accept: called with each loaded checkpoint in turn (e.g. a ``load_state_dict`` that
        validates before it changes anything); when it raises, that checkpoint counts as bad
        and the previous one is tried.
    :raises CheckpointError: when neither is usable (the message lists both problems).
    """
    path = Path(path)
    problems = []
    for candidate in (path, previous_path(path)):
        try:
            arrays = load_checkpoint(candidate)
        except CheckpointError as error:
            problems.append(str(error))
            continue
        if accept is not None:
            try:
                accept(arrays)
            except Exception as error:  # noqa: BLE001 - a refused state is a bad checkpoint
                problems.append(f"{candidate}: refused ({type(error).__name__}: {error})")
                continue
        return arrays, candidate, problems
    raise CheckpointError("; ".join(problems))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
