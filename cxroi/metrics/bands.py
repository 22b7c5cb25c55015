"""Score bands: named integer ranges on a scale, checked to partition it.

A band is ``(low, high)``, both ends included. Answers are whole numbers, so bands partition a scale when
every integer of the scale falls in exactly one band: no overlaps, no gaps, nothing outside the scale.
(A tool once let 6.5 and 8.5 fall between bands; whole-number answers and this check rule that out.)
"""

from __future__ import annotations

from collections.abc import Mapping

Range = tuple[int, int]


def band_problems(scale: Range, bands: Mapping[str, Range | None], *, partition: bool = True) -> list[str]:
    """Return what is wrong with ``bands`` on ``scale`` (empty when they are fine)."""
    low, high = scale
    problems: list[str] = []
    if low >= high:
        return [f"scale [{low}, {high}] must run from a lower to a higher number"]
    owner: dict[int, str] = {}
    for name, band in bands.items():
        if band is None:
            continue
        a, b = band
        if a > b:
            problems.append(f"{name} [{a}, {b}] runs backwards")
            continue
        if a < low or b > high:
            problems.append(f"{name} [{a}, {b}] falls outside the scale [{low}, {high}]")
            continue
        for v in range(a, b + 1):
            if v in owner:
                problems.append(f"{name} [{a}, {b}] overlaps {owner[v]} at {v}")
                break
            owner[v] = name
    if partition and not problems:
        gaps = [v for v in range(low, high + 1) if v not in owner]
        if gaps:
            problems.append(
                f"bands leave a gap at {', '.join(map(str, gaps[:5]))} on the scale [{low}, {high}]"
            )
    return problems


def band_lookup(scale: Range, bands: Mapping[str, Range | None]) -> dict[str, list[int]]:
    """For each band, the 0-based scale positions it covers."""
    low = scale[0]
    return {name: list(range(b[0] - low, b[1] - low + 1)) for name, b in bands.items() if b is not None}
