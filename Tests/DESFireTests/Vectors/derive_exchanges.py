#!/usr/bin/env python3
"""Derives the DESFire exchanges in desfire-derived-exchanges.json.

No published trace was found for EV1 enciphered *responses*, MACed commands, chained frames,
value and record files, legacy (0x0A) secure messaging with a non-zero key, or ChangeKey of the
PICC master key to AES. This script derives them by hand: every step of the card's side is
written out below from the DESFire EV1 rules, and every cipher operation is done by the Python
'cryptography' package (OpenSSL), which shares no code with the Swift client.

What this proves: the Swift client's cipher, CMAC, CRC and framing code agrees with an
independent implementation of the same rules. What it cannot prove: that the rules themselves
are right where no published trace covers them (that is what the published Elmü and NXP-forum
traces are for). Run: python3 derive_exchanges.py > desfire-derived-exchanges.json
"""
import json, sys, warnings, zlib
warnings.filterwarnings("ignore")
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.cmac import CMAC as LibCMAC

H = bytes.fromhex
def X(b): return b.hex().upper()

class Engine:
    """One key: AES-128, or DES / 2K3DES / 3K3DES via OpenSSL's TDES."""
    def __init__(self, algo, block_size):
        self.algo = algo; self.bs = block_size
    @staticmethod
    def aes(key): return Engine(lambda: algorithms.AES(key), 16)
    @staticmethod
    def des(key):
        k = key * 3 if len(key) == 8 else (key + key[:8] if len(key) == 16 else key)
        return Engine(lambda: TripleDES(k), 8)
    def enc(self, iv, data):
        c = Cipher(self.algo(), modes.CBC(iv)).encryptor(); return c.update(data) + c.finalize()
    def dec(self, iv, data):
        c = Cipher(self.algo(), modes.CBC(iv)).decryptor(); return c.update(data) + c.finalize()
    def ecb_enc(self, b):
        c = Cipher(self.algo(), modes.ECB()).encryptor(); return c.update(b) + c.finalize()
    def ecb_dec(self, b):
        c = Cipher(self.algo(), modes.ECB()).decryptor(); return c.update(b) + c.finalize()
    def cmac(self, iv, msg):
        """CMAC (SP 800-38B) started from `iv` instead of zero: CBC-MAC of the K1/K2-masked message."""
        bs = self.bs; rb = 0x87 if bs == 16 else 0x1B
        def dbl(b):
            n = (int.from_bytes(b, "big") << 1) & ((1 << (8 * bs)) - 1)
            if b[0] & 0x80: n ^= rb
            return n.to_bytes(bs, "big")
        k1 = dbl(self.ecb_enc(bytes(bs))); k2 = dbl(k1)
        if msg and len(msg) % bs == 0:
            m = msg[:-bs] + bytes(a ^ b for a, b in zip(msg[-bs:], k1))
        else:
            p = msg + b"\x80" + bytes((bs - (len(msg) + 1) % bs) % bs)
            m = p[:-bs] + bytes(a ^ b for a, b in zip(p[-bs:], k2))
        return self.enc(iv, m)[-bs:]

def crc32(b): return ((zlib.crc32(b) ^ 0xFFFFFFFF) & 0xFFFFFFFF).to_bytes(4, "little")
def crc16(b):
    c = 0x6363
    for x in b:
        c ^= x
        for _ in range(8): c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    return c.to_bytes(2, "little")
