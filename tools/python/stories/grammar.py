"""One story from a seed: a cast, a main topic and maybe a second one, and the shape
opening -> everyday life -> the topic arrives -> events and dialogue -> problem -> resolution -> ending.

`make_story(rng)` returns a Story (text, topics, word count). Stories have MIN_WORDS..MAX_WORDS words;
the assembler adds everyday sentences to short drafts and drops optional ones from long drafts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .lexicon import BOY_NAMES, GIRL_NAMES, PET_NAMES, POOLS
from .template import Grammar, sentence_case, words_of
from .topics import TOPICS, Topic

MIN_WORDS, MAX_WORDS = 60, 250
SECOND_TOPIC_P = 0.5        # a second topic takes part in half of the stories
SECOND_SOLVES_P = 0.3       # ... and then sometimes solves the problem (its solution template)

KIDS = {"she": ["girl", "little girl", "bunny", "kitten", "mouse", "duckling"],
        "he": ["boy", "little boy", "puppy", "bunny", "mouse", "fox"]}
PRONOUNS = {"she": {"He": "She", "he": "she", "his": "her", "His": "Her", "him": "her"},
            "he": {"He": "He", "he": "he", "his": "his", "His": "His", "him": "him"}}
# The kinds of heroes above must not carry a topic keyword ("kitten" is the cat topic's word).
KIDS["she"].remove("kitten")
KIDS["he"].remove("puppy")


@dataclass(frozen=True)
class Story:
    text: str
    topics: Tuple[str, ...]   # main topic first
    words: int


def build_grammar(topics: Sequence[Topic] = TOPICS) -> Grammar:
    pools: Dict[str, List[str]] = {k: list(v) for k, v in POOLS.items()}
    for t in topics:
        for name, entries in t.pools.items():
            if name in pools and pools[name] != list(entries):
                raise ValueError(f"topic {t.name}: pool {name!r} is already defined")
            pools[name] = list(entries)
    return Grammar(pools)


GRAMMAR = build_grammar()


def make_cast(rng: random.Random) -> Dict[str, str]:
    sex = rng.choice(("she", "he"))
    name = rng.choice(GIRL_NAMES if sex == "she" else BOY_NAMES)
    friend = rng.choice([n for n in GIRL_NAMES + BOY_NAMES if n != name])
    cast = {"N": name, "F": friend, "P": rng.choice(PET_NAMES), "kid": rng.choice(KIDS[sex])}
    cast.update(PRONOUNS[sex])
    return cast


def _sentences(rng: random.Random, cast, parts: List[Tuple[str, bool]]) -> List[Tuple[str, bool]]:
    return [(sentence_case(GRAMMAR.expand(t, rng, cast)), optional) for t, optional in parts]


def draft(rng: random.Random, main: Topic, second: Optional[Topic], cast) -> List[Tuple[str, bool]]:
    """(template, optional) in story order; optional parts may be dropped to meet MAX_WORDS."""
    P = POOLS
    parts: List[Tuple[str, bool]] = [(rng.choice(P["opening"]), False)]
    parts += [(t, True) for t in rng.sample(P["daily"], rng.randint(1, 2))]
    parts.append((rng.choice(main.intro), False))
    parts += [(t, i > 0) for i, t in enumerate(rng.sample(main.events, rng.randint(1, 3)))]
    parts += [(t, True) for t in rng.sample(P["filler"], rng.randint(0, 4))]
    parts.append((rng.choice(main.talk), rng.random() < 0.5))
    if rng.random() < 0.5:
        parts.append((rng.choice(P["talk"]), True))
    if second is not None:
        parts.append((rng.choice(second.mentions + second.intro[:1]), False))
        if rng.random() < 0.4:
            parts.append((rng.choice(second.events), True))
    if rng.random() < 0.5:
        parts.append((rng.choice(P["problem_open"]), True))
    parts.append((rng.choice(main.problems), False))
    parts.append(("{N} felt {bad_feeling}.", True))
    if rng.random() < 0.6:
        parts.append((rng.choice(P["resolve_open"]), True))
    parts.append((rng.choice(main.solutions), False))
    if second is not None and rng.random() < SECOND_SOLVES_P:
        parts.append((rng.choice(second.talk), True))
    elif rng.random() < 0.5:
        parts.append((rng.choice(main.talk), True))
    parts += [(t, i > 0) for i, t in enumerate(rng.sample(P["ending"], rng.randint(1, 2)))]
    return parts


def make_story(rng: random.Random, topics: Sequence[Topic] = TOPICS) -> Story:
    main = rng.choice(topics)
    second = rng.choice([t for t in topics if t is not main]) if rng.random() < SECOND_TOPIC_P else None
    cast = make_cast(rng)
    sents = _sentences(rng, cast, draft(rng, main, second, cast))
    count = lambda ss: sum(len(words_of(s)) for s, _ in ss)  # noqa: E731
    while count(sents) < MIN_WORDS:  # add everyday sentences before the problem
        at = max(2, len(sents) // 2)
        sents.insert(at, (sentence_case(GRAMMAR.expand(rng.choice(POOLS["filler"]), rng, cast)), True))
    while count(sents) > MAX_WORDS:
        drop = [i for i, (_, opt) in enumerate(sents) if opt]
        if not drop:
            break
        del sents[rng.choice(drop)]
    text = " ".join(s for s, _ in sents)
    return Story(text=text, topics=(main.name,) + ((second.name,) if second else ()), words=len(words_of(text)))
