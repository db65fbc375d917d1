"""Linear-chain CRF loss over BIO tags, with the same hard BIO constraints as decoding."""

from __future__ import annotations

import torch

from zhinvest.decoding import bio_transitions

FORBIDDEN = -1e4


def crf_nll(log_probs: torch.Tensor, tags: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor
            ) -> torch.Tensor:
    """Mean per labelled character of −log P(gold tag path), over valid BIO paths only.

    ``log_probs`` ``[B, L, T]`` are the per-character emissions, ``tags`` ``[B, L]`` the gold tag ids
    with ``-100`` where a position is not labelled; labelled positions form a prefix of each row.
    """
    mask = tags != -100
    keep = mask.any(1)
    log_probs, tags, mask = log_probs[keep].float(), tags[keep].clamp(min=0), mask[keep]
    if not len(tags):
        return log_probs.sum() * 0.0
    size = log_probs.shape[-1]
    allowed, allowed_first = (torch.from_numpy(a).to(log_probs.device) for a in bio_transitions((size - 1) // 2))
    transition = torch.where(allowed, transitions.float(), torch.full_like(transitions.float(), FORBIDDEN))
    first = torch.where(allowed_first, start.float(), torch.full_like(start.float(), FORBIDDEN))

    rows = torch.arange(len(tags), device=tags.device)
    gold = first[tags[:, 0]] + log_probs[rows, 0, tags[:, 0]]
    alpha = first + log_probs[:, 0]
    for position in range(1, tags.shape[1]):
        on = mask[:, position]
        if not on.any():
            break
        step = transition[tags[:, position - 1], tags[:, position]] + log_probs[rows, position, tags[:, position]]
        gold = gold + torch.where(on, step, torch.zeros_like(step))
        moved = torch.logsumexp(alpha[:, :, None] + transition[None], dim=1) + log_probs[:, position]
        alpha = torch.where(on[:, None], moved, alpha)
    return (torch.logsumexp(alpha, dim=1) - gold).sum() / mask.sum()