def pad0(b, bs): return b + bytes((-len(b)) % bs)
def rot(b): return b[1:] + b[:1]
def le(v, n): return (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")

# Sanity: the CMAC-with-IV above is the standard CMAC when the IV is zero (RFC 4493 example 2).
_k = H("2b7e151628aed2a6abf7158809cf4f3c"); _c = LibCMAC(algorithms.AES(_k)); _c.update(H("6bc1bee22e409f96e93d7e117393172a"))
assert Engine.aes(_k).cmac(bytes(16), H("6bc1bee22e409f96e93d7e117393172a")) == _c.finalize()

MAX_COMMAND = 49   # the client's default: 49 data bytes per command APDU
MAX_RESPONSE = 59  # a DESFire card's answer frames carry up to 59 data bytes

def frames(code, body, status, answer):
    """The native frames of one exchange as the client chunks the command and the card the answer."""
    chunks = [body[i:i + MAX_COMMAND] for i in range(0, max(len(body), 1), MAX_COMMAND)] or [b""]
    out = []
    for i, chunk in enumerate(chunks):
        cmd = bytes([code if i == 0 else 0xAF]) + chunk
        out.append({"command": X(cmd)})
        if i < len(chunks) - 1: out[-1]["response"] = "AF"
    parts = [answer[i:i + MAX_RESPONSE] for i in range(0, len(answer), MAX_RESPONSE)] or [b""]
    for i, part in enumerate(parts):
        if i > 0: out.append({"command": "AF"})
        last = i == len(parts) - 1
        out[-1]["response"] = X(bytes([status if last else 0xAF]) + part)
    return out

class EV1:
    """An EV1 secure-messaging session (AES or ISO), both sides sharing the session key and IV."""
    def __init__(self, engine): self.e = engine; self.iv = bytes(engine.bs)
    def send(self, code, header, data, mode, trailer=b""):
        if mode == "plain":
            self.iv = self.e.cmac(self.iv, bytes([code]) + header + data); return header + data
        if mode == "maced":
            self.iv = self.e.cmac(self.iv, bytes([code]) + header + data); return header + data + self.iv[:8]
        plain = pad0(data + crc32(bytes([code]) + header + data) + trailer, self.e.bs)
        ct = self.e.enc(self.iv, plain); self.iv = ct[-self.e.bs:]; return header + ct
    def answer(self, payload, mode):
        if mode in ("plain", "maced"):
            self.iv = self.e.cmac(self.iv, payload + b"\x00"); return payload + self.iv[:8]
        ct = self.e.enc(self.iv, pad0(payload + crc32(payload + b"\x00"), self.e.bs)); self.iv = ct[-self.e.bs:]; return ct

class Legacy:
    """A legacy (EV0) session: DES or 2K3DES session key, IV zero for every message."""
    def __init__(self, engine): self.e = engine
    def mac(self, data): return self.e.enc(bytes(8), pad0(data, 8) or bytes(8))[-8:][:4]
    def send_decipher(self, data):
        out, chain = b"", bytes(8)
        for i in range(0, len(data), 8):
            chain = self.e.ecb_dec(bytes(a ^ b for a, b in zip(data[i:i + 8], chain))); out += chain
        return out
    def send(self, code, header, data, mode, trailer=b""):
        if mode == "plain": return header + data
        if mode == "maced": return header + data + self.mac(data)
        return header + self.send_decipher(pad0(data + crc16(data) + trailer, 8))
    def answer(self, payload, mode):
        if mode == "plain": return payload
        if mode == "maced": return payload + self.mac(payload)
        return self.e.enc(bytes(8), pad0(payload + crc16(payload), 8))

steps = []
def step(title, call, exchanges, **args): steps.append({"title": title, "call": call, "exchanges": exchanges, **args})

def auth_aes(title, key_no, key, rnd_a, rnd_b, app_engine):
    enc_b = app_engine.enc(bytes(16), rnd_b)
    token = app_engine.enc(enc_b, rnd_a + rot(rnd_b))
    proof = app_engine.enc(token[-16:], rot(rnd_a))
    session_key = rnd_a[0:4] + rnd_b[0:4] + rnd_a[12:16] + rnd_b[12:16]
    step(title, "authenticateAES", [{"command": X(bytes([0xAA, key_no])), "response": "AF" + X(enc_b)},
                                    {"command": "AF" + X(token), "response": "00" + X(proof)}],
         keyNumber=key_no, key={"type": "aes128", "bytes": X(app_engine.raw), "version": app_engine.version},
         randomA=X(rnd_a), sessionKey=X(session_key))
    return EV1(Engine.aes(session_key))

def auth_legacy(title, key_no, key_desc, engine, rnd_a, rnd_b, single_des):
    enc_b = engine.ecb_enc(rnd_b)                       # the card enciphers RndB
    d1 = engine.ecb_dec(rnd_a)                          # the reader deciphers in send mode
    d2 = engine.ecb_dec(bytes(a ^ b for a, b in zip(rot(rnd_b), d1)))
    proof = engine.ecb_enc(rot(rnd_a))                  # the card enciphers RndA'
    sk = rnd_a[0:4] + rnd_b[0:4] + (b"" if single_des else rnd_a[4:8] + rnd_b[4:8])
    step(title, "authenticateLegacy", [{"command": X(bytes([0x0A, key_no])), "response": "AF" + X(enc_b)},
                                       {"command": "AF" + X(d1 + d2), "response": "00" + X(proof)}],
         keyNumber=key_no, key=key_desc, randomA=X(rnd_a), sessionKey=X(sk))
    return Legacy(Engine.des(sk))

def command(s, title, call, code, header, sent, req, resp, payload, **args):
    body = s.send(code, header, sent, req) if s else header + sent
    answer = s.answer(payload, resp) if s else payload
    step(title, call, frames(code, body, 0x00, answer), **args, **({"ivAfter": X(s.iv)} if isinstance(s, EV1) else {}))

def aes_engine(key, version):
    e = Engine.aes(key); e.raw = key; e.version = version; return e

# ---------------------------------------------------------------- EV1 AES: enciphered and MACed
uid = H("04063F72633480")
app_key0 = aes_engine(bytes(16), 0)
step("SelectApplication(0x00AE16)", "selectApplication", [{"command": "5A16AE00", "response": "00"}], application="00AE16")
s = auth_aes("AuthenticateAES(key 0, zero key)", 0, None, H("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), H("B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"), app_key0)
command(s, "GetCardUID: enciphered answer (7 + CRC32 + 5 padding bytes)", "getCardUID", 0x51, b"", b"", "plain", "enciphered", uid, result=X(uid))
d20 = bytes(range(0x20, 0x34))
command(s, "WriteData enciphered, 20 bytes", "writeData", 0x3D, bytes([1]) + le(0, 3) + le(20, 3), d20, "enciphered", "plain", b"", file=1, offset=0, data=X(d20), mode="enciphered")
command(s, "ReadData enciphered, 20 bytes (20 + 4 CRC + 8 padding)", "readData", 0xBD, bytes([1]) + le(0, 3) + le(20, 3), b"", "plain", "enciphered", d20, file=1, offset=0, length=20, mode="enciphered", result=X(d20))
d10 = H("48524F4D4144412D3031")
command(s, "WriteData MACed, 10 bytes + 8-byte CMAC", "writeData", 0x3D, bytes([2]) + le(4, 3) + le(10, 3), d10, "maced", "plain", b"", file=2, offset=4, data=X(d10), mode="maced")
command(s, "ReadData MACed, 10 bytes + 8-byte CMAC", "readData", 0xBD, bytes([2]) + le(4, 3) + le(10, 3), b"", "plain", "maced", d10, file=2, offset=4, length=10, mode="maced", result=X(d10))
command(s, "GetValue enciphered: 1000", "getValue", 0x6C, bytes([3]), b"", "plain", "enciphered", le(1000, 4), file=3, mode="enciphered", result=1000)
command(s, "Debit MACed 150", "debit", 0xDC, bytes([3]), le(150, 4), "maced", "plain", b"", file=3, amount=150, mode="maced")
command(s, "Credit enciphered 50", "credit", 0x0C, bytes([3]), le(50, 4), "enciphered", "plain", b"", file=3, amount=50, mode="enciphered")
command(s, "LimitedCredit MACed 20", "limitedCredit", 0x1C, bytes([3]), le(20, 4), "maced", "plain", b"", file=3, amount=20, mode="maced")
rec1 = bytes(range(0x40, 0x50))
command(s, "WriteRecord MACed, one 16-byte record", "writeRecord", 0x3B, bytes([4]) + le(0, 3) + le(16, 3), rec1, "maced", "plain", b"", file=4, offset=0, data=X(rec1), mode="maced")
command(s, "ReadRecords enciphered, 1 record of 16 (16 + 4 CRC = 20, padded to 32)", "readRecords", 0xBB, bytes([4]) + le(0, 3) + le(1, 3), b"", "plain", "enciphered", rec1, file=4, offset=0, count=1, recordSize=16, mode="enciphered", result=X(rec1))
rec2 = bytes(range(0x50, 0x60))
command(s, "ReadRecords enciphered, all records (2 of at most 3): the client finds the CRC", "readAllRecords", 0xBB, bytes([4]) + le(0, 3) + le(0, 3), b"", "plain", "enciphered", rec1 + rec2, file=4, recordSize=16, maxRecords=3, mode="enciphered", result=X(rec1 + rec2))
command(s, "ClearRecordFile", "clearRecordFile", 0xEB, bytes([4]), b"", "plain", "plain", b"", file=4)
command(s, "CommitTransaction", "commitTransaction", 0xC7, b"", b"", "plain", "plain", b"")
command(s, "AbortTransaction", "abortTransaction", 0xA7, b"", b"", "plain", "plain", b"")
long_read = bytes((i * 7) & 0xFF for i in range(100))
command(s, "ReadData plain, 100 bytes: 108 bytes answered in frames of 59 + 49", "readData", 0xBD, bytes([5]) + le(0, 3) + le(100, 3), b"", "plain", "plain", long_read, file=5, offset=0, length=100, mode="plain", result=X(long_read))
long_write = bytes((i * 13 + 1) & 0xFF for i in range(70))
command(s, "WriteData MACed, 70 bytes: 7 + 70 + 8 = 85 bytes sent in frames of 49 + 36", "writeData", 0x3D, bytes([5]) + le(0, 3) + le(70, 3), long_write, "maced", "plain", b"", file=5, offset=0, data=X(long_write), mode="maced")
long_enc = bytes((i * 3 + 5) & 0xFF for i in range(60))
command(s, "WriteData enciphered, 60 bytes: 7 + 64 bytes sent in frames of 49 + 22", "writeData", 0x3D, bytes([5]) + le(0, 3) + le(60, 3), long_enc, "enciphered", "plain", b"", file=5, offset=0, data=X(long_enc), mode="enciphered")
command(s, "ReadData enciphered, 60 bytes: 64 bytes answered in frames of 59 + 5", "readData", 0xBD, bytes([5]) + le(0, 3) + le(60, 3), b"", "plain", "enciphered", long_enc, file=5, offset=0, length=60, mode="enciphered", result=X(long_enc))
command(s, "GetKeySettings", "getKeySettings", 0x45, b"", b"", "plain", "plain", H("0B82"), result="0B82")
command(s, "ChangeKeySettings(0x0B) enciphered", "changeKeySettings", 0x54, b"", H("0B"), "enciphered", "plain", b"", settings="0B")
new1 = H("F0E1D2C3B4A5968778695A4B3C2D1E0F")
cryptogram = bytes(a ^ b for a, b in zip(new1, bytes(16))) + b"\x07"
command_body = s.send(0xC4, b"\x01", cryptogram, "enciphered", trailer=crc32(new1))
answer = s.answer(b"", "plain")
step("ChangeKey(1) from the zero key to an AES key version 7 (XOR + CRC32 of the new key)", "changeKey", frames(0xC4, command_body, 0, answer),
     keyNumber=1, newKey={"type": "aes128", "bytes": X(new1), "version": 7}, currentKey={"type": "aes128", "bytes": X(bytes(16)), "version": 0}, ivAfter=X(s.iv))
new0 = H("00112233445566778899AABBCCDDEEFF")
body = s.send(0xC4, b"\x00", new0 + b"\x01", "enciphered")
step("ChangeKey(0), the authenticated key: no CMAC in the answer, the session ends", "changeKey", frames(0xC4, body, 0, b""),
     keyNumber=0, newKey={"type": "aes128", "bytes": X(new0), "version": 1})

# ---------------------------------------------------------------- Legacy: factory PICC key to AES
step("SelectApplication(0x000000)", "selectApplication", [{"command": "5A000000", "response": "00"}], application="000000")
factory = Engine.des(bytes(8))
s = auth_legacy("Authenticate (legacy 0x0A) with the factory DES key", 0, {"type": "des", "bytes": X(bytes(8))}, factory,
                H("1122334455667788"), H("8877665544332211"), True)
command(s, "GetApplicationIDs (legacy: plain, no MAC)", "getApplicationIDs", 0x6A, b"", b"", "plain", "plain", H("16AE00"), result=["00AE16"])
command(s, "CreateApplication(0x00DE16, 2 keys, DES/3DES)", "createApplication", 0xCA, H("16DE000F02"), b"", "plain", "plain", b"", application="00DE16", settings="0F", keyCount=2, family="tripleDES")
picc_aes = H("000102030405060708090A0B0C0D0E0F")
x = picc_aes + b"\x01"   # new AES key and its version
body = s.send(0xC4, b"\x80", x, "enciphered")
step("ChangeKey PICC master key DES -> AES version 1 (key number 0x80, CRC16, legacy send-mode decipher)", "changeKey", frames(0xC4, body, 0, b""),
     keyNumber=0, newKey={"type": "aes128", "bytes": X(picc_aes), "version": 1})
picc_engine = aes_engine(picc_aes, 1)
s = auth_aes("AuthenticateAES with the new PICC master key", 0, None, H("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF"), H("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"), picc_engine)
command(s, "FreeMemory", "freeMemory", 0x6E, b"", b"", "plain", "plain", le(4064, 3), result=4064)
picc_aes2 = H("0F0E0D0C0B0A09080706050403020100")
body = s.send(0xC4, b"\x80", picc_aes2 + b"\x02", "enciphered")
step("ChangeKey PICC master key AES -> AES version 2 in an AES session (key number 0x80, CRC32 over C4 80 ...)", "changeKey", frames(0xC4, body, 0, b""),
     keyNumber=0, newKey={"type": "aes128", "bytes": X(picc_aes2), "version": 2})

# ---------------------------------------------------------------- Legacy: 2K3DES application key
step("SelectApplication(0x00DE16)", "selectApplication", [{"command": "5A16DE00", "response": "00"}], application="00DE16")
k2 = H("00102031405060708090A0B0B0A09080")
s = auth_legacy("Authenticate (legacy 0x0A) with a 2K3DES key, version 0x10", 0, {"type": "tripleDES2K", "bytes": X(k2)}, Engine.des(k2),
                H("0123456789ABCDEF"), H("FEDCBA9876543210"), False)
d = H("0102030405060708090A0B")
command(s, "WriteData MACed (legacy: 4-byte MAC over the data)", "writeData", 0x3D, bytes([1]) + le(0, 3) + le(11, 3), d, "maced", "plain", b"", file=1, offset=0, data=X(d), mode="maced")
command(s, "ReadData MACed (legacy)", "readData", 0xBD, bytes([1]) + le(0, 3) + le(11, 3), b"", "plain", "maced", d, file=1, offset=0, length=11, mode="maced", result=X(d))
command(s, "WriteData enciphered (legacy: CRC16, send-mode decipher)", "writeData", 0x3D, bytes([2]) + le(0, 3) + le(11, 3), d, "enciphered", "plain", b"", file=2, offset=0, data=X(d), mode="enciphered")
command(s, "ReadData enciphered (legacy: CBC decipher, CRC16)", "readData", 0xBD, bytes([2]) + le(0, 3) + le(11, 3), b"", "plain", "enciphered", d, file=2, offset=0, length=11, mode="enciphered", result=X(d))
command(s, "GetValue enciphered (legacy)", "getValue", 0x6C, bytes([3]), b"", "plain", "enciphered", le(-5, 4), file=3, mode="enciphered", result=-5)
new_k1 = H("1018202930384048505860687078808 8".replace(" ", ""))
cur_k1 = bytes(16)
body = s.send(0xC4, b"\x01", bytes(a ^ b for a, b in zip(new_k1, cur_k1)), "enciphered", trailer=crc16(new_k1))
step("ChangeKey(1), another key, legacy: XOR with the current key, CRC16 of the XOR, CRC16 of the new key", "changeKey", frames(0xC4, body, 0, b""),
     keyNumber=1, newKey={"type": "tripleDES2K", "bytes": X(new_k1)}, currentKey={"type": "des", "bytes": X(bytes(8))})
new_k0 = H("2030405060708090A0B0C0D0E0F00010")
body = s.send(0xC4, b"\x00", new_k0, "enciphered")
step("ChangeKey(0), the authenticated key, legacy: the session ends", "changeKey", frames(0xC4, body, 0, b""),
     keyNumber=0, newKey={"type": "tripleDES2K", "bytes": X(new_k0)})

doc = {
    "source": "Derived by hand with derive_exchanges.py (cipher operations by the Python 'cryptography' package). NOT a published trace: see the script's docstring for what this does and does not prove.",
    "maxCommandDataPerFrame": MAX_COMMAND,
    "steps": steps,
}
json.dump(doc, sys.stdout, indent=1)
print()
