"""The toy's warm-start corpus: supervised chat records made from generated scenes and pairs.

Two corpora, trained in this order:
- the grounding corpus: short description records only (one picture, one instruction, every
  object left to right). A vision tower trained from scratch needs many cheap steps before the
  language model learns to read it (measured on this domain: ~250 steps of the mixed corpus
  left colours at chance; ~750 steps of short records reached 0.90 colour recall on held-out
  scenes), so this stage comes first and is sized in steps, not in records;
- the main corpus, below.

What the main corpus teaches (each record a user turn with one image, and an answer):
- describing a picture (every object's colour and shape, left to right);
- short questions about a scene in the evaluation harness's own prompt format (count, exist,
  attribute, comparison and spatial questions from the CLEVR question generator);
- the Vision-Zero game's formats: a clue turn (the game's real prompt for a random seat, role
  and earlier clues; the answer describes the player's own picture, as a naive player would,
  spy or not) and the observer's decision (the game's real prompt with every clue; the answer
  is the spy's seat);
- the VisPlay game's formats (`visplay_records`): a questioner reply in its three tags and a
  reasoner answer under its own prompt (these two put the instruction before the image, as
  VisPlay's prompts do);
- since revision 9 (`mm_zero_charts`, 300 charts) MM-Zero's formats on bar charts
  (`mm_zero_records`): a Proposer's six tags, a CodeGen's SVG, a Solver's boxed answer.

Headroom by design: the warm start plays naively (the spy describes its own, different picture;
nobody plays strategically), earlier players' clues are sometimes one object only (so the spy
is not always detectable from them), and the judge sees only clean templated clues for two
epochs: the warm start learns the formats, and its detector stays weak (measured for revision 7:
0.245 on pairs it never saw, with its own clues; chance is 0.25), so self-play has the strategy
and the detector to learn (see docs/proof.md for why that is too weak a start so far).
Everything here is drawn from warm-start seeds only (`seeds.warm_start_seed`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zeroplay.answers.parsed import Parsed
from zeroplay.data.clevr.clevr_json import scene_json
from zeroplay.data.clevr.pairs import sample_pair
from zeroplay.data.clevr.scene import Scene
from zeroplay.data.clevr.toy import TOY_SCENE, describe, object_phrase, renderer, toy_pair_config
from zeroplay.data.seed_spaces import warm_start_seed
from zeroplay.data.seeding import pair_rng
from zeroplay.eval.items import BenchItem
from zeroplay.eval.prompting import prompt_text
from zeroplay.eval.suites.clevr_qa import sample_visible_scene
from zeroplay.eval.suites.clevr_questions import ask_about_scene
from zeroplay.games.mm_zero.prompts import codegen_prompt, proposer_prompt, solver_prompt
from zeroplay.games.mm_zero.seeds import seed_prompts
from zeroplay.games.vision_zero import VisionZeroGameConfig
from zeroplay.games.vision_zero.prompts import clue_prompt, observer_prompt
from zeroplay.games.vision_zero.result import ClueTurn
from zeroplay.games.vision_zero.roles import ROLE_CIVILIAN, ROLE_SPY
from zeroplay.games.visplay.prompts import QUESTIONER_INSTRUCTION, REASONER_PROMPT
from zeroplay.recipes.mm_zero.images import fit_pixels
from zeroplay.toy.mm_zero_records import (
    chart_item,
    chart_records,
    codegen_reply,
    proposal_text,
    solver_reply,
)
from zeroplay.toy.records import prompt_record
from zeroplay.toy.visplay_records import (
    VISPLAY_TYPES,
    questioner_record,
    questioner_reply,
    reasoner_record,
    visplay_question,
)

# The game the toy is taught to play: the released code's 4 players and observer decision, one
# clue round (CPU-sized games), CLEVR wording.
TOY_GAME = VisionZeroGameConfig(n_players=4, n_rounds=1, decision_mode="observer", domain="clevr")

DESCRIBE_PROMPTS = (
    "Describe the objects in this picture from left to right.",
    "List every object you see, left to right, with its colour and shape.",
    "What objects are in this picture? Name them from left to right.",
)


@dataclass(frozen=True)
class CorpusSpec:
    """How many items of each kind the corpus holds (scenes for QA/description, pairs for
    the game formats) and the game the clue/decision records are written for."""

    scenes: int = 820  # r9: 180 fewer than r8, for the 300 charts below (10,000 records in all)
    grounding_scenes: int = 2000  # short description records of the grounding stage
    questions_per_scene: int = 2
    pairs: int = 2500
    # Observer decisions per pair (each with its own spy seat and clues). Measured from r6: the
    # judge stayed at chance (0.24 on dev pairs) with 750 decision records, and reached 0.39 and
    # 0.49 after 9k and 18k decision examples: picking the odd clue out is learnt slowly.
    # r8: one again; r7's second decision per pair left the judge at chance (0.245) and its
    # 2,500 long records now pay for the VisPlay records below.
    decisions_per_pair: int = 1
    full_clue_share: float = 0.85  # earlier clues that describe the whole picture (else one object)
    # Per scene, a VisPlay questioner reply (a count or yes/no question in its three tags) and a
    # VisPlay reasoner answer, in the game's own prompts (`visplay_records`).
    visplay_records: bool = True
    # Bar charts with MM-Zero's Proposer, CodeGen and Solver records each (`mm_zero_records`).
    # Since r9 (length-sorted SFT passes keep the 400-600-token records from padding every
    # pass of the main stage to their length; docs/proof.md, "MM-Zero").
    mm_zero_charts: int = 300
    game: VisionZeroGameConfig = field(default_factory=lambda: TOY_GAME)


@dataclass(frozen=True)
class _Written:
    """A completion as the game sees it (text only), for building prompts of earlier turns."""

    text: str
    finish_reason: str = "stop"


def _save(image: np.ndarray, path: Path) -> str:
    Image.fromarray(image).save(path)
    return path.name


def _clue_turn(seat: int, phrase: str, is_spy: bool) -> ClueTurn:
    text = f"\\boxed{{{phrase}}}"
    return ClueTurn(
        seat=seat,
        round=1,
        role=ROLE_SPY if is_spy else ROLE_CIVILIAN,
        policy="default",
        generated=_Written(text),
        clue=Parsed.valid(phrase),
        reasoning="",
    )


def _described_scene(
    rng: np.random.Generator, path: Path
) -> tuple[Scene, Any, str, dict[str, Any]]:
    """A scene drawn with `rng`, rendered to `path`, and its description record; returns
    (scene, visibility, image name, record)."""
    scene, visibility = sample_visible_scene(rng, TOY_SCENE)
    name = _save(renderer().render(scene), path)
    prompt = DESCRIBE_PROMPTS[int(rng.integers(len(DESCRIBE_PROMPTS)))]
    return scene, visibility, name, prompt_record(prompt, f"\\boxed{{{describe(scene)}}}", name)


def scene_records(index: int, folder: Path, spec: CorpusSpec) -> list[dict[str, Any]]:
    """Description and question records about warm-start scene `index`."""
    rng = pair_rng(warm_start_seed(1), index)
    scene, visibility, name, described = _described_scene(rng, folder / f"scene_{index:06d}.png")
    records = [described]
    spec_json = scene_json(scene, visibility, name, index, {"renderer": "flat"})
    for question in ask_about_scene(spec_json, rng, spec.questions_per_scene):
        item = BenchItem(
            id=f"warm-{index}",
            question=question.text,
            answer=question.answer,
            answer_type=question.answer_type,
        )
        records.append(prompt_record(prompt_text(item), f"\\boxed{{{question.answer}}}", name))
    if spec.visplay_records:
        # drawn after the records above, so those stay as earlier revisions had them
        extra = ask_about_scene(spec_json, rng, 4)
        asked = visplay_question(extra)
        if asked is not None:
            records.append(questioner_record(name, asked))
        answered = next((q for q in extra if q is not asked), None)
        if answered is not None:
            records.append(reasoner_record(name, answered))
    return records


def grounding_record(index: int, folder: Path) -> dict[str, Any]:
    """A short description record about grounding scene `index` (its own warm-start stream)."""
    rng = pair_rng(warm_start_seed(6), index)
    return _described_scene(rng, folder / f"ground_{index:06d}.png")[3]


def _random_phrase(scene: Scene, rng: random.Random) -> str:
    return object_phrase(scene.objects[rng.randrange(len(scene.objects))])


def _earlier_clue(scene: Scene, rng: random.Random, full_share: float) -> str:
    """A templated clue of another player: the whole picture, or sometimes one object."""
    return describe(scene) if rng.random() < full_share else _random_phrase(scene, rng)


def _templated_turns(
    scenes: dict[bool, Scene], spy: int, rng: random.Random, spec: CorpusSpec
) -> list[ClueTurn]:
    """Every seat's clue in one round: the spy's from the modified scene, the others' from the
    original."""
    return [
        _clue_turn(seat, _earlier_clue(scenes[seat == spy], rng, spec.full_clue_share), seat == spy)
        for seat in range(1, spec.game.n_players + 1)
    ]


def pair_records(index: int, folder: Path, spec: CorpusSpec) -> list[dict[str, Any]]:
    """A clue-turn record (random seat and role) and `decisions_per_pair` decision records for
    pair `index`: the game's own prompts, with templated clues of the other players."""
    pair = sample_pair(toy_pair_config(warm_start_seed(2)), index)
    rng = random.Random(warm_start_seed(3) * 1_000_003 + index)
    game = spec.game
    paint = renderer()
    original = _save(paint.render(pair.original), folder / f"pair_{index:06d}_o.png")
    modified = _save(paint.render(pair.edit.modified), folder / f"pair_{index:06d}_m.png")
    spy = rng.randint(1, game.n_players)
    scenes = {True: pair.edit.modified, False: pair.original}
    turns = _templated_turns(scenes, spy, rng, spec)
    speaker = rng.randint(1, game.n_players)
    is_spy = speaker == spy
    own = describe(scenes[is_spy])  # the speaker's answer: its own picture, whole
    records = [
        prompt_record(
            clue_prompt(game, speaker, 1, is_spy, turns[: speaker - 1]),
            f"\\boxed{{{own}}}",
            modified if is_spy else original,
        )
    ]
    for k in range(spec.decisions_per_pair):
        if k:  # a fresh game on the same pictures: another spy seat, other clues
            spy = rng.randint(1, game.n_players)
            turns = _templated_turns(scenes, spy, rng, spec)
        records.append(prompt_record(observer_prompt(game, turns), f"\\boxed{{{spy}}}", original))
    return records


