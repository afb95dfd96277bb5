"""Supervised fine-tuning: loss on assistant tokens only, exact resume, full weights and LoRA."""

from __future__ import annotations

import json

import pytest
import torch
from accelerate import Accelerator
from PIL import Image

from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.sft import SftRun, collate_examples
from zeroplay.recipes.sft_config import Config
from zeroplay.recipes.sft_data import SftDataError, read_records, tokenize_record
from zeroplay.rl.checkpoint import list_checkpoints


def _write_data(folder, n=6):
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    records = []
    for i in range(n):
        name = f"img{i % 3}.png"
        Image.new("RGB", (56, 56), colours[i % 3]).save(folder / name)
        records.append(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image", "image": name},
                            {"type": "text", "text": "What colour is it?"},
                        ],
                    },
                    {
                        "role": "assistant",
                        "content": f"\\boxed{{{['red', 'green', 'blue'][i % 3]}}}",
                    },
                    {"role": "user", "content": "Sure?"},
                    {"role": "assistant", "content": [{"type": "text", "text": "yes"}]},
                ]
            }
        )
    path = folder / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_loss_is_on_assistant_tokens_only(tmp_path, tiny_qwen):
    _, processor = tiny_qwen
    record = read_records(_write_data(tmp_path, 1))[0]
    example = tokenize_record(processor, record)
    tokenizer = processor.tokenizer
    ids = example.prepared.input_ids
    # Both assistant turns with their end-of-turn token, and nothing else: not the user turns,
    # not the "<|im_start|>assistant\n" header, not the newline ChatML writes after EOS.
    assert tokenizer.decode(ids[example.targets]) == "\\boxed{red}<|im_end|>yes<|im_end|>"
    # The targets sit exactly where each assistant header ends.
    header = tokenizer("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    positions = torch.nonzero(example.targets).flatten().tolist()
    first = positions[0]
    assert ids[first - len(header) : first].tolist() == header
    # The image was expanded into its placeholder run and none of it is a target.
    image_id = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((ids == image_id).sum()) > 1
    assert not example.targets[ids == image_id].any()


def _config(
    data,
    mode="shared",
    steps_epochs=2.0,
    save_every=2,
    loss_average="token",
    batch_size=3,
    micro_batch_tokens=None,
    lr=1e-2,
):
    return Config.model_validate(
        {
            "model": {"name": "tiny", "mode": mode, "device": "cpu", "dtype": "float32"},
            "run": {"seed": 0, "save_every": save_every, "keep_last": 3},
            "data": {"path": str(data)},
            "train": {
                "optim": {"lr": lr, "schedule": "cosine", "warmup_ratio": 0.0},
                "batch_size": batch_size,
                "micro_batch_size": 2,
                "micro_batch_tokens": micro_batch_tokens,
                "epochs": steps_epochs,
                "loss_average": loss_average,
            },
        }
    )


def _weights(run):
    model = run.policies.model("default")
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.slow
def test_resume_is_exact(tmp_path):
    data = _write_data(tmp_path)
    straight = SftRun(_config(data), tmp_path / "straight", Accelerator(cpu=True))
    before = _weights(straight)
    straight.train()
    assert straight.trainer.step == 4

    first = SftRun(_config(data), tmp_path / "resumed", Accelerator(cpu=True))
    first.total_steps = 2  # stop after the step-2 checkpoint, as a crash after it would
    first.train()
    assert [s for s, _ in list_checkpoints(tmp_path / "resumed")] == [2]
    (tmp_path / "resumed" / "phases" / "train.done").unlink()
    second = SftRun(_config(data), tmp_path / "resumed", Accelerator(cpu=True))
    assert second.resume() == 2
    second.train()

    a, b = _weights(straight), _weights(second)
    assert any(not torch.equal(a[n], before[n]) for n in a), "training must move the weights"
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    losses = [
        json.loads(line)["loss"]
        for line in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()
        if "loss" in line
    ]
    resumed = [
        json.loads(line)["loss"]
        for line in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()
        if "loss" in line
    ]
    assert losses == resumed


@pytest.mark.slow
def test_training_lowers_the_loss_full_weights(tmp_path):
    data = _write_data(tmp_path)
    run = SftRun(
        _config(data, steps_epochs=8.0, save_every=0), tmp_path / "run", Accelerator(cpu=True)
    )
    run.train()
    losses = [
        json.loads(line)["loss"]
        for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
        if "loss" in line
    ]
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.slow
def test_lora_trains_adapters_and_leaves_the_base(tmp_path):
    data = _write_data(tmp_path)
    run = SftRun(_config(data, mode="lora", save_every=0), tmp_path / "run", Accelerator(cpu=True))
    model = run.policies.model("default")
    base = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" not in n}
    adapters = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}
    assert adapters
    run.train()
    after = dict(model.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in base.items())
    assert any(not torch.equal(after[n], p) for n, p in adapters.items())
    assert (tmp_path / "run" / "checkpoints" / "step_4" / "adapters" / "default").is_dir()


@pytest.mark.parametrize("average", ["token", "record"])
def test_loss_average_matches_a_hand_computed_mean(tmp_path, average):
    # Records with 1, 2 and 3 assistant turns have different target counts, so the two averages
    # differ: token = sum of NLLs / sum of counts, record = mean over records of NLL / count.
    data = _write_data(tmp_path, 3)
    lines = data.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    records[0]["messages"] = records[0]["messages"][:2]
    records[2]["messages"] += records[2]["messages"][2:]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    run = SftRun(
        _config(data, steps_epochs=1.0, save_every=0, loss_average=average),
        tmp_path / "run",
        Accelerator(cpu=True),
    )
    examples = run.examples
    sums, counts = [], []
    with torch.no_grad():
        for example in examples:
            inputs, targets = collate_examples([example], run.pad_id, "cpu")
            nll, n = run.trainer.scorer(inputs, targets)
            sums.append(float(nll[0]))
            counts.append(int(n[0]))
    assert len(set(counts)) == 3
    if average == "token":
        expected = sum(sums) / sum(counts)
    else:
        expected = sum(s / c for s, c in zip(sums, counts, strict=True)) / len(sums)
    stats = run.trainer.train_step(examples, run.pad_id, examples[0])
    assert stats["loss"] == pytest.approx(expected, rel=1e-5)
    assert stats["token_nll"] == pytest.approx(sum(sums) / sum(counts), rel=1e-5)


def test_bad_records_are_refused_with_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(SftDataError, match=r"bad.jsonl:1: .*assistant"):
        read_records(path)
    path.write_text("not json\n")
    with pytest.raises(SftDataError, match=r"bad.jsonl:1: not valid JSON"):
        read_records(path)
    with pytest.raises(SftDataError, match="does not exist"):
        read_records(tmp_path / "missing.jsonl")


def test_missing_data_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="--data"):
        SftRun(Config(), tmp_path / "run", Accelerator(cpu=True))
