"""CRC-32 as the .cbk format uses it (IEEE polynomial, identical to zlib.crc32)."""
import zlib


def crc32(data: bytes, crc: int = 0) -> int:
    return zlib.crc32(data, crc) & 0xFFFFFFFF
