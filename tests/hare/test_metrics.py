"""Each metric against a value computed by hand on a tiny example."""

import math

import pytest
import torch
from torch import nn

from hare.metrics import compute_metrics
from hare.models import Classifier


class Linear(Classifier):
    """g(x) = σ(x0 + x1 + x2 − 1): positive iff the features sum to at least 1."""

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1).double()
        with torch.no_grad():
            self.net.weight.copy_(torch.ones(1, 3))
            self.net.bias.fill_(-1.0)


def test_metrics_match_hand_computation():
    model = Linear()
    x = torch.tensor([[0.0, 0.2, 0.3], [0.0, 0.0, 0.0], [0.1, 0.1, 0.1]], dtype=torch.float64)
    r = torch.tensor([[0.6, 0.2, 0.3],    # moves only x0 by 0.6: sum 1.1, positive
                      [0.8, 0.8, 0.0],    # moves x0 and x1: sum 1.6
                      [float("nan")] * 3],  # the generator failed for user 3
                     dtype=torch.float64)
    gt = torch.tensor([[0.0, 0.7, 0.3], [0.5, 0.5, 0.0], [0.5, 0.5, 0.1]], dtype=torch.float64)
    immutable = torch.tensor([False, True, False])
    m = compute_metrics(model, x, r, gt, immutable)
    assert m.valid.tolist() == [True, True, False]
    # GTP: ‖r − gt‖: user 1 √(0.6² + 0.5²); user 2 √(0.3² + 0.3²)
    assert m.gtp[0].item() == pytest.approx(math.sqrt(0.36 + 0.25))
    assert m.gtp[1].item() == pytest.approx(math.sqrt(0.18))
    # GTD: user 1 moves along x0, truth along x1: orthogonal, 1 − 0 = 1; user 2 parallel: 0
    assert m.gtd[0].item() == pytest.approx(1.0)
    assert m.gtd[1].item() == pytest.approx(0.0, abs=1e-12)
    # constraint violations: feature 1 is immutable; user 2 changed it
    assert m.constraint_violations.tolist()[:2] == [0.0, 1.0]
    # redundancy: user 1 reverting x0 gives sum 0.5 (negative) -> 0; user 2 reverting x0 gives
    # 0.8 (negative) and reverting x1 gives 0.8 (negative) -> 0
    assert m.redundancy.tolist()[:2] == [0.0, 0.0]
    # proximity ‖r − x‖ and its square; sparsity = features changed
    assert m.proximity_l2[0].item() == pytest.approx(0.6)
    assert m.proximity_sq[1].item() == pytest.approx(1.28)
    assert m.sparsity.tolist()[:2] == [1.0, 2.0]
    # every metric is NaN for the user without a recourse
    for name, values in m.as_dict().items():
        if name != "valid":
            assert math.isnan(values[2].item()), name


def test_redundancy_counts_features_that_alone_can_be_reverted():
    model = Linear()
    x = torch.zeros(1, 3, dtype=torch.float64)
    r = torch.tensor([[1.0, 1.0, 0.2]], dtype=torch.float64)  # sum 2.2
    m = compute_metrics(model, x, r, r.clone(), torch.zeros(3, dtype=torch.bool))
    # reverting x0 -> 1.2 (positive), x1 -> 1.2 (positive), x2 -> 2.0 (positive): all three
    assert m.redundancy.item() == 3.0
    assert m.gtp.item() == 0.0 and m.gtd.item() == pytest.approx(0.0, abs=1e-12)
