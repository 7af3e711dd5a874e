"""Safe on-disk model format: JSON metadata plus an .npz of numeric arrays, never pickle."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT_NAME = "botdesk-intent-model"
FORMAT_VERSION = 1
METADATA_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


class ModelFormatError(ValueError):
    """A model directory is missing, corrupt, or written in a format this code cannot read."""


def _atomic_write(path: Path, data: bytes) -> None:
    """Write a file via a temporary sibling and a rename, so readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_model(directory: Path, metadata: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> None:
    """Store metadata and arrays in directory, tagging them with the format version."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise TypeError(f"array {key!r} has dtype {array.dtype}; only numbers are stored")
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    payload = buffer.getvalue()
    _atomic_write(directory / ARRAYS_FILE, payload)
    digest = hashlib.sha256(payload).hexdigest()
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "arrays_sha256": digest,
        **metadata,
    }
    # The metadata is written last, so a directory whose save was interrupted fails to load
    # (checksum mismatch or missing file) instead of loading mismatched parts.
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    _atomic_write(directory / METADATA_FILE, text.encode("utf-8"))


def read_model(directory: Path) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Load metadata and arrays, refusing unknown formats and versions with a clear error."""
    metadata_path = directory / METADATA_FILE
    try:
        document = json.loads(metadata_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ModelFormatError(f"{metadata_path} does not exist") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFormatError(f"{metadata_path} is not valid JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{metadata_path} is not a {FORMAT_NAME} file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{directory} uses model format version {version!r}; this code reads only version "
            f"{FORMAT_VERSION}. Retrain the model with this version of botdesk."
        )
    try:
        raw = (directory / ARRAYS_FILE).read_bytes()
    except FileNotFoundError as error:
        raise ModelFormatError(f"{directory / ARRAYS_FILE} does not exist") from error
    if hashlib.sha256(raw).hexdigest() != document.get("arrays_sha256"):
        raise ModelFormatError(f"{directory / ARRAYS_FILE} does not match its checksum")
    try:
        # allow_pickle=False makes numpy refuse object arrays, the only way an .npz can carry code.
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ModelFormatError(f"{directory / ARRAYS_FILE} cannot be read: {error}") from error
    return document, arrays
