"""Derives the constants of the carry-less-multiply CRC-32 (runtime/loader/crc32_x86*.cpp) and checks
the algorithm they are used in, step by step, against zlib.crc32.

    /usr/bin/python3 runtime/loader/crc32_constants.py [crc32_x86_fold.hpp]
        prints the constants, checks the algorithm against zlib and, given the header, that the
        constants written there are the derived ones (ctest: loader_crc32_constants)

The CRC is zlib's: P(x) = x^32 + x^26 + x^23 + ... + 1, bit-reflected (0xEDB88320), init and final
value ~0. Reflected registers: in a 128-bit register loaded little-endian from the data, bit j holds
the coefficient of x^(127-j) (the first bit of the stream is the highest power). For a 64-bit lane
`a` (bit j <-> x^(63-j)) and a constant stored as rev33(k) (bit j <-> x^(32-j)), the carry-less
product is rev96(a*k): bit j <-> x^(95-j). Placed in a 128-bit register that is x^32 * a * k.

Folding a 128-bit register R = x^64*lo + hi forward by D bits (to align it with data D bits later):
    R * x^D  ==  x^32 * (lo * (x^(D+32) mod P) + hi * (x^(D-32) mod P))   (mod P)
so the lane multipliers are rev33(x^(D+32) mod P) for the low lane and rev33(x^(D-32) mod P) for the
high lane. The final reduction of one register R to the 32-bit CRC register (R * x^32 mod P):
    W = lo * (x^96 mod P) + hi * x^32           96 bits
    U = W_top32 * (x^64 mod P) + W_low64         64 bits
    Barrett: q = floor(floor(U / x^32) * mu / x^32), mu = floor(x^64 / P); crc = U + q * P (low 32)
"""
import os
import random
import sys
import zlib

P = (1 << 32) | int("{:032b}".format(0xEDB88320)[::-1], 2)  # the normal (unreflected) polynomial


def pmod(a, m):
    """Remainder of GF(2) polynomial division."""
    dm = m.bit_length() - 1
    while a.bit_length() - 1 >= dm:
        a ^= m << (a.bit_length() - 1 - dm)
    return a


def pdiv(a, m):
    dm = m.bit_length() - 1
    q = 0
    while a and a.bit_length() - 1 >= dm:
        s = a.bit_length() - 1 - dm
        q |= 1 << s
        a ^= m << s
    return q


def xpow_mod(n):
    return pmod(1 << n, P)


def rev(value, bits):
    return int("{:0{}b}".format(value, bits)[::-1], 2)


def clmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def fold_pair(distance_bits):
    """(low-lane multiplier, high-lane multiplier) for folding a register forward by distance_bits."""
    return rev(xpow_mod(distance_bits + 32), 33), rev(xpow_mod(distance_bits - 32), 33)


K_96 = rev(xpow_mod(96), 33)
K_64 = rev(xpow_mod(64), 33)
MU = rev(pdiv(1 << 64, P), 33)
P_REV = rev(P, 33)
M64 = (1 << 64) - 1


def fold(reg, distance_bits):
    lo_k, hi_k = fold_pair(distance_bits)
    return clmul(reg & M64, lo_k) ^ clmul(reg >> 64, hi_k)


def reduce128(reg):
    """R * x^32 mod P as the reflected 32-bit CRC register."""
    w = clmul(reg & M64, K_96) ^ (reg >> 64)
    u = clmul(w & 0xFFFFFFFF, K_64) ^ (w >> 32)
    q = clmul(u & 0xFFFFFFFF, MU) & 0xFFFFFFFF
    return ((u ^ clmul(q, P_REV)) >> 32) & 0xFFFFFFFF


def crc32_folded(data, crc=0, lanes=4):
    """The x86 algorithm: `lanes` 16-byte accumulators, then one, then the Barrett reduction; the
    tail below 16 bytes goes bytewise, as in the C++ code (which uses the table there)."""
    if len(data) < 16 * lanes:
        return zlib.crc32(data, crc)
    blocks = [int.from_bytes(data[i:i + 16], "little") for i in range(0, len(data) // 16 * 16, 16)]
    acc = blocks[:lanes]
    acc[0] ^= crc ^ 0xFFFFFFFF
    n = lanes
    while n + lanes <= len(blocks):
        acc = [fold(acc[i], 128 * lanes) ^ blocks[n + i] for i in range(lanes)]
        n += lanes
    reg = acc[0]
    for i in range(1, lanes):
        reg = fold(reg, 128) ^ acc[i]
    while n < len(blocks):
        reg = fold(reg, 128) ^ blocks[n]
        n += 1
    state = reduce128(reg)
    return zlib.crc32(data[len(blocks) * 16:], state ^ 0xFFFFFFFF)


def check_header(path):
    """Every kName = 0x... in the C++ header must equal the value derived here."""
    import re
    derived = {"kX96": K_96, "kX64": K_64, "kMu": MU, "kPoly": P_REV}
    for distance in (128, 256, 384, 512, 2048):
        derived["kFold%dLo" % distance], derived["kFold%dHi" % distance] = fold_pair(distance)
    found = dict((name, int(value, 16)) for name, value in re.findall(r"(k\w+) = (0x[0-9A-Fa-f]+)", open(path).read()))
    assert set(found) == set(derived), (sorted(found), sorted(derived))
    for name, value in found.items():
        assert value == derived[name], "%s is 0x%X in %s, derived 0x%X" % (name, value, path, derived[name])
    print("the %d constants in %s are the derived ones" % (len(found), path))


def main():
    print("fold constants (low lane, high lane), rev33(x^(D+32) mod P), rev33(x^(D-32) mod P):")
    for distance in (128, 256, 384, 512, 1024, 2048):
        lo, hi = fold_pair(distance)
        print("  D = {:4d} bits: 0x{:09X}, 0x{:09X}".format(distance, lo, hi))
    print("reduction: x^96 mod P 0x{:09X}, x^64 mod P 0x{:09X}, mu 0x{:09X}, P 0x{:09X}".format(K_96, K_64, MU, P_REV))
    rng = random.Random(1)
    for n in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4097]:
        data = os.urandom(n)
        init = rng.getrandbits(32)
        for lanes in (1, 4, 16):  # 1: 128-bit folds only; 4: the SSE loop; 16: the AVX-512 loop (4 zmm)
            assert crc32_folded(data, init, lanes) == zlib.crc32(data, init), (n, lanes)
    assert crc32_folded(b"123456789" * 10, 0, 4) == zlib.crc32(b"123456789" * 10)
    print("the folded algorithm matches zlib.crc32")


if __name__ == "__main__":
    main()
    if len(sys.argv) > 1:
        check_header(sys.argv[1])
