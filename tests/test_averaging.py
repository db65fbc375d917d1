"""The weight average follows its formula, lends its weights only inside its block, and survives a save."""

from __future__ import annotations

import pytest
import torch

from training.averaging import WeightAverage


def _model() -> torch.nn.Module:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    model[1].bias.requires_grad_(False)
    return model


def test_average_follows_the_update_rule_and_skips_frozen_weights():
    model = _model()
    start = model[0].weight.detach().clone()
    average = WeightAverage(model, decay=0.75)
    assert "1.bias" not in average.shadow
    with torch.no_grad():
        model[0].weight.add_(4.0)
    average.update(model)
    assert torch.allclose(average.shadow["0.weight"], start + 1.0)


def test_applied_lends_the_averaged_weights_and_restores_the_model(tmp_path):
    model = _model()
    average = WeightAverage(model, decay=0.5)
    own = model[0].weight.detach().clone()
    average.shadow["0.weight"] = torch.zeros_like(own)
    with average.applied(model):
        assert model[0].weight.abs().sum() == 0
    assert torch.equal(model[0].weight, own)

    average.save(tmp_path / "average.pt")
    restored = WeightAverage(model, decay=0.5)
    restored.load(tmp_path / "average.pt")
    assert torch.equal(restored.shadow["0.weight"], torch.zeros_like(own))
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, decay=1.0)
