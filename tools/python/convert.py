#!/usr/bin/python3
"""Convert a codebook-features checkpoint directory into a .cbk model file.

    /usr/bin/python3 tools/python/convert.py CHECKPOINT_DIR -o model.cbk [--base-config PATH]
        [--codebook-dtype f32|f16|int8|f16-lossy|int8-lossy] [--weight-dtype f32|f16|int8] [--tokenizer auto|digits|none] [--tokenizer-dir DIR]
        [--prefer safetensors|bin] [--name N] [--description D] [--license L] [--source S]
        [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--add-bos|--no-add-bos]

CHECKPOINT_DIR holds config.json (model_type "codebook"), model.safetensors or pytorch_model.bin
(torch is imported only for .bin), the tokenizer files, and by default the base model's config at
base/config.json. Errors are one line on stderr and exit status 1.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cbkconvert import CONVERTER_VERSION, ConversionError  # noqa: E402
from cbkconvert.pipeline import CODEBOOK_DTYPES, WEIGHT_DTYPES, Options, convert  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="convert.py", description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", help="codebook-features checkpoint directory")
    ap.add_argument("-o", "--output", required=True, help="the .cbk file to write")
    ap.add_argument("--base-config", help="base model config.json (default: CHECKPOINT/base/config.json)")
    ap.add_argument("--codebook-dtype", default="f32", choices=CODEBOOK_DTYPES,
                    help="f16/int8: a quantized table scanned with f32 rescoring, results identical to f32 "
                         "(file grows by the quantized table); f16-lossy/int8-lossy: the quantized table "
                         "only (smaller file, code ids may differ from the checkpoint's)")
    ap.add_argument("--weight-dtype", default="f32", choices=WEIGHT_DTYPES,
                    help="the base model's weight matrices (int8: one f32 scale per row); lossy unless f32")
    ap.add_argument("--tokenizer", default="auto", choices=("auto", "digits", "none"),
                    help="auto: tokenizer.json or vocab.json+merges.txt; digits: the TokFSM vocabulary")
    ap.add_argument("--tokenizer-dir", help="where the tokenizer files are (default: the checkpoint)")
    bos = ap.add_mutually_exclusive_group()
    bos.add_argument("--add-bos", dest="add_bos", action="store_true", default=None)
    bos.add_argument("--no-add-bos", dest="add_bos", action="store_false")
    ap.add_argument("--prefer", default="safetensors", choices=("safetensors", "bin"),
                    help="weights file to read when both exist")
    ap.add_argument("--name")
    ap.add_argument("--description")
    ap.add_argument("--license")
    ap.add_argument("--source", help="recorded as the source checkpoint (default: the directory's path)")
    for flag, kind in (("--max-new-tokens", int), ("--temperature", float), ("--top-k", int), ("--top-p", float),
                       ("--seed", int)):
        ap.add_argument(flag, type=kind, help="generation default")
    ap.add_argument("--version", action="version", version="%(prog)s " + CONVERTER_VERSION)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    opts = Options(checkpoint=a.checkpoint, output=a.output, base_config=a.base_config, tokenizer_dir=a.tokenizer_dir,
                   tokenizer=a.tokenizer, add_bos=a.add_bos, codebook_dtype=a.codebook_dtype,
                   weight_dtype=a.weight_dtype, prefer=a.prefer,
                   name=a.name, description=a.description, license=a.license, source=a.source,
                   generation={"max_new_tokens": a.max_new_tokens, "temperature": a.temperature, "top_k": a.top_k,
                               "top_p": a.top_p, "seed": a.seed})
    try:
        info = convert(opts)
    except ConversionError as e:
        print("convert.py: error: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:  # unreadable inputs, unwritable output
        print("convert.py: error: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: %d bytes, %d base tensors, %d codebooks" % (info["output"], info["bytes"], info["tensors"],
                                                                   info["codebooks"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
