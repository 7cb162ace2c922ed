"""Encryption at rest of personal fields, and the keyed hash that finds an ID number.

Ciphertext token: ``<key id>$<algorithm>$<base64(nonce ‖ ciphertext ‖ tag)>``. The key id and
the algorithm travel with every value, so keys can be rotated: new values are written with the
current key (the first of REGISTRY_KEYS) and old ones stay readable while their key is listed,
until `fengqiao registry rotate_keys` re-encrypts them (see docs/registry-keys.md).

Algorithms: SM4-GCM (``sm4gcm``, GB/T 32907, the default) or AES-GCM (``aesgcm``), both
authenticated, chosen by REGISTRY_CIPHER. ID numbers are searched through HMAC-SM3 when
OpenSSL offers SM3 (``hashlib``), otherwise HMAC-SHA256 (`HASH_NAME` says which is in use).
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fengqiao.core import caches

ALGORITHMS = ("sm4gcm", "aesgcm")
NONCE = 12
TAG = 16


def _sm3_available() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


HASH_NAME = "sm3" if _sm3_available() else "sha256"


class DecryptionError(Exception):
    """A value whose key is not configured any more, or that was tampered with."""


@dataclass(frozen=True)
class Keyring:
    current: str  # key id new values are written with
    algorithm: str
    keys: dict[str, bytes]
    hash_key: bytes


_ring: Keyring | None = None


def _clear() -> None:
    global _ring
    _ring = None


caches.register("registry.keyring", _clear)


def parse_keys(text: str) -> dict[str, bytes]:
    """REGISTRY_KEYS: ``id=base64key,id2=base64key`` (the first writes; all read)."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition("=")
        kid = kid.strip()
        if not sep or not kid or "$" in kid:
            raise ImproperlyConfigured("REGISTRY_KEYS: write id=base64key,id2=base64key")
        key = base64.b64decode(b64.strip())
        if len(key) not in (16, 32):
            raise ImproperlyConfigured(f"REGISTRY_KEYS: key {kid} must be 16 or 32 bytes")
        keys[kid] = key
    return keys


def keyring() -> Keyring:
    global _ring
    if _ring is None:
        keys = parse_keys(settings.REGISTRY_KEYS)
        if not keys:
            # Development and tests only (settings refuse this outside DEBUG): a key derived
            # from SECRET_KEY, so a fresh checkout works without configuration.
            keys = {
                "dev": hashlib.sha256(b"registry:" + settings.SECRET_KEY.encode()).digest()[:16]
            }
        algorithm = settings.REGISTRY_CIPHER
        if algorithm not in ALGORITHMS:
            raise ImproperlyConfigured(f"REGISTRY_CIPHER must be one of {', '.join(ALGORITHMS)}")
        current = next(iter(keys))
        if algorithm == "sm4gcm" and len(keys[current]) != 16:
            raise ImproperlyConfigured("REGISTRY_KEYS: SM4 needs a 16-byte current key")
        hash_key = (
            base64.b64decode(settings.REGISTRY_HASH_KEY)
            if settings.REGISTRY_HASH_KEY
            else hashlib.sha256(b"registry-hash:" + settings.SECRET_KEY.encode()).digest()
        )
        _ring = Keyring(current, algorithm, keys, hash_key)
    return _ring


def _seal(algorithm: str, key: bytes, plain: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    if algorithm == "aesgcm":
        return nonce + AESGCM(key).encrypt(nonce, plain, None)
    enc = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce)).encryptor()
    body = enc.update(plain) + enc.finalize()
    return nonce + body + enc.tag


def _open(algorithm: str, key: bytes, blob: bytes) -> bytes:
    nonce, rest = blob[:NONCE], blob[NONCE:]
    try:
        if algorithm == "aesgcm":
            return AESGCM(key).decrypt(nonce, rest, None)
        if algorithm == "sm4gcm":
            body, tag = rest[:-TAG], rest[-TAG:]
            dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, tag)).decryptor()
            return dec.update(body) + dec.finalize()
    except (InvalidTag, ValueError) as e:
        raise DecryptionError("ciphertext does not authenticate") from e
    raise DecryptionError(f"unknown algorithm {algorithm}")


def encrypt(value: str) -> str:
    """The token for `value` under the current key ("" stays "")."""
    if not value:
        return ""
    ring = keyring()
    blob = _seal(ring.algorithm, ring.keys[ring.current], value.encode())
    return f"{ring.current}${ring.algorithm}${base64.b64encode(blob).decode()}"


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        kid, algorithm, b64 = token.split("$", 2)
        blob = base64.b64decode(b64)
    except ValueError as e:
        raise DecryptionError("not a ciphertext token") from e
    key = keyring().keys.get(kid)
    if key is None:
        raise DecryptionError(f"key {kid} is not configured (REGISTRY_KEYS)")
    return _open(algorithm, key, blob).decode()


def key_id(token: str) -> str:
    return token.split("$", 1)[0] if token else ""


def normalise_id(value: str) -> str:
    return "".join(value.split()).upper()


def id_hash(value: str) -> str:
    """The keyed hash of an ID number, for exact search ("" for none)."""
    value = normalise_id(value or "")
    if not value:
        return ""
    return hmac.new(keyring().hash_key, value.encode(), HASH_NAME).hexdigest()


class Encrypted:
    """A plain-text attribute stored encrypted in `column` (and hashed in `hash_field`)."""

    def __init__(self, column: str, *, hash_field: str = ""):
        self.column = column
        self.hash_field = hash_field

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return decrypt(getattr(obj, self.column))

    def __set__(self, obj: Any, value: str | None) -> None:
        value = (value or "").strip()
        if self.hash_field:
            value = normalise_id(value)
            setattr(obj, self.hash_field, id_hash(value))
        setattr(obj, self.column, encrypt(value))
