"""The grammar's size and sample stories, as the README shows them (the README block is this script's
output; tests/python/test_stories_corpus.py checks that it is up to date).

    cd tools/python && /usr/bin/python3 -m stories.stats [--update-readme]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, List

from . import corpus
from .grammar import KIDS, PRONOUNS
from .lexicon import BOY_NAMES, GIRL_NAMES, PET_NAMES, POOLS
from .template import count_productions, plural, terminal_words, words_of
from .topics import TOPICS

SAMPLE_STORIES = 2000  # corpus figures are measured on the first stories of the training split
N_SAMPLES = 10
_PL = re.compile(r"\{pl:([A-Za-z_]+)\}")


def all_templates() -> List[str]:
    out = [t for pool in POOLS.values() for t in pool]
    out += [k for kinds in KIDS.values() for k in kinds] + [p for ps in PRONOUNS.values() for p in ps.values()]
    for t in TOPICS:
        out += [x for pool in t.pools.values() for x in pool]
        out += t.intro + t.events + t.problems + t.solutions + t.talk + t.mentions
    return out


def grammar_words() -> set:
    """Every word the grammar can write, names excluded (plurals of pools used with {pl:...} included)."""
    templates = all_templates()
    words = terminal_words(templates)
    pooled = {name for t in templates for name in _PL.findall(t)}
    pools = dict(POOLS)
    for t in TOPICS:
        pools.update(t.pools)
    for name in pooled:
        words |= terminal_words(plural(e) for e in pools[name] if "{" not in e)
    return words - names()


def names() -> set:
    """Character and pet names, also in the possessive ("Mia's")."""
    plain = {n.lower() for n in GIRL_NAMES + BOY_NAMES + PET_NAMES}
    return plain | {n + "'s" for n in plain}


def figures() -> Dict[str, int]:
    sample = list(corpus.stories(SAMPLE_STORIES, corpus.TRAIN_SEED))
    seen = set()
    for s in sample:
        seen.update(words_of(s.text))
    return {
        "topics": len(TOPICS),
        "grammar_words": len(grammar_words()),
        "names": len(GIRL_NAMES + BOY_NAMES + PET_NAMES),
        "productions": count_productions(all_templates()),
        "pools": len(POOLS) + sum(len(t.pools) for t in TOPICS),
        "topic_templates": sum(len(t.intro + t.events + t.problems + t.solutions + t.talk + t.mentions) for t in TOPICS),
        "sample_stories": SAMPLE_STORIES,
        "sample_distinct_words": len(seen - names()),
        "sample_min_words": min(s.words for s in sample),
        "sample_mean_words": round(sum(s.words for s in sample) / len(sample)),
        "sample_max_words": max(s.words for s in sample),
        "sample_two_topics_pct": round(100 * sum(len(s.topics) == 2 for s in sample) / len(sample)),
    }


def report() -> str:
    f = figures()
    lines = [
        "| figure | value |", "|---|---|",
        f"| topics | {f['topics']} |",
        f"| words the grammar can write (names excluded) | {f['grammar_words']} |",
        f"| character and pet names | {f['names']} |",
        f"| productions (templates and pool entries, plus each extra `[a\\|b]` alternative) | {f['productions']} |",
        f"| pools (generic and topic) | {f['pools']} |",
        f"| topic templates (intro, events, problems, solutions, dialogue, mentions) | {f['topic_templates']} |",
        f"| distinct words in the first {f['sample_stories']} training stories (names excluded) | {f['sample_distinct_words']} |",
        f"| words per story there: min / mean / max | {f['sample_min_words']} / {f['sample_mean_words']} / {f['sample_max_words']} |",
        f"| stories with two topics there | {f['sample_two_topics_pct']} % |",
        "", f"Held-out stories 0-{N_SAMPLES - 1} (seed {corpus.HELDOUT_SEED}):", "",
    ]
    for i, s in enumerate(corpus.stories(N_SAMPLES, corpus.HELDOUT_SEED)):
        lines.append(f"{i + 1}. *{' + '.join(s.topics)}, {s.words} words.* {s.text}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


README = Path(__file__).with_name("README.md")
_BLOCK = re.compile(r"(<!-- stats.py begin -->\n).*(<!-- stats.py end -->)", re.S)


def readme_block(text: str) -> str:
    m = _BLOCK.search(text)
    if not m:
        raise ValueError("README.md has no stats.py block")
    return text[m.end(1):m.start(2)]


if __name__ == "__main__":
    if "--update-readme" in sys.argv[1:]:
        text = README.read_text(encoding="utf-8")
        readme_block(text)
        README.write_text(_BLOCK.sub(lambda m: m.group(1) + report() + m.group(2), text), encoding="utf-8")
    else:
        sys.stdout.write(report())
