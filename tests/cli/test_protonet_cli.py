"""`cbk classify` and `cbk prototypes` on the shipped prototype network, against the trainer's goldens
(tests/parity/protonet/goldens.json: torch float64 logits, nearest prototypes and decoded prototypes
for a few Fashion-MNIST test images), plus the failure paths.

Run by ctest as: python3 test_protonet_cli.py CBK_COMMAND... -- MODEL.cbk GOLDENS.json TRANSFORMER.cbk BASELINE.cbk
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

CBK = []
MODEL = GOLDENS = TRANSFORMER = BASELINE = ""


def run(*args):
    return subprocess.run(CBK + list(args), capture_output=True, text=True, timeout=300)


def write_idx(path, rows, dims):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims))
        f.write(bytes(v for row in rows for v in row))


def read_png_gray(path):
    """Width, height and pixel rows of an 8-bit grayscale PNG (any zlib stream, filter type 0)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 0)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows = [raw[y * (width + 1):(y + 1) * (width + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return width, height, [r[1:] for r in rows]


class ProtonetCli(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def setUpClass(cls):
        with open(GOLDENS) as f:
            cls.g = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.images = os.path.join(cls.tmp.name, "images-idx3-ubyte")
        cls.labels = os.path.join(cls.tmp.name, "labels-idx1-ubyte")
        n = len(cls.g["images_u8"])
        write_idx(cls.images, cls.g["images_u8"], [n, 28, 28])
        write_idx(cls.labels, [[v] for v in cls.g["labels"]], [n])

    def test_classify_matches_the_goldens(self):
        r = run("classify", MODEL, self.images, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)["rows"]
        self.assertEqual(len(rows), len(self.g["logits"]))
        for row, logits, nearest, dist in zip(rows, self.g["logits"], self.g["nearest"], self.g["distances"]):
            self.assertEqual(row["class"], max(range(len(logits)), key=lambda c: (logits[c], -c)))
            self.assertEqual(row["nearest"], nearest)
            for got, want in zip(row["distances"], dist):
                self.assertAlmostEqual(got, want, delta=1e-4 * max(1.0, abs(want)))
        text = run("classify", MODEL, self.images, "--limit", "2").stdout.splitlines()
        self.assertEqual(len(text), 2)
        self.assertIn("nearest prototypes %d " % self.g["nearest"][0][0], text[0])

    def test_accuracy_with_labels(self):
        want = sum(max(range(10), key=lambda c: (l[c], -c)) == y for l, y in zip(self.g["logits"], self.g["labels"]))
        n = len(self.g["labels"])
        r = run("classify", MODEL, self.images, "--labels", self.labels)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(%d of %d images)" % (want, n), r.stdout)
        out = json.loads(run("classify", MODEL, self.images, "--labels", self.labels, "--json").stdout)
        self.assertEqual(out["correct"], want)

    def test_pgm_input(self):
        pgm = os.path.join(self.tmp.name, "first.pgm")
        with open(pgm, "wb") as f:
            f.write(b"P5\n# a test image\n28 28\n255\n" + bytes(self.g["images_u8"][0]))
        r = run("classify", MODEL, pgm, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["rows"][0]["nearest"], self.g["nearest"][0])

    def test_prototype_grid_png(self):
        png = os.path.join(self.tmp.name, "grid.png")
        r = run("prototypes", MODEL, "--png", png, "--scale", "1", "--columns", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        protos = self.g["decoded_prototypes"]
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("prototype ")]), len(protos))
        width, height, rows = read_png_gray(png)
        self.assertEqual((width, height), (5 * 29 + 1, 3 * 29 + 1))
        for j, img in enumerate(protos):  # dark ink on white: 255 - 255 v, rounded
            x0, y0 = 1 + (j % 5) * 29, 1 + (j // 5) * 29
            for y in range(28):
                for x in range(28):
                    self.assertAlmostEqual(rows[y0 + y][x0 + x], 255 - 255 * img[y * 28 + x], delta=1.0)

    def test_test_set_accuracy_equals_the_trainers(self):
        """The whole Fashion-MNIST test set (Debian's dataset-fashion-mnist; skipped without it):
        the C++ runtime's accuracy equals the one torch measured (the file's python_test_acc), for
        the prototype network and for its plain-softmax baseline."""
        src = "/usr/share/datasets/fashion-mnist"
        if not os.path.exists(os.path.join(src, "t10k-images-idx3-ubyte.gz")):
            self.skipTest("dataset-fashion-mnist is not installed")
        paths = []
        for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
            paths.append(os.path.join(self.tmp.name, name))
            with gzip.open(os.path.join(src, name + ".gz")) as f, open(paths[-1], "wb") as out:
                out.write(f.read())
        for model in (MODEL, BASELINE):
            meta = json.loads(run("info", model, "--json").stdout)["metadata"]
            out = json.loads(run("classify", model, paths[0], "--labels", paths[1], "--json").stdout)
            self.assertEqual(out["images"], 10000)
            self.assertAlmostEqual(out["accuracy"], float(meta["python_test_acc"]), delta=0.0002)

    def test_failures(self):
        r = run("classify", MODEL, os.path.join(self.tmp.name, "missing"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot open", r.stderr)
        gz = os.path.join(self.tmp.name, "x.gz")
        with open(gz, "wb") as f:
            f.write(b"\x1f\x8b\x08\x00rest")
        self.assertIn("gzip", run("classify", MODEL, gz).stderr)
        bad = os.path.join(self.tmp.name, "short-idx3-ubyte")
        with open(bad, "wb") as f:
            f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", 5, 28, 28) + b"\0" * 100)
        r = run("classify", MODEL, bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not match", r.stderr)
        wrong = os.path.join(self.tmp.name, "small-idx3-ubyte")
        write_idx(wrong, [[0] * 64], [1, 8, 8])
        self.assertIn("the model reads 1x28x28", run("classify", MODEL, wrong).stderr)
        self.assertEqual(run("classify", MODEL, self.images, "--limit", "0").returncode, 2)
        self.assertEqual(run("prototypes", MODEL, "--scale", "99").returncode, 2)
        r = run("prototypes", TRANSFORMER)
        self.assertEqual(r.returncode, 1)
        self.assertIn("wrong_model_kind", r.stderr)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK = sys.argv[1:sep]
    MODEL, GOLDENS, TRANSFORMER, BASELINE = sys.argv[sep + 1:sep + 5]
    unittest.main(argv=[sys.argv[0]], verbosity=2)
