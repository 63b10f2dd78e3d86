"""Per-token record of the codes every codebook group selected (slot order) and their scores."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

Key = Tuple[int, str, int]  # (layer, site, group)


class Trace:
    def __init__(self):
        # key -> {absolute position: (ids, scores)}
        self._rows: Dict[Key, Dict[int, Tuple[List[int], List[Optional[float]]]]] = {}

    def record(self, layer: int, site: str, group: int, positions, ids, scores):
        rows = self._rows.setdefault((layer, site, group), {})
        for p, i, s in zip(positions, ids, scores):
            rows[int(p)] = (list(i), list(s))

    def keys(self) -> List[Key]:
        return sorted(self._rows, key=lambda k: (k[0], k[1], k[2]))

    def ids(self, layer: int, site: str, group: int) -> List[List[int]]:
        rows = self._rows[(layer, site, group)]
        return [rows[p][0] for p in sorted(rows)]

    def scores(self, layer: int, site: str, group: int) -> List[List[Optional[float]]]:
        rows = self._rows[(layer, site, group)]
        return [rows[p][1] for p in sorted(rows)]

    def positions(self, layer: int, site: str, group: int) -> List[int]:
        return sorted(self._rows[(layer, site, group)])

    def to_json(self, site_order: Optional[Dict[Tuple[int, str], int]] = None) -> List[dict]:
        out = []
        for layer, site, group in self.keys():
            out.append({"layer": layer, "site": site, "group": group,
                        "positions": self.positions(layer, site, group),
                        "ids": self.ids(layer, site, group), "scores": self.scores(layer, site, group)})
        return out
