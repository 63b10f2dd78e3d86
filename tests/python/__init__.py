"""Tests of the Python reference (tools/python/cbk_reference); stdlib unittest only.

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/python -t .
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_TOOLS = os.path.normpath(os.path.join(_HERE, "..", "..", "tools", "python"))
for _p in (_TOOLS, _HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)
