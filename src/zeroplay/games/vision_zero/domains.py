"""Per-domain wording of the game: what the pictures are, how the spy's picture differs, and
what a clue may talk about (reference note §2; the released code had only the CLEVR wording)."""

from __future__ import annotations

from dataclasses import dataclass

from zeroplay.games.vision_zero.config import Domain


@dataclass(frozen=True)
class DomainText:
    """The sentences of the prompts that change with the image domain."""

    picture: str  # what the picture is, e.g. "a rendered scene of simple 3D objects"
    difference: str  # how the spy's (modified) picture differs from the original
    clue_scope: str  # what a one-sentence clue may describe
    examples: tuple[str, ...]  # example clues, shown inside \boxed{} in the output format


DOMAIN_TEXTS: dict[Domain, DomainText] = {
    "clevr": DomainText(
        picture="a rendered scene of simple 3D objects",
        difference=(
            "two objects were replaced with different objects, which stay in the same positions"
        ),
        clue_scope=(
            "Your sentence may only talk about the objects' features (colour, shape, size, "
            "material) and how the objects are placed relative to each other."
        ),
        examples=(
            "The large metal cylinder is to the left of the small cube.",
            "There are two red objects, and one of them is a sphere.",
            "The rubber sphere behind the cube is green.",
        ),
    ),
    "chart": DomainText(
        picture="a chart",
        difference=(
            "two attributes of the chart were swapped (for example two data values, two labels "
            "or two colours)"
        ),
        clue_scope=(
            "Your sentence may only talk about what the chart shows: its type, values, labels, "
            "colours, legend and trends."
        ),
        examples=(
            "The tallest bar belongs to the year 2019.",
            "The blue line rises steadily from left to right.",
            "The largest slice of the pie is labelled Energy.",
        ),
    ),
    "photo": DomainText(
        picture="a photograph",
        difference="some objects or parts of the scene differ",
        clue_scope=(
            "Your sentence may only talk about what is visible: the objects, their attributes, "
            "and where they are in the scene."
        ),
        examples=(
            "A red umbrella leans against the wooden bench.",
            "Two people are walking on the left side of the street.",
            "The window above the front door is open.",
        ),
    ),
}
