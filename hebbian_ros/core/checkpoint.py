"""Checkpoints of learned state: atomic, versioned, checksummed ``.npz`` files, never pickle.

A save writes a temporary file in the same folder, fsyncs it, keeps the previous checkpoint as
``<name>.prev.npz`` and renames the new one into place, so a crash at any moment leaves at least
one complete checkpoint. A load verifies the format version and a SHA-256 over every array and
falls back to the previous checkpoint when the newest is truncated or corrupt.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_RESERVED = ('__format_version__', '__checksum__')
_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,128}$')


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, of another version or fails its checksum."""


def checkpoint_path(directory: str | os.PathLike, name: str) -> Path:
    """``directory/name.npz``, refusing names that could leave ``directory`` (no separators, no ``..``)."""
    if not _NAME.match(name) or name in ('.', '..') or name.startswith('..'):
        raise ValueError(f'checkpoint name: {name!r} must be 1-128 letters, digits, "_", "-" or "."')
    root = Path(directory).resolve()
    path = (root / f'{name}.npz').resolve()
    if path.parent != root:
        raise ValueError(f'checkpoint name: {name!r} leaves {root}')
    return path


def previous_path(path: Path) -> Path:
    """Where the checkpoint before ``path`` is kept."""
    return path.with_name(path.name[:-len('.npz')] + '.prev.npz')


def checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of ``arrays`` in name order."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(f'{key}|{value.dtype.str}|{value.shape}|'.encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` atomically to ``path``; the checkpoint it replaces becomes ``.prev.npz``."""
    path = Path(path)
    arrays = {key: np.asarray(value) for key, value in arrays.items()}
    for key, value in arrays.items():
        if key in _RESERVED:
            raise ValueError(f'checkpoint: {key!r} is a reserved name')
        if value.dtype.hasobject:
            raise ValueError(f'checkpoint: {key!r} holds Python objects; only plain arrays are stored')
    payload = dict(arrays, __format_version__=np.array(FORMAT_VERSION),
                   __checksum__=np.array(checksum(arrays)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as handle:
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.replace(path, previous_path(path))
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read and verify one checkpoint file.

    :raises CheckpointError: naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise CheckpointError(f'{path}: no such checkpoint') from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise CheckpointError(f'{path}: unreadable ({type(error).__name__}: {error})') from None
    version = arrays.pop('__format_version__', None)
    stored = arrays.pop('__checksum__', None)
    if version is None or stored is None:
        raise CheckpointError(f'{path}: not a hebbian_ros checkpoint (no version or checksum)')
    if int(version) != FORMAT_VERSION:
        raise CheckpointError(f'{path}: format version {int(version)}, this code reads {FORMAT_VERSION}')
    if str(stored) != checksum(arrays):
        raise CheckpointError(f'{path}: checksum mismatch (corrupt)')
    return arrays


def load_latest(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], Path, list[str]]:
    """Load ``path``, or its ``.prev.npz`` when ``path`` is bad; also return the problems met.

    :raises CheckpointError: when neither is usable (the message lists both problems).
    """
    path = Path(path)
    problems = []
    for candidate in (path, previous_path(path)):
        try:
            return load_checkpoint(candidate), candidate, problems
        except CheckpointError as error:
            problems.append(str(error))
    raise CheckpointError('; '.join(problems))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
