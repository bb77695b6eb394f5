"""hare.optim's updates give torch.optim's values step for step (the searches and the
classifiers rely on it to keep every stored result)."""

import pytest
import torch

import hare.models
from hare.data import load_dataset
from hare.models import AUTHORS_TRAINING, TrainSettings, train_classifier
from hare.optim import Adam, RMSprop


def _gradients(shape, steps):
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        # both signs and scales from 1e-3 to 1e2, so amsgrad's maximum changes hands
        scale = 10.0 ** torch.randint(-3, 3, (), generator=generator).item()
        yield torch.randn(shape, generator=generator, dtype=torch.float64) * scale


@pytest.mark.parametrize("ours, theirs", [
    (lambda p: Adam(p, 0.1), lambda p: torch.optim.Adam([p], lr=0.1)),
    (lambda p: Adam(p, 0.01, amsgrad=True), lambda p: torch.optim.Adam([p], lr=0.01, amsgrad=True)),
    (lambda p: RMSprop(p, 0.002), lambda p: torch.optim.RMSprop([p], lr=0.002)),
], ids=["adam", "adam-amsgrad", "rmsprop"])
def test_same_values_as_torch(ours, theirs):
    start = torch.randn(7, 5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    mine, reference = start.clone(), start.clone().requires_grad_(True)
    update, optimizer = ours(mine), theirs(reference)
    for grad in _gradients(start.shape, 300):
        update.step(grad)
        reference.grad = grad.clone()
        optimizer.step()
    assert not torch.equal(mine, start)
    assert torch.equal(mine, reference.detach())


def test_step_records_no_gradient():
    x = torch.zeros(4, requires_grad=True)
    Adam(x, 0.1).step(torch.ones(4))
    assert x.grad is None and x.grad_fn is None and bool((x < 0).all())


class _TorchOptimizer:
    """train_classifier's optimizer built the way it was before hare.optim: torch.optim's."""

    def __init__(self, params, update):
        ours = update(torch.zeros(1))  # which update and lr train_classifier asked for
        self.inner = getattr(torch.optim, type(ours).__name__)(params, lr=ours.lr)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()


@pytest.mark.parametrize("settings", [TrainSettings(min_steps=300, epochs=1),
                                      AUTHORS_TRAINING], ids=["ours-adam", "authors-rmsprop"])
def test_trained_classifier_equals_torch_optim(monkeypatch, settings):
    """A classifier trained through hare.optim has torch.optim's weights bit for bit."""
    dataset = load_dataset("compas")
    ours = train_classifier(dataset, "ann", 3, settings)
    monkeypatch.setattr(hare.models, "ForParameters", _TorchOptimizer)
    theirs = train_classifier(dataset, "ann", 3, settings)
    pairs = list(zip(ours.parameters(), theirs.parameters()))
    assert len(pairs) == 8
    assert all(torch.equal(a, b) for a, b in pairs)
