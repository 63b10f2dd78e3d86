#!/usr/bin/python3
"""Train the TokFSM codebook model (issue 5) and write a codebook-features checkpoint directory.

    /usr/bin/python3 tools/python/train_tokfsm.py --out build-tokfsm/run [--threads N] [--base-steps N] ...

Rerunning with the same --out and recipe resumes from OUT/resume.pt. Recipe and timings:
tools/python/tokfsm/README.md.
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cbktrain.cli import main
    main("tokfsm.recipe", __doc__)
