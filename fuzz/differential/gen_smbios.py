#!/usr/bin/env python3
"""Random SMBIOS tables for differential testing of `reprise::parse::smbios` against dmidecode.

Writes N `dmidecode --dump-bin`-layout files (entry point at 0, table at 0x20) into DIR, each
holding the structure types Reprise decodes (0-4, 16, 17, 22, 43) at every length an SMBIOS
version gives them, with random field bytes, random (sometimes bad) string indexes and random
OEM structures, then type 127. Then `dmidecode --from-dump` each one (see README.md here).

Usage: gen_smbios.py DIR N [SEED]
"""
import os
import random
import sys

# Formatted lengths each type has had across SMBIOS versions (and a few odd ones).
LENGTHS = {
    0: [0x12, 0x13, 0x14, 0x18, 0x1A],
    1: [0x08, 0x19, 0x1B],
    2: [0x08, 0x09, 0x0A, 0x0E, 0x0F, 0x11, 0x13],
    3: [0x09, 0x0D, 0x11, 0x13, 0x15, 0x16, 0x18, 0x1B],
    4: [0x1A, 0x20, 0x23, 0x28, 0x2A, 0x30, 0x32],
    16: [0x0F, 0x17],
    17: [0x15, 0x17, 0x1B, 0x1C, 0x22, 0x28, 0x54, 0x5C],
    22: [0x10, 0x1A],
    43: [0x1B, 0x1F],
}

# Byte offsets that hold string indexes, per type.
STRINGS = {
    0: [0x04, 0x05, 0x08],
    1: [0x04, 0x05, 0x06, 0x07, 0x19, 0x1A],
    2: [0x04, 0x05, 0x06, 0x07, 0x08, 0x0A],
    3: [0x04, 0x06, 0x07, 0x08],
    4: [0x04, 0x07, 0x10, 0x20, 0x21, 0x22],
    17: [0x10, 0x11, 0x17, 0x18, 0x19, 0x1A],
    22: [0x04, 0x05, 0x06, 0x07, 0x08, 0x0E, 0x14],
    43: [0x12],
}


def interesting_byte(r):
    return r.choice([0, 1, 2, 3, 0x7F, 0x80, 0xFE, 0xFF, r.randrange(256), r.randrange(256)])


def structure(r, stype, handle):
    length = r.choice(LENGTHS[stype])
    body = bytearray(interesting_byte(r) for _ in range(length))
    body[0] = stype
    body[1] = length
    body[2:4] = handle.to_bytes(2, "little")
    nstrings = r.randrange(0, 5)
    for off in STRINGS.get(stype, []):
        if off < length:
            # Mostly valid indexes, sometimes 0 or past the set.
            body[off] = r.choice([0] + list(range(1, nstrings + 1)) * 3 + [nstrings + 1, 0xFF])
    if stype == 3 and length >= 0x15:
        # Contained elements: keep count × record length inside the structure sometimes.
        n = r.randrange(0, 3)
        m = r.choice([0, 2, 3, 4])
        body[0x13] = n
        body[0x14] = m
        if 0x15 + n * m < length:
            for i in range(n * m):
                body[0x15 + i] = interesting_byte(r)
            if 0x15 + n * m < length:
                body[0x15 + n * m] = r.choice([0, 1, nstrings + 1])
    if stype == 2 and length >= 0x0F:
        body[0x0E] = r.choice([0, 1, (length - 0x0F) // 2, 0xFF])
    if stype == 17 and r.random() < 0.3:
        body[0x0C:0x0E] = r.choice([0, 0x7FFF, 0xFFFF, 0x8200, 8192]).to_bytes(2, "little")
    if stype == 43:
        body[0x04:0x08] = r.choice([b"INTC", b"IFX\0", b"NTC\x01", bytes(interesting_byte(r) for _ in range(4))])
        body[0x08] = r.choice([1, 2, 3])
    strings = b""
    for i in range(nstrings):
        s = "".join(r.choice("ABCxyz 019-_.") for _ in range(r.randrange(1, 12)))
        strings += s.encode() + b"\0"
    tail = strings + b"\0" if strings else b"\0\0"
    return bytes(body) + tail


def oem(r, handle):
    length = r.randrange(4, 24)
    body = bytearray(r.randrange(256) for _ in range(length))
    body[0] = r.randrange(128, 255)
    body[1] = length
    body[2:4] = handle.to_bytes(2, "little")
    n = r.randrange(0, 3)
    strings = b"".join(b"oem%d\0" % i for i in range(n))
    return bytes(body) + (strings + b"\0" if strings else b"\0\0")


def checksum_fix(b, at, start, end):
    b[at] = 0
    b[at] = (-sum(b[start:end])) & 0xFF


def table(r):
    out = b""
    handle = 0
    types = [0, 1, 2, 3, 4, 16, 17, 17, 22, 43]
    r.shuffle(types)
    count = 0
    for t in types:
        out += structure(r, t, handle)
        handle += 1
        count += 1
        if r.random() < 0.3:
            out += oem(r, handle)
            handle += 1
            count += 1
    out += bytes([127, 4]) + handle.to_bytes(2, "little") + b"\0\0"
    return out, count + 1


def dump(r):
    t, count = table(r)
    if r.random() < 0.5:
        major, minor = 3, r.choice([0, 2, 5, 7])
        ep = bytearray(b"_SM3_" + bytes(27))
        ep[6] = 0x18
        ep[7], ep[8], ep[9], ep[10] = major, minor, 0, 1
        ep[0x0C:0x10] = len(t).to_bytes(4, "little")
        ep[0x10:0x18] = (0x20).to_bytes(8, "little")
        checksum_fix(ep, 5, 0, 0x18)
    else:
        major, minor = 2, r.choice([3, 4, 5, 6, 7, 8])
        ep = bytearray(b"_SM_" + bytes(28))
        ep[5] = 0x1F
        ep[6], ep[7] = major, minor
        ep[8:10] = (0x100).to_bytes(2, "little")
        ep[0x10:0x15] = b"_DMI_"
        ep[0x16:0x18] = len(t).to_bytes(2, "little")
        ep[0x18:0x1C] = (0x20).to_bytes(4, "little")
        ep[0x1C:0x1E] = count.to_bytes(2, "little")
        ep[0x1E] = (major << 4) | minor
        checksum_fix(ep, 0x15, 0x10, 0x1F)
        checksum_fix(ep, 4, 0, 0x1F)
    return bytes(ep[:0x20]) + t


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    r = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, "random-%04d.bin" % i), "wb") as f:
            f.write(dump(r))


if __name__ == "__main__":
    main()
