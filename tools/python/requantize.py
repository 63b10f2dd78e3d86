#!/usr/bin/python3
"""Write a .cbk model again with other storage for its codebooks and weights, without the checkpoint.

    /usr/bin/python3 tools/python/requantize.py IN.cbk -o OUT.cbk [--codebook-dtype f32|f16|int8|f16-lossy|int8-lossy]
        [--weight-dtype f32|f16|int8]

--codebook-dtype as convert.py's: f16/int8 store the quantized table the search scans plus the f32
codes (results identical to the f32 file), the -lossy forms the table alone. --weight-dtype
quantizes the base model's matrices (embeddings, projections, LM head; norms and biases stay f32).
Everything else (architecture, tokenizer, annotations, metadata, generation defaults, extras) is
copied; metadata.extra gets codebook_dtype / weight_dtype. The source's values are used as they are:
requantizing an already quantized tensor cannot restore its f32 values (a warning lists them).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cbkfile.rewrite import load_as_writer, set_storage  # noqa: E402
from cbkfile.writer import CODEBOOK_DTYPES, WEIGHT_DTYPES  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="requantize.py", description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--codebook-dtype", default="f32", choices=CODEBOOK_DTYPES)
    ap.add_argument("--weight-dtype", default="f32", choices=WEIGHT_DTYPES)
    a = ap.parse_args(argv)
    try:
        w, lossy = load_as_writer(a.input)
    except (OSError, ValueError) as e:
        print("requantize.py: error: %s" % e, file=sys.stderr)
        return 1
    if lossy:
        print("requantize.py: warning: %d tensor(s) were already quantized in %s (e.g. %s); their values stay "
              "as quantized there" % (len(lossy), a.input, lossy[0]), file=sys.stderr)
    set_storage(w, a.codebook_dtype, a.weight_dtype)
    extra = w.metadata.setdefault("extra", {})
    extra["codebook_dtype"] = a.codebook_dtype
    if a.weight_dtype != "f32":
        extra["weight_dtype"] = a.weight_dtype
    else:
        extra.pop("weight_dtype", None)
    size = w.write(a.output)
    print("%s: %d bytes (codebooks %s, weights %s)" % (a.output, size, a.codebook_dtype, a.weight_dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
