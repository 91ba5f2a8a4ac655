#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes wireguard_handshake.txt: one WireGuard handshake with fixed keys, computed from the
whitepaper's handshake with an independent crypto stack: Python's hashlib (BLAKE2s), hmac and the
`cryptography` package (X25519, ChaCha20-Poly1305, XChaCha20 via HChaCha20 below).

Run: python3 tests/vectors/wireguard_handshake.py > tests/vectors/wireguard_handshake.txt

Every "random" input (ephemeral keys, the cookie secret, the cookie nonce) is listed in the
order our C code draws it from the random source, so the unit tests can script that source
and compare whole messages byte for byte."""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"


def hash_(*parts):
    return hashlib.blake2s(b"".join(parts)).digest()


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def kdf(n, key, data):
    prk = hmac.new(key, data, hashlib.blake2s).digest()
    out, t = [], b""
    for i in range(1, n + 1):
        t = hmac.new(prk, t + bytes([i]), hashlib.blake2s).digest()
        out.append(t)
    return out


def public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def dh(private, peer):
    return X25519PrivateKey.from_private_bytes(private).exchange(
        X25519PublicKey.from_public_bytes(peer))


def aead(key, counter, plain, ad):
    return ChaCha20Poly1305(key).encrypt(bytes(4) + struct.pack("<Q", counter), plain, ad)


def hchacha20(key, nonce16):
    # ChaCha20 block with a zero plaintext gives state + input; HChaCha20 is the state words
    # 0-3 and 12-15 before the feed-forward, recovered by subtracting the input words.
    block = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor().update(bytes(64))
    words = struct.unpack("<16I", block)
    init = struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key) + \
        struct.unpack("<4I", nonce16)
    raw = [(w - i) & 0xffffffff for w, i in zip(words, init)]
    return struct.pack("<8I", *(raw[0:4] + raw[12:16]))


def xaead(key, nonce24, plain, ad):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(bytes(4) + nonce24[16:], plain, ad)


def tai64n(unix_ns):
    seconds, nanos = divmod(unix_ns, 10**9)
    return struct.pack(">QI", (1 << 62) + 10 + seconds, nanos & ~0xffffff)


def key(seed):
    return bytes((seed + 7 * i) & 0xff for i in range(32))


def main():
    si_priv, sr_priv = key(0x11), key(0x22)
    ei_priv, er_priv = key(0x33), key(0x44)
    psk = key(0x55)
    cookie_secret, cookie_nonce = key(0x66), bytes(range(0xa0, 0xb8))
    si_pub, sr_pub = public(si_priv), public(sr_priv)
    i_index, r_index = 0x11223344, 0x55667788
    unix_ns = 1764090000 * 10**9 + 123456789
    src = bytes([192, 0, 2, 1]) + struct.pack(">H", 51820)

    # Initiation (type 1).
    c = hash_(CONSTRUCTION)
    h = hash_(hash_(c, IDENTIFIER), sr_pub)
    ei_pub = public(ei_priv)
    h = hash_(h, ei_pub)
    c = kdf(1, c, ei_pub)[0]
    c, k = kdf(2, c, dh(ei_priv, sr_pub))
    enc_static = aead(k, 0, si_pub, h)
    h = hash_(h, enc_static)
    c, k = kdf(2, c, dh(si_priv, sr_pub))
    enc_ts = aead(k, 0, tai64n(unix_ns), h)
    h = hash_(h, enc_ts)
    init = struct.pack("<II", 1, i_index) + ei_pub + enc_static + enc_ts
    init_mac1 = mac(hash_(b"mac1----", sr_pub), init)
    init += init_mac1 + bytes(16)

    # Response (type 2).
    er_pub = public(er_priv)
    h = hash_(h, er_pub)
    c = kdf(1, c, er_pub)[0]
    c = kdf(1, c, dh(er_priv, ei_pub))[0]
    c = kdf(1, c, dh(er_priv, si_pub))[0]
    c, tau, k = kdf(3, c, psk)
    h = hash_(h, tau)
    enc_nothing = aead(k, 0, b"", h)
    resp = struct.pack("<III", 2, r_index, i_index) + er_pub + enc_nothing
    resp += mac(hash_(b"mac1----", si_pub), resp) + bytes(16)
    i_send, i_recv = kdf(2, c, b"")

    # Transport: the initiator's keepalive (counter 0), then 5 bytes padded to 16 (counter 1).
    keepalive = struct.pack("<IIQ", 4, r_index, 0) + aead(i_send, 0, b"", b"")
    data = struct.pack("<IIQ", 4, r_index, 1) + aead(i_send, 1, b"hello" + bytes(11), b"")

    # Cookie reply (type 3) from the responder to the initiation from 192.0.2.1:51820, then
    # the initiation sent again with the cookie as mac2.
    cookie = mac(cookie_secret, src)
    reply = struct.pack("<II", 3, i_index) + cookie_nonce + \
        xaead(hash_(b"cookie--", sr_pub), cookie_nonce, cookie, init_mac1)
    init_mac2 = init[:132] + mac(cookie, init[:132])

    print("""# One WireGuard handshake with fixed keys: initiation, response, the initiator's session keys,
# a keepalive and a padded data packet, a cookie reply and the initiation re-sent with mac2.
# GENERATED by tests/vectors/wireguard_handshake.py from the whitepaper's handshake with an
# independent crypto stack (Python hashlib/hmac BLAKE2s, the `cryptography` package's X25519
# and ChaCha20-Poly1305, XChaCha20 built on its ChaCha20); regenerate with
#   python3 tests/vectors/wireguard_handshake.py > tests/vectors/wireguard_handshake.txt
# Private keys are X25519 scalars; unix_ns and src (IPv4 || port) are big-endian. The
# ephemerals, then cookie_secret and cookie_nonce, are what the random source yields, in order.
""")
    fields = [("initiator_private", si_priv), ("responder_private", sr_priv),
              ("initiator_ephemeral", ei_priv), ("responder_ephemeral", er_priv),
              ("psk", psk), ("initiator_index", struct.pack("<I", i_index)),
              ("responder_index", struct.pack("<I", r_index)),
              ("unix_ns", struct.pack(">Q", unix_ns)), ("src", src),
              ("cookie_secret", cookie_secret), ("cookie_nonce", cookie_nonce),
              ("initiation", init), ("response", resp),
              ("initiator_send_key", i_send), ("initiator_receive_key", i_recv),
              ("keepalive", keepalive), ("data_plaintext", b"hello"), ("data", data),
              ("cookie_reply", reply), ("initiation_with_mac2", init_mac2)]
    for name, value in fields:
        print("%s = %s" % (name, value.hex()))


if __name__ == "__main__":
    main()
