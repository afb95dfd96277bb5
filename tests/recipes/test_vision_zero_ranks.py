"""Two CPU processes under `accelerate launch`: the ranks play different games but hold the same
controller, role baselines and weights (decision counts are summed over ranks, baselines follow
every game in the global order)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from process_launch import run_script

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from accelerate import Accelerator
    from accelerate.utils import gather_object
    from test_vision_zero import ScriptedVotes, small_config
    from zeroplay.recipes.vision_zero import VisionZeroRun

    out = sys.argv[1]
    run = VisionZeroRun(small_config(), out, Accelerator(cpu=True))
    run.resume()
    run.engine = ScriptedVotes(run.engine, n_players=3)
    run.iteration()
    run.iteration()
    model = run.acc.unwrap_model(run.policies.model("default"))
    mine = {
        "rank": run.rank,
        "state": run.recipe_state(),
        "param_sum": float(sum(p.detach().double().sum() for p in model.parameters())),
    }
    ranks = gather_object([mine])
    if run.is_main:
        with open(f"{out}/ranks.json", "w") as f:
            json.dump(ranks, f)
    # Leave the gloo group cleanly: a rank that exits while its peer still talks can abort
    # in the process group's destructor ("terminate called without an active exception").
    run.acc.wait_for_everyone()
    import torch.distributed as dist
    if dist.is_initialized():
        dist.destroy_process_group()
    """
)


@pytest.mark.slow
def test_two_ranks_agree_on_stage_baselines_and_weights(tmp_path):
    script = tmp_path / "two_ranks.py"
    script.write_text(SCRIPT)
    run_script(script, tmp_path / "run", import_from=Path(__file__).parent)

    ranks = json.loads((tmp_path / "run" / "ranks.json").read_text())
    assert [r["rank"] for r in ranks] == [0, 1]
    assert ranks[0]["state"] == ranks[1]["state"]
    assert ranks[0]["param_sum"] == ranks[1]["param_sum"]
    baselines = ranks[0]["state"]["baselines"]["clue"]
    # one update per game, 2 iterations x 2 ranks x 1 game: what one rank makes for 4 games
    assert baselines["updates"] == {"civilian": 4, "spy": 4}
    assert any(v != 0.0 for v in baselines["baselines"].values())

    def played(rank: int) -> list[tuple[int, str]]:
        path = tmp_path / "run" / "rollouts" / f"step_000001_rank{rank}.jsonl"
        return [(g["game_index"], g["game_id"]) for g in map(json.loads, path.open())]

    assert played(0) == [(0, "g0")] and played(1) == [(1, "g1")]
