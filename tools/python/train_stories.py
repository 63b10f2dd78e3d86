#!/usr/bin/python3
"""Train the story codebook model (issue 14) and write a codebook-features checkpoint directory.

    /usr/bin/python3 tools/python/train_stories.py --out /work/stories-runs/run1 [--threads N] [--base-steps N] ...

Rerunning with the same --out and recipe resumes from OUT/resume.pt. Recipe and timings:
tools/python/stories/README.md.
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cbktrain.cli import main
    main("stories.recipe", __doc__)
