"""Named secrets that can be rotated: `<id>:<secret>[,<id>:<secret>…]`, the first one current.

The current key signs, hashes or encrypts; every key in the ring still verifies or decrypts, so a
key is rotated by putting a new one first and dropping the old one once nothing uses it any more.
What a key produced records the key's id (`<id>:<digest>`), so the right key is picked without
guessing and an operator can count what still depends on an old key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class KeyringError(ValueError):
    """A malformed keyring setting. The message names ids and positions, never a secret."""


@dataclass(frozen=True)
class Keyring:
    ids: tuple[str, ...]
    _secrets: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, *, setting: str) -> Keyring:
        ids: list[str] = []
        secrets: list[str] = []
        for position, entry in enumerate((text or "").split(","), start=1):
            entry = entry.strip()
            if not entry:
                continue
            key_id, sep, secret = entry.partition(":")
            key_id, secret = key_id.strip(), secret.strip()
            if not sep or not secret:
                raise KeyringError(f"{setting}: entry {position} must look like <key id>:<secret>")
            if not KEY_ID_PATTERN.match(key_id):
                raise KeyringError(f"{setting}: entry {position} has an invalid key id "
                                   "(1-16 letters, digits, '-' or '_')")
            if key_id in ids:
                raise KeyringError(f"{setting}: key id {key_id!r} appears twice")
            ids.append(key_id)
            secrets.append(secret)
        if not ids:
            raise KeyringError(f"{setting}: needs at least one <key id>:<secret>")
        return cls(tuple(ids), tuple(secrets))

    @property
    def current_id(self) -> str:
        return self.ids[0]

    @property
    def current(self) -> str:
        return self._secrets[0]

    def get(self, key_id: str) -> str | None:
        try:
            return self._secrets[self.ids.index(key_id)]
        except ValueError:
            return None

    def items(self) -> list[tuple[str, str]]:
        return list(zip(self.ids, self._secrets, strict=True))

    def __repr__(self) -> str:  # settings get printed and logged: ids only
        return f"Keyring(ids={list(self.ids)!r})"

    __str__ = __repr__
