"""Chunked selected-token logprobs against a naive full computation, by hand, and in memory."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from zeroplay.rl.logprobs import selected_logprobs

D = torch.float64


def test_three_token_vocabulary_by_hand() -> None:
    # Logits [ln 2, 0, -ln 2] -> probabilities proportional to [2, 1, 0.5] (sum 3.5).
    # Temperature 2 halves the logits -> proportional to [sqrt 2, 1, 1/sqrt 2].
    weight = torch.tensor([[1.0], [0.0], [-1.0]], dtype=D)
    hidden = torch.tensor([[math.log(2)], [math.log(2)]], dtype=D)
    targets = torch.tensor([0, 2])
    lp, ent = selected_logprobs(hidden, weight, targets, with_entropy=True)
    assert lp.tolist() == pytest.approx([math.log(2 / 3.5), math.log(0.5 / 3.5)])
    p = [2 / 3.5, 1 / 3.5, 0.5 / 3.5]
    assert ent.tolist() == pytest.approx([-sum(q * math.log(q) for q in p)] * 2)
    z = math.sqrt(2) + 1 + 1 / math.sqrt(2)
    hot, _ = selected_logprobs(hidden, weight, targets, temperature=2.0)
    assert hot.tolist() == pytest.approx(
        [math.log(math.sqrt(2) / z), math.log(1 / math.sqrt(2) / z)]
    )


@pytest.mark.parametrize("chunk_size", [1, 7, 64])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_matches_naive_values_and_gradients(chunk_size: int, temperature: float) -> None:
    gen = torch.Generator().manual_seed(1)
    n, h, v = 23, 6, 50
    head = nn.Linear(h, v, bias=True).to(D)
    hidden = torch.randn(n, h, generator=gen, dtype=D, requires_grad=True)
    targets = torch.randint(0, v, (n,), generator=gen)
    upstream = torch.randn(n, generator=gen, dtype=D)
    upstream_ent = torch.randn(n, generator=gen, dtype=D)

    lp, ent = selected_logprobs(
        hidden, head, targets, temperature=temperature, chunk_size=chunk_size, with_entropy=True
    )
    grads = torch.autograd.grad(
        (lp * upstream).sum() + (ent * upstream_ent).sum(), [hidden, head.weight, head.bias]
    )

    log_probs = torch.log_softmax(head(hidden) / temperature, dim=-1)
    naive_lp = log_probs.gather(1, targets[:, None]).squeeze(1)
    naive_ent = -(log_probs.exp() * log_probs).sum(-1)
    naive_grads = torch.autograd.grad(
        (naive_lp * upstream).sum() + (naive_ent * upstream_ent).sum(),
        [hidden, head.weight, head.bias],
    )
    assert torch.allclose(lp, naive_lp, atol=1e-12)
    assert torch.allclose(ent, naive_ent, atol=1e-12)
    for got, want in zip(grads, naive_grads, strict=True):
        assert torch.allclose(got, want, atol=1e-10)


def test_weight_tensor_gets_gradient_and_bf16_is_upcast() -> None:
    gen = torch.Generator().manual_seed(2)
    weight = torch.randn(40, 8, generator=gen).to(torch.bfloat16).requires_grad_(True)
    hidden = torch.randn(10, 8, generator=gen).to(torch.bfloat16)
    targets = torch.randint(0, 40, (10,), generator=gen)
    lp, ent = selected_logprobs(hidden, weight, targets, chunk_size=4)
    assert lp.dtype == torch.float32 and ent is None
    naive = torch.log_softmax((hidden @ weight.T).float(), -1).gather(1, targets[:, None])
    assert torch.allclose(lp, naive.squeeze(1), atol=1e-6)
    lp.sum().backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0


def test_saved_activations_do_not_scale_with_vocabulary() -> None:
    # What autograd keeps for backward: the naive path saves (N, V) logits/log-softmax; the
    # chunked, checkpointed path only its (N, H) inputs.
    n, h, v = 64, 8, 2000
    head = nn.Linear(h, v, bias=False)
    hidden = torch.randn(n, h, requires_grad=True)
    targets = torch.randint(0, v, (n,))

    def saved_bytes(fn) -> int:
        sizes: list[int] = []

        def pack(t: torch.Tensor) -> torch.Tensor:
            sizes.append(t.numel() * t.element_size())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            fn()
        return sum(sizes)

    chunked = saved_bytes(lambda: selected_logprobs(hidden, head, targets, chunk_size=16))
    naive = saved_bytes(lambda: torch.log_softmax(head(hidden), -1).gather(1, targets[:, None]))
    assert naive >= n * v * 4
    assert chunked <= 2 * n * h * 4


def test_no_grad_pass_and_empty_input() -> None:
    head = nn.Linear(4, 9)
    hidden = torch.randn(5, 4)
    with torch.no_grad():
        lp, _ = selected_logprobs(hidden, head, torch.zeros(5, dtype=torch.long))
    assert lp.grad_fn is None and lp.shape == (5,)
    lp, ent = selected_logprobs(
        torch.zeros(0, 4), head, torch.zeros(0, dtype=torch.long), with_entropy=True
    )
    assert lp.shape == (0,) and ent is not None and ent.shape == (0,)


class _MaskedHead(nn.Module):
    """Output head that forbids vocabulary entries 2.. (logit -inf), as constrained decoding does."""

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(hidden.shape[0], 5, dtype=hidden.dtype) + hidden[:, :1]
        logits[:, 2:] = float("-inf")
        return logits


def test_entropy_with_minus_inf_logits_is_finite() -> None:
    hidden = torch.ones(3, 2, requires_grad=True)
    lp, ent = selected_logprobs(
        hidden, _MaskedHead(), torch.zeros(3, dtype=torch.long), with_entropy=True
    )
    assert lp.tolist() == pytest.approx([math.log(0.5)] * 3)
    assert ent.tolist() == pytest.approx([math.log(2)] * 3)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="temperature"):
        selected_logprobs(torch.zeros(1, 2), torch.zeros(3, 2), torch.zeros(1), temperature=0.0)
    with pytest.raises(ValueError, match="targets"):
        selected_logprobs(torch.zeros(2, 2), torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(TypeError):
        selected_logprobs(torch.zeros(1, 2), "head", torch.zeros(1))  # type: ignore[arg-type]
