"""Adam's update for one tensor of search variables, without torch.optim's per-step overhead.

The searches (ActionableSampling, Wachter, CLUE, the authors' sampler) take hundreds to
thousands of Adam steps on one small tensor holding every user's directions or candidates.
torch.optim.Adam.step spends some 60 µs a call on bookkeeping (parameter groups, hooks, profiler
records), more than the update itself on 150 users × 30 candidates. This class makes the same
tensor operations in the same order as torch's single-tensor Adam (no weight decay, not
maximising), so the same values: tests/hare/test_adam.py checks it against torch.optim.Adam,
with and without amsgrad.
"""

from __future__ import annotations

import torch


class Adam:
    """Adam on ``param`` (updated in place), one ``step(grad)`` at a time, under no_grad."""

    def __init__(self, param: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, amsgrad: bool = False):
        self.param, self.lr, self.betas, self.eps, self.amsgrad = param, lr, betas, eps, amsgrad
        self.exp_avg = torch.zeros_like(param, memory_format=torch.preserve_format)
        self.exp_avg_sq = torch.zeros_like(param, memory_format=torch.preserve_format)
        self.max_exp_avg_sq = (torch.zeros_like(param, memory_format=torch.preserve_format)
                               if amsgrad else None)
        self.steps = 0

    @torch.no_grad()
    def step(self, grad: torch.Tensor) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1 ** self.steps
        bias_correction2_sqrt = (1 - beta2 ** self.steps) ** 0.5
        second = self.exp_avg_sq
        if self.max_exp_avg_sq is not None:
            second = torch.maximum(self.max_exp_avg_sq, self.exp_avg_sq, out=self.max_exp_avg_sq)
        denom = second.sqrt().div_(bias_correction2_sqrt).add_(self.eps)
        self.param.addcdiv_(self.exp_avg, denom, value=-(self.lr / bias_correction1))


class ParametersAdam:
    """torch.optim.Adam's interface (zero_grad, step from each parameter's .grad) over a
    module's parameters, each stepped by its own Adam: the same values as torch's (which steps
    them one by one as well on CPU), without its bookkeeping. Training a classifier takes 8,000
    steps, and torch's step() was half of that time."""

    def __init__(self, params, lr: float):
        self.params = list(params)
        self.each = [Adam(p, lr) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, adam in zip(self.params, self.each):
            if p.grad is not None:  # as torch's: a parameter without a gradient is not stepped
                adam.step(p.grad)
