#!/usr/bin/python3
"""The story-model fixture of the demo's browser tests: trains the story recipe (tools/python/train_stories.py)
at a tiny size (1 layer, 8 heads, k = 8, as models/stories.cbk is shaped; a few seconds on one thread), writes
a topics.json and a code_annotations.json with fixed topic codes, converts the run to OUT_DIR/stories.cbk, and
reads the annotations back from the file's FlatBuffers header (the generated Python classes of schema/cbk.fbs,
not the library) into OUT_DIR/stories.annotations.json: what the tests expect the page to find.

    /usr/bin/python3 web/test/browser/make_stories_fixture.py OUT_DIR

The topic codes are not found by a search (the model is far too small to have topics); they only give the
page something to steer with. The set covers what the page must get right: a topic whose codes sit in two
heads and alternate between them (dragon), one head with two codes (flower), one code (fire), a "topic:"
label without a regex (ghost: no button), a regex without codes (moon: no button), and a plain label.
A model this small has near-identical code vectors and an attention path that hardly matters, so forcing any
code leaves the sampled tokens unchanged; the script therefore makes each topic code loud before converting
(its vector = -20 x the mean code of its head, which no token selects by itself, and the attention output
projection x4), so that steering visibly changes the continuation.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "..", "tools", "python")
TINY = ["--threads", "1", "--vocab-size", "400", "--bpe-stories", "400", "--train-stories", "400",
        "--heldout-stories", "30", "--d-model", "32", "--n-layers", "1", "--n-heads", "8", "--d-mlp", "64",
        "--context", "64", "--window-size", "16", "--base-steps", "40", "--base-batch", "8", "--base-warmup", "5",
        "--num-codes", "64", "--k", "8", "--kmeans-seqs", "32", "--ft-steps", "20", "--ft-batch", "8",
        "--ft-warmup", "5", "--log-every", "100"]

TOPICS = {"dragon": r"\bdragons?\b", "flower": r"\bflowers?\b", "fire": r"\bfire\b", "moon": r"\bmoon\b"}
# (head, code, label) in file order.
ANNOTATIONS = [(0, 5, "topic: dragon"), (1, 3, "topic: dragon"), (0, 9, "topic: dragon"),
               (2, 7, "topic: flower"), (2, 8, "topic: flower"),
               (5, 1, "topic: fire"),
               (4, 2, "topic: ghost"),
               (3, 4, "common: the")]


def main(out_dir: str) -> int:
    run = os.path.join(out_dir, "stories-run")
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "train_stories.py"), "--out", run] + TINY,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
        return 1
    with open(os.path.join(run, "topics.json"), "w") as f:
        json.dump({"topics": {name: {"regex": regex} for name, regex in TOPICS.items()}}, f, indent=1)
    make_topic_codes_loud(os.path.join(run, "model.safetensors"))
    notes = [{"layer": 0, "site": "attn_preproj", "group": head, "code": code, "label": label,
              "description": "test fixture (not a real topic code)", "frequency": 0.1, "top_contexts": []}
             for head, code, label in ANNOTATIONS]
    with open(os.path.join(run, "code_annotations.json"), "w") as f:
        json.dump({"annotations": notes}, f, indent=1)
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py"), run, "-o", os.path.join(out_dir, "stories.cbk"),
                        "--add-bos", "--name", "stories-fixture"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return 1
    with open(os.path.join(out_dir, "stories.annotations.json"), "w") as f:
        json.dump(read_annotations(os.path.join(out_dir, "stories.cbk")), f, indent=1)
    return 0


def make_topic_codes_loud(path: str):
    """Edits the run's model.safetensors in place (the format: u64 header size, JSON header, raw data)."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])

    def edit(key, change):
        start, end = (8 + n + o for o in header[key]["data_offsets"])
        w = np.frombuffer(bytes(data[start:end]), dtype="<f4").reshape(header[key]["shape"]).copy()
        change(w)
        data[start:end] = w.astype("<f4").tobytes()

    attn = "model.transformer.h.0.attn.attention."
    for head, code, label in ANNOTATIONS:
        if label.startswith("topic: "):
            edit(attn + "codebook_layer.codebook.%d.codebook.weight" % head, lambda w, c=code: w.__setitem__(c, -20 * w.mean(0)))
    edit(attn + "out_proj.weight", lambda w: w.__imul__(4))
    with open(path, "wb") as f:
        f.write(data)


def read_annotations(path: str):
    """[{codebook, group, code, label}] in file order, straight from the header."""
    sys.path.insert(0, TOOLS)
    from cbkfile.reader import read_annotations as read
    return [{k: a[k] for k in ("codebook", "group", "code", "label")} for a in read(path)]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_stories_fixture.py OUT_DIR")
    sys.exit(main(sys.argv[1]))
