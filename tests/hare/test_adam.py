"""hare.adam.Adam gives torch.optim.Adam's values step for step (the searches rely on it to
keep every stored result)."""

import pytest
import torch

from hare.adam import Adam


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("lr", [0.1, 0.01])
def test_same_values_as_torch_adam(amsgrad, lr):
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(7, 5, 3, generator=generator, dtype=torch.float64)
    ours, theirs = start.clone(), start.clone().requires_grad_(True)
    mine = Adam(ours, lr, amsgrad=amsgrad)
    reference = torch.optim.Adam([theirs], lr=lr, amsgrad=amsgrad)
    for _ in range(300):
        # gradients of both signs and scales, so amsgrad's maximum changes hands
        grad = torch.randn(start.shape, generator=generator, dtype=torch.float64) * 10 ** (
            torch.randint(-3, 3, (), generator=generator).item())
        mine.step(grad)
        theirs.grad = grad.clone()
        reference.step()
    assert not torch.equal(ours, start)
    assert torch.equal(ours, theirs.detach())


def test_step_records_no_gradient():
    x = torch.zeros(4, requires_grad=True)
    Adam(x, 0.1).step(torch.ones(4))
    assert x.grad is None and x.grad_fn is None and bool((x < 0).all())


def test_training_with_parameters_adam_equals_torch_adam(monkeypatch):
    """A classifier trained through hare.adam has torch.optim.Adam's weights bit for bit."""
    from hare.data import load_dataset
    from hare.models import TrainSettings, train_classifier
    import hare.models

    dataset = load_dataset("compas")
    settings = TrainSettings(min_steps=300, epochs=1)
    ours = train_classifier(dataset, "ann", 3, settings)

    class TorchAdam(torch.optim.Adam):
        def __init__(self, params, lr):
            super().__init__(params, lr=lr)

    monkeypatch.setattr(hare.models, "ParametersAdam", TorchAdam)
    theirs = train_classifier(dataset, "ann", 3, settings)
    pairs = list(zip(ours.parameters(), theirs.parameters()))
    assert len(pairs) == 8
    assert all(torch.equal(a, b) for a, b in pairs)
