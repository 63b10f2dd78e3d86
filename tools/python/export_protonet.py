#!/usr/bin/python3
"""Export a train_protonet.py run: the prototype network and the baseline as .cbk files, and the
parity goldens (a few test images and torch's float64 outputs) for tests/parity.

    /usr/bin/python3 tools/python/export_protonet.py --run build-protonet/run1 \\
        --model models/protonet-fashion.cbk --baseline build-protonet/baseline.cbk \\
        --goldens tests/parity/protonet/goldens.json --golden-images 24
"""

import argparse
import json
import os
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--model")
    ap.add_argument("--baseline")
    ap.add_argument("--goldens")
    ap.add_argument("--golden-images", type=int, default=24)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from protonet import export
    from protonet.data import FASHION_DIR, read_idx

    def summary(kind):
        path = os.path.join(args.run, kind, "summary.json")
        return json.load(open(path)) if os.path.exists(path) else {}

    if args.model:
        n = export.write_cbk("protonet", os.path.join(args.run, "protonet", "final.pt"), args.model, summary("protonet"))
        print(f"wrote {args.model} ({n} bytes)")
    if args.baseline:
        n = export.write_cbk("baseline", os.path.join(args.run, "baseline", "final.pt"), args.baseline, summary("baseline"))
        print(f"wrote {args.baseline} ({n} bytes)")
    if args.goldens:
        images = read_idx(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz"))[:args.golden_images]
        labels = read_idx(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz"))[:args.golden_images]
        export.goldens(os.path.join(args.run, "protonet", "final.pt"), images, labels, args.goldens)
        print(f"wrote {args.goldens}")


if __name__ == "__main__":
    main()
