"""Encryption at rest: a three-level key hierarchy with AES-256-GCM.

    master key (env or key file, never in the database)
      └─ wraps one key per tenant        (tenants.wrapped_key)
           └─ wraps one key per conversation (conversations.wrapped_key)
                └─ encrypts that conversation's message bodies and form data

Erasing a conversation deletes its wrapped key first ("crypto-shredding"): every copy of its
ciphertext, in the WAL, a replica or last night's backup, is then noise. Rotating the master key
re-wraps the tenant keys (and re-seals staff TOTP secrets, below); no message is re-encrypted.

Every sealed value carries associated data naming what it is and where it belongs (the
conversation id, the message's sequence number), so a ciphertext moved to another row or another
conversation fails authentication instead of decrypting into the wrong place.

Staff TOTP secrets are sealed with a key derived from the master key (HKDF, its own label), not
with a tenant key: a staff account spans tenants.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class CryptoError(Exception):
    """Base for key-hierarchy failures."""


class KeyDestroyed(CryptoError):
    """The data key was shredded: the data it protected is gone for good."""


class DecryptionFailed(CryptoError):
    """Ciphertext, key or associated data do not match (tampering, or the wrong key)."""


class MasterKeyMismatch(CryptoError):
    """The configured master key is not the one this tenant's key was wrapped with."""


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate `plaintext`, bound to `aad`."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a value made by `seal`; raises DecryptionFailed on any mismatch."""
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
        raise DecryptionFailed("not a botdesk v1 ciphertext")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionFailed("ciphertext failed authentication") from None


def master_key_id(master_key: bytes) -> str:
    """A public fingerprint of the master key, stored beside what it wraps."""
    return hmac.new(master_key, b"botdesk/master-key-id/v1", hashlib.sha256).hexdigest()[:16]


def _tenant_aad(tenant_id: uuid.UUID) -> bytes:
    return b"botdesk/tenant-key/v1|" + tenant_id.bytes


def _conversation_aad(conversation_id: uuid.UUID) -> bytes:
    return b"botdesk/conversation-key/v1|" + conversation_id.bytes


def message_aad(conversation_id: uuid.UUID, seq: int) -> bytes:
    """Binds a message body to its conversation and position."""
    return b"botdesk/message/v1|" + conversation_id.bytes + seq.to_bytes(8, "big")


def bot_state_aad(conversation_id: uuid.UUID) -> bytes:
    return b"botdesk/bot-state/v1|" + conversation_id.bytes


def form_aad(conversation_id: uuid.UUID) -> bytes:
    """Binds pre-chat form data (or an offline message) to its conversation."""
    return b"botdesk/form/v1|" + conversation_id.bytes


def note_aad(conversation_id: uuid.UUID) -> bytes:
    return b"botdesk/note/v1|" + conversation_id.bytes


def connector_secrets_aad(tenant_id: uuid.UUID) -> bytes:
    """Binds an order connector's sealed secrets (under the tenant key) to their tenant."""
    return b"botdesk/connector-secrets/v1|" + tenant_id.bytes


def _totp_aad(user_id: uuid.UUID) -> bytes:
    return b"botdesk/totp-secret/v1|" + user_id.bytes


class KeyRing:
    """Wraps and unwraps tenant and conversation keys under one master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise ValueError("the master key must be 32 bytes")
        self._master = master_key
        self.master_key_id = master_key_id(master_key)

    def new_tenant_key(self, tenant_id: uuid.UUID) -> bytes:
        """A fresh tenant key, returned wrapped by the master key."""
        return seal(self._master, os.urandom(KEY_BYTES), _tenant_aad(tenant_id))

    def tenant_key(self, tenant_id: uuid.UUID, wrapped: bytes, wrapped_by: str) -> bytes:
        if wrapped_by != self.master_key_id:
            raise MasterKeyMismatch(
                "this tenant's key was wrapped by another master key; "
                "check BOTDESK_MASTER_KEY / BOTDESK_MASTER_KEY_FILE"
            )
        return open_sealed(self._master, wrapped, _tenant_aad(tenant_id))

    def rewrap_tenant_key(self, tenant_id: uuid.UUID, wrapped: bytes, old: KeyRing) -> bytes:
        """Re-wrap a tenant key from `old`'s master key to this one (master-key rotation)."""
        plain = open_sealed(old._master, wrapped, _tenant_aad(tenant_id))
        return seal(self._master, plain, _tenant_aad(tenant_id))

    def derive(self, label: str) -> bytes:
        """A key for one purpose, derived from the master key (HKDF-SHA256, `label` as info).

        Distinct labels give independent keys, so a key for one purpose never opens another's data.
        """
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label.encode())
        return hkdf.derive(self._master)

    def seal_totp_secret(self, user_id: uuid.UUID, secret: bytes) -> bytes:
        """Seal a staff member's TOTP secret, bound to their user id."""
        return seal(self.derive("botdesk/totp-secret/v1"), secret, _totp_aad(user_id))

    def open_totp_secret(self, user_id: uuid.UUID, sealed: bytes) -> bytes:
        return open_sealed(self.derive("botdesk/totp-secret/v1"), sealed, _totp_aad(user_id))

    @staticmethod
    def new_conversation_key(tenant_key: bytes, conversation_id: uuid.UUID) -> bytes:
        """A fresh conversation data key, returned wrapped by the tenant key."""
        return seal(tenant_key, os.urandom(KEY_BYTES), _conversation_aad(conversation_id))

    @staticmethod
    def conversation_key(
        tenant_key: bytes, conversation_id: uuid.UUID, wrapped: bytes | None
    ) -> bytes:
        if wrapped is None:
            raise KeyDestroyed("this conversation's key has been destroyed")
        return open_sealed(tenant_key, wrapped, _conversation_aad(conversation_id))
