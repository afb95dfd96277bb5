"""Logprobs (and entropies) of chosen tokens, computed chunk by chunk at completion positions only.

Memory: a (batch, length, vocab) float32 logits tensor is 4*B*T*V bytes, e.g. 8 x 4096 x 152k
x 4 B = 20 GB for a Qwen-sized vocabulary, and autograd would keep it (and the log-softmax) for
the backward pass. Here the caller passes only the N hidden states that predict completion
tokens, so at most `chunk_size` x V logits exist at a time (1024 x 152k x 4 B = 0.6 GB), and each
chunk runs under activation checkpointing: the forward keeps only the chunk's hidden states and
its N_chunk outputs, and the backward recomputes one chunk's logits at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint


def _projection(lm_head: nn.Module | Tensor) -> Callable[[Tensor], Tensor]:
    if isinstance(lm_head, Tensor):
        weight = lm_head
        if weight.dim() != 2:
            raise ValueError(f"lm_head weight must be (vocab, hidden), got {tuple(weight.shape)}")
        return lambda h: F.linear(h, weight)
    if isinstance(lm_head, nn.Module):
        return lm_head
    raise TypeError(f"lm_head must be an nn.Module or a weight tensor, got {type(lm_head)}")


def _chunk_logprobs(
    project: Callable[[Tensor], Tensor],
    hidden: Tensor,
    targets: Tensor,
    temperature: float,
    with_entropy: bool,
) -> tuple[Tensor, Tensor]:
    """Logprob of `targets` and entropy (empty when not wanted) for one chunk of positions."""
    logits = project(hidden)
    # Upcast to at least float32 for the log-softmax (bf16 logits lose the tail of the
    # distribution); float64 inputs stay float64.
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    if temperature != 1.0:
        logits = logits / temperature
    log_probs = torch.log_softmax(logits, dim=-1)
    chosen = log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)
    if not with_entropy:
        return chosen, chosen.new_empty(0)
    probs = log_probs.exp()
    # H = -sum_v p_v log p_v, with 0 log 0 = 0 for tokens masked to -inf.
    plogp = torch.where(probs > 0, probs * log_probs, torch.zeros_like(probs))
    return chosen, -plogp.sum(dim=-1)


def selected_logprobs(
    hidden: Tensor,
    lm_head: nn.Module | Tensor,
    targets: Tensor,
    *,
    temperature: float = 1.0,
    chunk_size: int = 1024,
    with_entropy: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """`log softmax(lm_head(h_n) / temperature)[targets_n]` for each of the N rows, and entropy.

    `hidden` (N, H) are the final hidden states at the positions that predict the completion
    tokens `targets` (N,); `lm_head` is the output projection module, or its (V, H) weight.
    Logits are scaled by the *sampling* temperature so the trained distribution is the one that
    sampled (Vision-Zero sampled at 0.8 and trained at 1.0). The log-softmax runs in float32 (or
    the input's wider dtype), and so are the results. Differentiable with respect to `hidden` and
    the projection's parameters; see the module docstring for why this never builds (B, T, V).
    Entropy, when asked for, is `-sum_v p_v log p_v` of the same tempered distribution.
    """
    if hidden.dim() != 2:
        raise ValueError(f"hidden must be (N, H), got shape {tuple(hidden.shape)}")
    if targets.shape != (hidden.shape[0],):
        raise ValueError(f"targets must be ({hidden.shape[0]},), got {tuple(targets.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    project = _projection(lm_head)
    params = [lm_head] if isinstance(lm_head, Tensor) else list(lm_head.parameters())
    track = torch.is_grad_enabled() and (
        hidden.requires_grad or any(p.requires_grad for p in params)
    )
    targets = targets.long()
    chosen: list[Tensor] = []
    entropies: list[Tensor] = []
    for start in range(0, hidden.shape[0], chunk_size):
        h = hidden[start : start + chunk_size]
        y = targets[start : start + chunk_size]
        if track:
            lp, ent = checkpoint(
                _chunk_logprobs,
                project,
                h,
                y,
                temperature,
                with_entropy,
                use_reentrant=False,
                preserve_rng_state=False,
            )
        else:
            lp, ent = _chunk_logprobs(project, h, y, temperature, with_entropy)
        chosen.append(lp)
        entropies.append(ent)
    if not chosen:
        empty = hidden.new_zeros(0, dtype=torch.promote_types(hidden.dtype, torch.float32))
        return empty, (empty.clone() if with_entropy else None)
    return torch.cat(chosen), (torch.cat(entropies) if with_entropy else None)
