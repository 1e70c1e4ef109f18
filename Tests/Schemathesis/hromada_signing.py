"""Schemathesis hook for the accounting service: signs every device request for real.

Loaded by `SCHEMATHESIS_HOOKS=hromada_signing` (Tests/Schemathesis on PYTHONPATH). The signature
covers the exact body bytes and the raw request target, so it is made at the last moment, on
the prepared request that `requests` is about to send, and replaces whatever header values the
generator chose. The signed bytes follow docs/accounting.md, "Device authentication".

Environment: HROMADA_DEVICE (decimal id), HROMADA_DEVICE_KEY (hex of the 32-byte Ed25519
private key), HROMADA_DEVICE_CERTIFICATE (hex), HROMADA_DEVICE_KEY_ID (8 hex digits).
"""

import hashlib
import os
import secrets
import time

import requests.adapters
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEVICE_PATHS = ("/v1/ledger/",)

_device = os.environ["HROMADA_DEVICE"]
_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(os.environ["HROMADA_DEVICE_KEY"]))
_certificate = os.environ["HROMADA_DEVICE_CERTIFICATE"]
_key_id = os.environ["HROMADA_DEVICE_KEY_ID"]


def signed_headers(method: str, target: str, body: bytes) -> dict:
    """The five headers of a device request for `method`, the raw `target` and `body`."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    lines = [method.upper(), target, _device, _key_id, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    message = b"HromadaCard request v1\x00" + "".join(line + "\n" for line in lines).encode()
    return {
        "Hromada-Device": _device,
        "Hromada-Certificate": _certificate,
        "Hromada-Timestamp": timestamp,
        "Hromada-Nonce": nonce,
        "Hromada-Signature": _key.sign(message).hex(),
    }


_send = requests.adapters.HTTPAdapter.send


def _send_signed(self, request, *args, **kwargs):
    target = request.path_url
    if target.startswith(DEVICE_PATHS):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        request.headers.update(signed_headers(request.method, target, body))
    return _send(self, request, *args, **kwargs)


requests.adapters.HTTPAdapter.send = _send_signed