def _write_jsonl(folder: Path, records: list[dict[str, Any]]) -> Path:
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_grounding_corpus(
    folder: str | Path, spec: CorpusSpec, progress: Callable[[int], None] | None = None
) -> Path:
    """Write the grounding corpus (`corpus.jsonl` and images) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(spec.grounding_scenes):
        records.append(grounding_record(index, folder))
        if progress:
            progress(1)
    return _write_jsonl(folder, records)


def write_corpus(
    folder: str | Path, spec: CorpusSpec, progress: Callable[[int], None] | None = None
) -> Path:
    """Write the main corpus (`corpus.jsonl` and its images) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    for index in range(spec.scenes):
        records.extend(scene_records(index, folder, spec))
        if progress:
            progress(1)
    for index in range(spec.pairs):
        records.extend(pair_records(index, folder, spec))
        if progress:
            progress(1)
    records.extend(mm_zero_corpus_records(folder, spec.mm_zero_charts, progress))
    random.Random(warm_start_seed(4)).shuffle(records)
    return _write_jsonl(folder, records)


# The toy's picture budget, 168 x 168: its processor's max_pixels, what chart renders are scaled
# to fit, and the max_pixels of the presets that run on the toy (tests/toy checks they agree).
TOY_MAX_PIXELS = 168 * 168


