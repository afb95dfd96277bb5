"""Reading a CLEVR-style question written by anyone (a model's questioner) back into one of the
generator's seven families, and answering it exactly from the scene JSON.

VisPlay's questioner writes its own questions, so they have no generator answer; the proof's
answerability and silver-label accuracy need one. A question is *checkable* when its whole text
is one of the families' sentence forms (`clevr_questions`) over noun phrases of CLEVR words, and
every object named with "the" is exactly one object of the scene. The reader is lenient where the
meaning stays exact: a singular noun where a plural belongs ("Are there any small blue object?"),
"How many red cubes?" without "are there", adjectives in any order, synonyms ("ball", "grey",
"shiny"), a shape word before "objects" ("sphere objects"), "Is" for "Does" and a dropped "the"
in a comparison, a filter in a spatial count ("How many large objects are behind the red
cube?"), and CLEVR's same-attribute count ("How many green objects have the same size as the
cube?", the cube itself left out).
Anything else is not checkable (`Reading.answer` is None, with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.data.clevr.vocab import ATTRIBUTES, attribute_values
from zeroplay.eval.suites.clevr_language import SYNONYMS, count, matches
from zeroplay.eval.suites.clevr_questions import COLOR_SYNONYMS, RELATION_PHRASES, yes_no

Scene = Mapping[str, Any]
Filter = dict[str, str]

# every word that names an attribute value, mapped to (attribute, value)
_WORDS: dict[str, tuple[str, str]] = {}
for _attribute in ATTRIBUTES:
    for _value in attribute_values(_attribute):
        for _word in (_value, *SYNONYMS.get(_value, ()), *COLOR_SYNONYMS.get(_value, ())):
            _WORDS[_word] = (_attribute, _value)
_GENERIC_NOUNS = ("object", "thing")
_RELATIONS = {phrase: relation for relation, phrase in RELATION_PHRASES.items()}
_RELATION = "|".join(sorted(_RELATIONS, key=len, reverse=True))
_ATTRIBUTE = "size|colou?r|material|shape"

# (family, pattern): tried in order; the first whose every noun phrase reads wins.
_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern))
    for family, pattern in (
        ("spatial_count", rf"how many (?P<a>.+?) (?:are )?(?P<rel>{_RELATION}) the (?P<b>.+)"),
        ("count", r"how many (?P<a>.+?)(?: are there)?"),
        ("exist", r"are there any (?P<a>.+)"),
        ("compare_count", r"are there (?P<form>more|fewer) (?P<a>.+?) than (?P<b>.+)"),
        ("compare_count", r"are there the same number of (?P<a>.+?) and (?P<b>.+)"),
        ("query_attribute", rf"what (?P<attr>{_ATTRIBUTE}) is the (?P<a>.+)"),
        (
            "compare_attribute",
            rf"(?:does|is) the (?P<a>.+?) have the same (?P<attr>{_ATTRIBUTE}) as (?:the )?(?P<b>.+)",
        ),
        (
            "count_same",
            rf"how many (?P<a>.+?) (?:have|has) the same (?P<attr>{_ATTRIBUTE}) as (?:the )?(?P<b>.+)",
        ),
        ("spatial", rf"is the (?P<a>.+?) (?P<rel>{_RELATION}) (?:the )?(?P<b>.+)"),
    )
)


@dataclass(frozen=True)
class Reading:
    """What a question asks of a scene: its family and exact answer, or why there is none."""

    family: str | None
    answer: str | None
    reason: str = ""

    @property
    def checkable(self) -> bool:
        return self.answer is not None


def noun_phrase(text: str) -> Filter | None:
    """The filter a noun phrase names ("large red metal cubes" -> size, color, material,
    shape), or None when a word is not a CLEVR attribute word or an attribute repeats. The noun
    comes last: a shape word, or "object(s)"/"thing(s)" for any shape."""
    words = text.split()
    if not words:
        return None
    *adjectives, noun = words
    flt: Filter = {}
    singular = noun[:-1] if noun.endswith("s") else noun
    if singular not in _GENERIC_NOUNS:
        if singular not in _WORDS or _WORDS[singular][0] != "shape":
            return None
        flt["shape"] = _WORDS[singular][1]
    for word in adjectives:
        if word not in _WORDS:
            return None
        attribute, value = _WORDS[word]
        if attribute in flt or (attribute == "shape" and singular not in _GENERIC_NOUNS):
            return None  # "sphere objects" names spheres; "sphere cubes" names nothing
        flt[attribute] = value
    return flt


def _normalise(question: str) -> str:
    text = " ".join(question.lower().replace("?", " ").split())
    return text.rstrip(" .")


def _referent(objects: Sequence[Mapping[str, Any]], flt: Filter) -> int | None:
    found = [i for i, obj in enumerate(objects) if matches(obj, flt)]
    return found[0] if len(found) == 1 else None


def read_question(question: str, scene: Scene) -> Reading:
    """The family and exact answer of `question` about `scene` (see the module docstring)."""
    text = _normalise(question)
    for family, form in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        phrases = {key: noun_phrase(groups[key]) for key in ("a", "b") if groups.get(key)}
        if any(flt is None for flt in phrases.values()):
            continue
        return _answer(family, groups, phrases, scene)  # type: ignore[arg-type]
    return Reading(None, None, "not one of the generator's sentence forms")


def _answer(
    family: str, groups: dict[str, str], phrases: dict[str, Filter], scene: Scene
) -> Reading:
    objects = scene["objects"]
    a, b = phrases.get("a", {}), phrases.get("b", {})
    if family == "count":
        return Reading(family, str(count(objects, a)))
    if family == "exist":
        return Reading(family, yes_no(count(objects, a) > 0))
    if family == "compare_count":
        first, second = count(objects, a), count(objects, b)
        form = groups.get("form")
        value = first > second if form == "more" else first < second if form else first == second
        return Reading(family, yes_no(value))
    # the remaining families name objects with "the": each must be exactly one object
    referents = {key: _referent(objects, flt) for key, flt in phrases.items()}
    if family in ("spatial_count", "count_same"):  # "a" is a set there, not one object
        del referents["a"]
    missing = [groups[k] for k, index in referents.items() if index is None]
    if missing:
        return Reading(family, None, f"'the {missing[0]}' is not exactly one object")
    if family == "query_attribute":
        attribute = _attribute(groups["attr"])
        if attribute in a:
            return Reading(family, None, "asks an attribute the question already names")
        return Reading(family, str(objects[referents["a"]][attribute]))  # type: ignore[index]
    if family == "compare_attribute":
        attribute = _attribute(groups["attr"])
        i, j = referents["a"], referents["b"]
        if i == j:
            return Reading(family, None, "compares an object with itself")
        return Reading(family, yes_no(objects[i][attribute] == objects[j][attribute]))  # type: ignore[index]
    if family == "count_same":
        # CLEVR's same-attribute counts leave the named object itself out
        attribute, j = _attribute(groups["attr"]), referents["b"]
        same = [
            i
            for i, obj in enumerate(objects)
            if i != j and matches(obj, a) and obj[attribute] == objects[j][attribute]  # type: ignore[index]
        ]
        return Reading(family, str(len(same)))
    relation = _RELATIONS[groups["rel"]]
    j = referents["b"]
    related = scene["relationships"][relation][j]  # the objects that are `relation` of j
    if family == "spatial":
        if referents["a"] == j:
            return Reading(family, None, "relates an object to itself")
        return Reading(family, yes_no(referents["a"] in related))
    return Reading(family, str(sum(1 for i in related if matches(objects[i], a))))


def _attribute(word: str) -> str:
    return "color" if word.startswith("colo") else word


_NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}


def same_answer(answer: str, truth: str) -> bool:
    """True when `answer` (a silver label) says what `truth` says: case, spacing, a trailing
    full stop, number words and attribute synonyms aside."""

    def canonical(value: str) -> str:
        word = " ".join(value.lower().split()).rstrip(".")
        word = _NUMBER_WORDS.get(word, word)
        return _WORDS[word][1] if word in _WORDS else word

    return canonical(answer) == canonical(truth)
