"""A single-turn task with a verifiable, image-dependent reward, trained with the RL core.

Solid-colour images (a few colours, jittered shades and sizes); the policy is asked for the colour
and rewarded 1 when the first colour word it writes is the right one. Used by the learning test,
the resume test and the data-parallel test; `python -m accelerate.commands.launch colour_task.py
RUN_DIR STEPS` runs it under `accelerate launch`.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.games.protocol import Context, ScoredTurn
from zeroplay.models.loader import ModelSettings
from zeroplay.rl.advantages import group_zscore
from zeroplay.rl.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from zeroplay.rl.config import LossSettings, OptimConfig, TrainerConfig
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.policies import Policies
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.samples import Sample
from zeroplay.rl.trainer import Trainer

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
PROMPT = "What colour is this image?"
FIRST_COLOUR = re.compile("|".join(COLOURS))


def colour_image(name: str, rng: random.Random) -> Image.Image:
    shade = tuple(max(0, min(255, v + rng.randint(-25, 25))) for v in COLOURS[name])
    return Image.new("RGB", (rng.choice([56, 70, 84]), rng.choice([56, 70, 84])), shade)


def reward(text: str, target: str) -> float:
    """1 when the first colour word in the completion is the image's colour, else 0."""
    m = FIRST_COLOUR.search(text.lower())
    return 1.0 if m and m.group(0) == target else 0.0


async def answer(ctx: Context, image: Image.Image, target: str, group: str, sampling):
    outs = await ctx.generate(ChatRequest([user_message(PROMPT, 1)], [image], sampling))
    return [ScoredTurn(o, "answerer", "answer", group, reward(o.text, target)) for o in outs]


@dataclass
class TaskConfig:
    steps: int = 60
    prompts: int = 8
    group: int = 16
    max_new_tokens: int = 8
    lr: float = 1e-2
    kl_coef: float = 0.05
    seed: int = 0
    model: str = "tiny"


class ColourTask:
    """Everything one run needs; `run(until)` trains to step `until` with checkpoints."""

    def __init__(self, cfg: TaskConfig, run_dir: Path, accelerator):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.acc = accelerator
        torch.manual_seed(cfg.seed)
        self.policies = Policies.load(
            ModelSettings(name=cfg.model, device=str(accelerator.device), freeze_vision=True),
            ["default"],
            mode="shared",
        )
        trainer_cfg = TrainerConfig(
            optim=OptimConfig(lr=cfg.lr, max_grad_norm=1.0),
            loss=LossSettings(kl_coef=cfg.kl_coef),
        )
        self.trainer = Trainer(
            self.policies, trainer_cfg, accelerator, {"default": cfg.steps}, seed=cfg.seed
        )
        rank = accelerator.process_index
        self.engine = self.policies.engine(seed=cfg.seed * 1000 + rank)
        self.rng = random.Random(cfg.seed * 1000 + rank)  # each rank plays different episodes
        self.step = 0
        self.played: list[list[str]] = []
        self.log = MetricsLog(self.run_dir / "metrics.jsonl")

    def resume(self) -> None:
        path = latest_checkpoint(self.run_dir)
        if path is None:
            return
        state = load_checkpoint(path, self.policies, self.trainer, self.acc)
        self.step = state["step"]
        self.rng.setstate(_tuple_state(state["extra"]["task_rng"][self.acc.process_index]))
        self.engine.set_rng_state(state["extra"]["engine_rng"][self.acc.process_index])
        if self.acc.is_main_process:
            self.log.truncate_after(self.step)

    def train_step(self) -> dict[str, float]:
        sampling = SamplingParams(n=self.cfg.group, max_new_tokens=self.cfg.max_new_tokens)
        targets = [self.rng.choice(list(COLOURS)) for _ in range(self.cfg.prompts)]
        self.played.append(targets)
        episodes = [
            answer(Context(), colour_image(c, self.rng), c, f"{self.step}/{i}", sampling)
            for i, c in enumerate(targets)
        ]
        turns = [t for result in run_episodes(self.engine, episodes) for t in result]
        samples = [Sample.from_turn(t) for t in turns]
        advantages = group_zscore([s.reward for s in samples], [s.group for s in samples])
        for s, a in zip(samples, advantages, strict=True):
            s.advantage = a
        stats = self.trainer.train("default", samples)
        self.step += 1
        record = {"step": self.step, **sample_metrics(samples), **stats}
        if self.acc.is_main_process:
            self.log.append(record)
        return record

    def checkpoint(self) -> None:
        gathered_task = _gather_object(self.acc, self.rng.getstate())
        gathered_engine = _gather_object(self.acc, self.engine.rng_state())
        save_checkpoint(
            self.run_dir,
            self.step,
            self.policies,
            self.trainer,
            self.acc,
            extra={"task_rng": gathered_task, "engine_rng": gathered_engine},
        )

    def run(self, until: int, checkpoint_every: int = 0) -> None:
        while self.step < until:
            self.train_step()
            if checkpoint_every and self.step % checkpoint_every == 0:
                self.checkpoint()

    def heldout_accuracy(self, n_images: int = 24, samples: int = 4) -> float:
        """Mean reward of sampled answers (temperature 1) on images never trained on."""
        rng = random.Random(10_000)
        names = [list(COLOURS)[i % len(COLOURS)] for i in range(n_images)]
        images = [colour_image(c, rng) for c in names]
        requests = [
            ChatRequest(
                [user_message(PROMPT, 1)],
                [img],
                SamplingParams(n=samples, max_new_tokens=self.cfg.max_new_tokens, seed=100 + i),
            )
            for i, img in enumerate(images)
        ]
        outs = self.engine.generate(requests)
        scores = [reward(o.text, c) for group, c in zip(outs, names, strict=True) for o in group]
        return sum(scores) / len(scores)


def _tuple_state(state):
    return (state[0], tuple(state[1]), state[2]) if isinstance(state, list) else state


def _gather_object(accelerator, obj):
    from accelerate.utils import gather_object

    if accelerator.num_processes == 1:
        return [obj]
    return gather_object([obj])


def main() -> None:
    """`colour_task.py RUN_DIR STEPS`: train under accelerate and write final parameters."""
    from accelerate import Accelerator

    run_dir, steps = Path(sys.argv[1]), int(sys.argv[2])
    acc = Accelerator(cpu=True)
    task = ColourTask(TaskConfig(steps=steps, prompts=4, group=4, max_new_tokens=4), run_dir, acc)
    task.run(steps)
    model = acc.unwrap_model(task.policies.model("default"))
    digest = float(sum(p.detach().double().sum() for p in model.parameters()))
    mine = {"rank": acc.process_index, "param_sum": digest, "played": task.played}
    per_rank = _gather_object(acc, mine)
    if acc.is_main_process:
        (run_dir / "ranks.json").write_text(json.dumps(per_rank))
    acc.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()  # a clean exit for both gloo ranks


if __name__ == "__main__":
    main()