def mm_zero_corpus_records(
    folder: Path, charts: int, progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """MM-Zero's records for `charts` warm-start bar charts; each SVG is rendered by the
    sandboxed renderer the recipe uses, and a chart whose SVG does not render has no Solver
    record."""
    if charts <= 0:
        return []
    from zeroplay.data.svg import SvgRenderer

    items = [chart_item(pair_rng(warm_start_seed(7), index)) for index in range(charts)]
    rows = seed_prompts(-(-charts // 8), seed=warm_start_seed(8))
    with SvgRenderer() as render:
        results = render([item.svg for item in items])
    records: list[dict[str, Any]] = []
    for index, (item, result) in enumerate(zip(items, results, strict=True)):
        image = None
        if result.ok and result.image is not None:
            image = _save(
                np.asarray(fit_pixels(result.image.convert("RGB"), None, TOY_MAX_PIXELS)),
                folder / f"chart_{index:06d}.png",
            )
        records.extend(chart_records(item, rows[index % len(rows)], image))
        if progress:
            progress(1)
    return records


def corpus_texts(spec: CorpusSpec, n: int = 200) -> list[str]:
    """Sample prompt and answer texts (no images rendered) for training the tokenizer."""
    game = spec.game
    rng = random.Random(warm_start_seed(5))
    texts: list[str] = list(DESCRIBE_PROMPTS)
    np_rng = pair_rng(warm_start_seed(5), 0)
    for index in range(n):
        scene, visibility = sample_visible_scene(np_rng, TOY_SCENE)
        texts.append(f"\\boxed{{{describe(scene)}}}")
        spec_json = scene_json(scene, visibility, "x.png", index, {})
        for question in ask_about_scene(spec_json, np_rng, 3):
            item = BenchItem(
                id="t",
                question=question.text,
                answer=question.answer,
                answer_type=question.answer_type,
            )
            texts.append(prompt_text(item))
            texts.append(f"\\boxed{{{question.answer}}}")
            if spec.visplay_records:
                texts.append(REASONER_PROMPT.format(question=question.text))
                if question.answer_type in VISPLAY_TYPES:
                    texts.append(questioner_reply(question))
        if spec.visplay_records:
            texts.append(QUESTIONER_INSTRUCTION)
        turns = [
            _clue_turn(seat, _random_phrase(scene, rng), False)
            for seat in range(1, game.n_players + 1)
        ]
        spy = rng.randint(1, game.n_players)
        speaker = rng.randint(1, game.n_players)
        texts.append(clue_prompt(game, speaker, 1, speaker == spy, turns[: speaker - 1]))
        texts.append(observer_prompt(game, turns))
        texts.append(f"\\boxed{{{spy}}}")
    if spec.mm_zero_charts > 0:
        rows = seed_prompts(-(-n // 8), seed=warm_start_seed(8))
        for index in range(n):
            item = chart_item(pair_rng(warm_start_seed(9), index))
            texts.append(proposer_prompt(rows[index % len(rows)].text))
            texts.append(proposal_text(item.proposal))
            texts.append(codegen_prompt(item.proposal))
            texts.append(codegen_reply(item.svg))
            texts.append(solver_prompt(item.proposal.easy_question))
            texts.append(solver_reply(item.proposal))
    return texts
