#!/usr/bin/env python3
"""Random ATA IDENTIFY DEVICE sectors for differential testing of `reprise::parse::ata` against
`hdparm --Istdin`. Writes NAME.identify.bin (512 bytes) and NAME.words.txt (256 hex words, 8 a
line, the /proc/ide identify format hdparm reads) into DIR. Word 0 bit 15 is kept clear (ATA
device), the validity bits of words 83/84/87/106 are mostly right, strings are printable, and
the integrity word is valid, wrong or absent. Usage: gen_identify.py DIR N [SEED]
"""
import os
import random
import sys

PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_."


def word(r):
    return r.choice([0, 0xFFFF, r.randrange(1 << 16), r.randrange(1 << 16), 1 << r.randrange(16)])


def sector(r):
    w = [word(r) for _ in range(256)]
    w[0] &= 0x7FFF
    for start, n in ((10, 10), (23, 4), (27, 20)):
        text = "".join(r.choice(PRINTABLE) for _ in range(2 * n))
        for i in range(n):
            w[start + i] = (ord(text[2 * i]) << 8) | ord(text[2 * i + 1])
    for i in (83, 84, 87, 106):
        if r.random() < 0.8:
            w[i] = (w[i] & 0x3FFF) | 0x4000
    if r.random() < 0.5:
        w[49] |= 1 << 9  # LBA supported
    if r.random() < 0.5:
        w[217] = r.choice([0, 1, 5400, 7200, 0x200, 0xFFFF])
    if r.random() < 0.5:
        w[168] = r.randrange(16)
    if r.random() < 0.5:
        w[80] = r.choice([0x1F8, 0xFE, 0x7E, 0xFF8, 0x9FC, 0x0FC0, 0])
    if r.random() < 0.3:
        w[117], w[118] = r.choice([(2048, 0), (256, 0), (0, 0), (4096, 0)])
    b = bytearray()
    for x in w:
        b += x.to_bytes(2, "little")
    kind = r.random()
    if kind < 0.6:
        b[510] = 0xA5
        b[511] = 0
        b[511] = (-sum(b)) & 0xFF
    elif kind < 0.8:
        b[510] = 0xA5
        b[511] = ((-sum(b[:511])) + 1) & 0xFF
    return bytes(b)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    r = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        b = sector(r)
        stem = os.path.join(out, "random-%04d" % i)
        with open(stem + ".identify.bin", "wb") as f:
            f.write(b)
        words = ["%04x" % (b[2 * j] | (b[2 * j + 1] << 8)) for j in range(256)]
        with open(stem + ".words.txt", "w") as f:
            for j in range(0, 256, 8):
                f.write(" ".join(words[j:j + 8]) + "\n")


if __name__ == "__main__":
    main()
