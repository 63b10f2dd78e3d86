"""What the shipped-model tests share: the command line `python3 TEST.py CBK_COMMAND... -- MODEL.cbk [unittest args]`
and running `cbk` (possibly under an emulator) expecting success."""
import subprocess
import sys

CBK = []


def parse_argv(argv):
    """-> (model path, the remaining unittest argv); sets CBK (the command, e.g. qemu-aarch64 build/tools/cbk)."""
    sep = argv.index("--")
    CBK[:] = argv[1:sep]
    return argv[sep + 1], [argv[0]] + argv[sep + 2:]


def cbk(*args, timeout=1800):
    r = subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("cbk %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout
