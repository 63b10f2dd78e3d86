"""Corpus splits: story i of a split with seed s is make_story(Random("stories:s:i")), so any story can
be regenerated alone and the splits of two seeds are independent draws.

    /usr/bin/python3 -m stories.corpus --split heldout -n 1000 -o heldout.jsonl   (from tools/python)

writes one JSON object per line: {"text": ..., "topics": [main, second?]}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Iterator, List

from .grammar import Story, make_story

TRAIN_SEED = 1
HELDOUT_SEED = 2
SPLIT_SEEDS = {"train": TRAIN_SEED, "heldout": HELDOUT_SEED}


def story(seed: int, index: int) -> Story:
    return make_story(random.Random(f"stories:{seed}:{index}"))


def stories(n: int, seed: int, start: int = 0) -> Iterator[Story]:
    for i in range(start, start + n):
        yield story(seed, i)


def split(name: str, n: int) -> List[Story]:
    return list(stories(n, SPLIT_SEEDS[name]))


def write_jsonl(path: str, items) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for s in items:
            f.write(json.dumps({"text": s.text, "topics": list(s.topics)}) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="write a split of the story corpus as JSON lines")
    ap.add_argument("--split", choices=sorted(SPLIT_SEEDS), default="train")
    ap.add_argument("--seed", type=int, help="overrides the split's seed")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    seed = a.seed if a.seed is not None else SPLIT_SEEDS[a.split]
    write_jsonl(a.output, stories(a.n, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
