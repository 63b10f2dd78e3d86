"""The template language of the story grammar, its expansion and its size.

A template is text with two kinds of choice points:
  {name}        a draw from the pool `name` (pool entries are templates themselves, so pools nest);
                {a:name} puts "a"/"an" before the drawn words, {pl:name} pluralises the draw;
                character slots ({N}, {He}, {his}, ...) come from the story's cast (a dict of strings)
  [x|y|z]       one of the alternatives (no nesting of brackets; alternatives may hold {slots})
Everything else is literal text. Expansion is driven by a random.Random, so a seed fixes the text.
"""

from __future__ import annotations

import random
import re
from typing import Dict, Iterable, List, Mapping, Sequence

_TOKEN = re.compile(r"\{([a-z]+:)?([A-Za-z_]+)\}|\[([^\[\]]*)\]")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")

IRREGULAR_PLURALS = {
    "mouse": "mice", "goose": "geese", "sheep": "sheep", "deer": "deer", "fish": "fish", "child": "children",
    "tooth": "teeth", "foot": "feet", "man": "men", "woman": "women", "leaf": "leaves", "wolf": "wolves",
    "knife": "knives", "moose": "moose", "person": "people", "shelf": "shelves", "loaf": "loaves",
}


def plural(noun: str) -> str:
    """English plural of a noun phrase's last word (enough for the lexicon's words)."""
    head, _, last = noun.rpartition(" ")
    if last in IRREGULAR_PLURALS:
        p = IRREGULAR_PLURALS[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return (head + " " if head else "") + p


def article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" and not phrase.startswith(("uni", "use", "one")) else "a ") + phrase


class Grammar:
    """Pools of templates; expands templates with a cast of character slots."""

    def __init__(self, pools: Mapping[str, Sequence[str]]):
        self.pools: Dict[str, List[str]] = {k: list(v) for k, v in pools.items()}

    def expand(self, template: str, rng: random.Random, cast: Mapping[str, str], depth: int = 0) -> str:
        if depth > 8:
            raise ValueError(f"template nesting too deep: {template!r}")

        def sub(m: re.Match) -> str:
            if m.group(3) is not None:
                return self.expand(rng.choice(m.group(3).split("|")), rng, cast, depth + 1)
            mod, name = m.group(1), m.group(2)
            if name in cast:
                text = cast[name]
            elif name in self.pools:
                text = self.expand(rng.choice(self.pools[name]), rng, cast, depth + 1)
            else:
                raise KeyError(f"unknown slot {{{name}}} in {template!r}")
            if mod == "a:":
                return article(text)
            if mod == "pl:":
                return plural(text)
            return text

        return _TOKEN.sub(sub, template)

    def slots_of(self, template: str) -> List[str]:
        return [m.group(2) for m in _TOKEN.finditer(template) if m.group(2)]


def count_productions(templates: Iterable[str]) -> int:
    """Choice points' alternatives: one per template plus one per [a|b] alternative beyond the first."""
    n = 0
    for t in templates:
        n += 1
        for m in _TOKEN.finditer(t):
            if m.group(3) is not None:
                n += len(m.group(3).split("|")) - 1
    return n


def terminal_words(templates: Iterable[str]) -> set:
    """Lower-case words written literally in templates (slots removed, every [a|b] alternative kept),
    with the plural of one-word pool entries added where a {pl:...} slot may produce it."""
    words = set()
    for t in templates:
        literal = re.sub(r"\{[^}]*\}", " ", t).replace("[", " ").replace("]", " ").replace("|", " ")
        words.update(w.lower() for w in _WORD.findall(literal))
    return words


def sentence_case(text: str) -> str:
    """Upper-case the first letter of the text (after any opening quote)."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
    return text


def words_of(text: str) -> List[str]:
    return [w.lower() for w in _WORD.findall(text)]
