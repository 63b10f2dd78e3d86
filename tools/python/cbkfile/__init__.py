"""Reading and writing .cbk model files from Python (numpy arrays in, a verified file out).

The byte layout is specified in schema/cbk.fbs. Run with Debian's /usr/bin/python3, which has
python3-numpy and python3-flatbuffers.
"""
from .writer import CbkWriter, TensorSpec, quantize_int8_rows  # noqa: F401
from .crc import crc32  # noqa: F401
