"""English noun phrases for CLEVR objects and sets of objects, in CLEVR's word order.

A *filter* maps some of the attributes (size, color, material, shape) to values; its phrase is
"large red metal cube", "small rubber object", or "objects" when empty. Objects are the dicts of
a CLEVR scene JSON (`objects[i]` with `shape`, `color`, `material`, `size`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

PHRASE_ORDER: tuple[str, ...] = ("size", "color", "material", "shape")
# Other words a person may use for an attribute value; graded as correct for attribute queries.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "cube": ("block",),
    "sphere": ("ball",),
    "cylinder": (),
    "metal": ("metallic", "shiny"),
    "rubber": ("matte",),
    "large": ("big",),
    "small": ("tiny",),
}

Filter = Mapping[str, str]


def matches(obj: Mapping[str, Any], flt: Filter) -> bool:
    return all(obj.get(attribute) == value for attribute, value in flt.items())


def count(objects: Sequence[Mapping[str, Any]], flt: Filter) -> int:
    return sum(1 for obj in objects if matches(obj, flt))


def phrase(flt: Filter, plural: bool = False) -> str:
    """The noun phrase of a filter ("large red cube", "metal objects")."""
    words = [flt[a] for a in PHRASE_ORDER[:3] if a in flt]
    noun = flt.get("shape", "object")
    words.append(noun + "s" if plural else noun)
    return " ".join(words)


def full_filter(obj: Mapping[str, Any]) -> dict[str, str]:
    """All four attributes of an object."""
    return {attribute: str(obj[attribute]) for attribute in PHRASE_ORDER}


def unique_filter(objects: Sequence[Mapping[str, Any]], index: int) -> dict[str, str] | None:
    """The shortest filter (first in a fixed order) that only object `index` matches; None when
    another object has the same four attributes."""
    obj = full_filter(objects[index])
    for size in range(1, len(PHRASE_ORDER) + 1):
        for attributes in itertools.combinations(PHRASE_ORDER, size):
            flt = {a: obj[a] for a in attributes}
            if count(objects, flt) == 1:
                return flt
    return None
