"""Encryption of Joulo tokens at rest (Fernet), with key rotation and a generated key file."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"


class KeyFileError(Exception):
    """The generated key file beside the database cannot be created or read, or is damaged."""


class TokenUndecryptable(Exception):
    """No configured key decrypts a stored token (the key was changed or lost)."""


class TokenCipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is required")
        self._newest = Fernet(keys[0])
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, token: str) -> bytes:
        """Encrypt a token for storage."""
        return self._fernet.encrypt(token.encode())

    def decrypt(self, blob: bytes) -> str:
        """Decrypt a stored token."""
        try:
            return self._fernet.decrypt(blob).decode()
        except InvalidToken as err:
            raise TokenUndecryptable("no configured key decrypts this token") from err

    def is_current(self, blob: bytes) -> bool:
        """Whether a stored token is encrypted with the newest key already."""
        try:
            self._newest.decrypt(blob)
        except InvalidToken:
            return False
        return True

    def rotate(self, blob: bytes) -> bytes:
        """Re-encrypt a stored token with the first (newest) key."""
        try:
            return self._fernet.rotate(blob)
        except InvalidToken as err:
            raise TokenUndecryptable("no configured key decrypts this token") from err


def token_fingerprint(token: str) -> str:
    """A one-way id for "the same Joulo account" (the API exposes no account id)."""
    return hashlib.sha256(b"joulo-token:" + token.encode()).hexdigest()


def load_or_create_key_file(directory: Path) -> str:
    """Read the key file beside the database, creating it (mode 0600) on first start.

    Raises KeyFileError when the file cannot be created or read, or holds no valid key.
    """
    path = directory / KEY_FILE_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_key_file(path)
        key = Fernet.generate_key().decode()
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
    except OSError as err:
        raise KeyFileError(f"cannot read or create {path}: {err.strerror or err}") from err
    log.warning(
        "ENCRYPTION_KEY is not set: generated a new key in %s. Back it up with the database; "
        "without it stored tokens cannot be read.",
        path,
    )
    return key


def check_key_file(directory: Path) -> None:
    """Refuse a damaged or unreadable key file beside the database; creates nothing."""
    path = directory / KEY_FILE_NAME
    try:
        if path.exists() or path.is_symlink():
            _read_key_file(path)
    except OSError as err:
        raise KeyFileError(f"cannot read {path}: {err.strerror or err}") from err


def _read_key_file(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
        Fernet(key)  # fail early and clearly on a damaged file
    except ValueError as err:  # not ASCII, or not a Fernet key
        raise KeyFileError(
            f"{path} does not hold a valid key; restore it from your backup"
        ) from err
    return key
