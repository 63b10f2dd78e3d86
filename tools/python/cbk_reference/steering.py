"""Steering interventions (semantics doc §4), resolved per codebook group and ABSOLUTE position.

The reference indexes positions within the current forward call (with a KV cache: the new-token
window). Here every position is an absolute sequence position (0 = first prompt token), so a
steering spec means the same thing for prefill-then-decode and for one full forward pass.

JSON spec (also accepted by golden.py):
  {"interventions": [
     {"op": "force", "layer": 0, "site": "attn_preproj", "group": 1, "code": 5,
      "positions": "all", "slot": -1 | "all" | "append", "strength": 1.0},
     {"op": "disable", "layer": 0, "site": "mlp", "codes": [3, 7], "topn": 0,
      "positions": [2, [4, 6]], "mode": "keep" | "zero", "slots": []},
     {"op": "interchange", "layer": 0, "site": "attn_preproj", "group": 0, "position": 3, "ids": [12, 4]}],
   "bypass": [{"layer": 0, "site": "mlp"}, {"layer": 1, "site": "attn_preproj", "group": 2}]}
`group` omitted or null = every group of that codebook. `positions`: "all", "generated" (positions
at or after the end of the prompt, i.e. the first forward call of the session), or a list whose items
are ints or [start, stop) pairs. `slot` counts like Python (−1 = last, least similar). "disable top-n"
is a disable with `topn` n (codes may be empty). `slots` (zero mode only) blocks those slot indices,
like the reference's disable_sim_idx, at EVERY position (the reference ignores disable_for_tkns for them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union


@dataclass
class Positions:
    spec: Union[str, List[Union[int, Tuple[int, int]]]] = "all"

    @staticmethod
    def parse(v) -> "Positions":
        if v is None or v == "all":
            return Positions("all")
        if v == "generated":
            return Positions("generated")
        if isinstance(v, int):
            return Positions([v])
        items: List[Union[int, Tuple[int, int]]] = []
        for it in v:
            if isinstance(it, int):
                items.append(it)
            elif len(it) == 2:
                items.append((int(it[0]), int(it[1])))
            else:
                raise ValueError(f"bad position item {it!r}")
        return Positions(items)

    def contains(self, pos: int, n_prompt: int) -> bool:
        if self.spec == "all":
            return True
        if self.spec == "generated":
            return pos >= n_prompt
        for it in self.spec:
            if isinstance(it, (tuple, list)):
                if it[0] <= pos < it[1]:
                    return True
            elif it == pos:
                return True
        return False

    def to_json(self):
        return self.spec if isinstance(self.spec, str) else [list(i) if isinstance(i, tuple) else i for i in self.spec]


@dataclass
class Target:
    layer: int
    site: str
    group: Optional[int] = None  # None = all groups

    def matches(self, layer: int, site: str, group: int) -> bool:
        return self.layer == layer and self.site == site and (self.group is None or self.group == group)


@dataclass
class Force:
    target: Target
    code: int
    positions: Positions = field(default_factory=Positions)
    slot: Union[int, str] = -1  # int, "all" or "append"
    strength: float = 1.0


@dataclass
class Disable:
    target: Target
    codes: List[int] = field(default_factory=list)
    topn: int = 0
    positions: Positions = field(default_factory=Positions)
    mode: str = "keep"  # "keep": next-best codes fill in; "zero": blocked slots become id -1 / zero vector
    slots: List[int] = field(default_factory=list)  # zero mode: slot indices blocked (disable_sim_idx)


@dataclass
class Interchange:
    target: Target
    position: int
    ids: List[int]


Intervention = Union[Force, Disable, Interchange]


@dataclass
class Steering:
    interventions: List[Intervention] = field(default_factory=list)
    bypass: List[Target] = field(default_factory=list)

    def for_group(self, layer: int, site: str, group: int) -> List[Intervention]:
        return [iv for iv in self.interventions if iv.target.matches(layer, site, group)]

    def bypassed(self, layer: int, site: str, group: int) -> bool:
        return any(t.matches(layer, site, group) for t in self.bypass)

    @staticmethod
    def from_json(d: Optional[dict]) -> "Steering":
        if not d:
            return Steering()
        out = Steering()
        for e in d.get("interventions", []):
            t = Target(int(e["layer"]), e["site"], None if e.get("group") is None else int(e["group"]))
            op = e["op"]
            if op == "force":
                slot = e.get("slot", -1)
                if slot not in ("all", "append"):
                    slot = int(slot)
                out.interventions.append(Force(t, int(e["code"]), Positions.parse(e.get("positions", "all")),
                                               slot, float(e.get("strength", 1.0))))
            elif op == "disable":
                mode = e.get("mode", "keep")
                if mode not in ("keep", "zero"):
                    raise ValueError(f"bad disable mode {mode!r}")
                out.interventions.append(Disable(t, [int(c) for c in e.get("codes", [])], int(e.get("topn", 0)),
                                                 Positions.parse(e.get("positions", "all")), mode,
                                                 [int(s) for s in e.get("slots", [])]))
            elif op == "interchange":
                out.interventions.append(Interchange(t, int(e["position"]), [int(c) for c in e["ids"]]))
            else:
                raise ValueError(f"unknown steering op {op!r}")
        for e in d.get("bypass", []):
            out.bypass.append(Target(int(e["layer"]), e["site"], None if e.get("group") is None else int(e["group"])))
        return out


def interchange_from_trace(trace, layer: int, site: str, group: int, src_pos: int, dst_pos: int) -> Interchange:
    """Copy every slot id recorded at src_pos (in a donor run's trace) into position dst_pos."""
    ids = trace.ids(layer, site, group)[src_pos]
    return Interchange(Target(layer, site, group), dst_pos, list(ids))
