"""Pseudonymous authors: a keyed hash replaces every handle before anything is stored.

The key comes from ECOUTE_PSEUDONYM_KEY. Without it, a random key is created once in a
file beside the warehouse, so the same author keeps the same key from run to run (a
changing key would split one author into many). Whoever holds the key can test a guess
of a handle, so keep it as secret as the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "ECOUTE_PSEUDONYM_KEY"


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def author_key(self, platform: str, handle: str) -> str:
        message = f"{platform.casefold()}\x1f{normalise_handle(handle)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:24]

    @classmethod
    def from_environment(cls, key_file: Path) -> Pseudonymizer:
        """The key from the environment, else from `key_file` (created with a random key if absent)."""
        if value := os.environ.get(KEY_ENV):
            return cls(value.encode())
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return cls(key_file.read_text().strip().encode())
