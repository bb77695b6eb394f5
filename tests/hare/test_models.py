"""The classifiers: an ANN's in-place ReLUs change no value and no gradient."""

import torch
from torch import nn


def test_ann_values_and_input_gradients_are_those_of_plain_relus(compas, compas_ann):
    """Without gradient recording the ANN's ReLUs work in place (searches call it on users ×
    samples rows); values, input gradients and the input itself are as with nn.ReLU."""
    plain = nn.Sequential(*[nn.ReLU() if isinstance(layer, nn.ReLU) else layer
                            for layer in compas_ann.net])
    x = compas.x_test[:300].clone()
    before = x.clone()
    with torch.no_grad():
        fast = compas_ann(x)
        assert torch.equal(x, before)
        assert torch.equal(fast, torch.sigmoid(plain(x).squeeze(-1)))
    ours, theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    recorded = compas_ann(ours)
    recorded.sum().backward()
    torch.sigmoid(plain(theirs).squeeze(-1)).sum().backward()
    assert torch.equal(recorded.detach(), fast)
    assert torch.equal(ours.grad, theirs.grad)
