"""torch's Adam and RMSprop updates for search variables and small networks, without
torch.optim's per-step overhead.

The searches (ActionableSampling, Wachter, CLUE, CRUDS, the authors' sampler) take hundreds to
thousands of steps on one small tensor holding every user's directions or candidates, and a
classifier trains for 8,000 steps. torch.optim's step() spends some 25–60 µs a tensor on
bookkeeping (parameter groups, hooks, profiler records, step counters as tensors): as much as
the update itself on 150 users × 6 candidates, and half of a classifier's training time. These
classes make the same tensor operations in the same order as torch's single-tensor updates (no
weight decay, no momentum, not maximising), so the same values: tests/hare/test_optim.py checks
them against torch.optim.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch


class Adam:
    """torch.optim.Adam on ``param`` (updated in place), one ``step(grad)`` at a time."""

    def __init__(self, param: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, amsgrad: bool = False):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
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


class RMSprop:
    """torch.optim.RMSprop (not centred, no momentum) on ``param``, one ``step(grad)`` at a
    time."""

    def __init__(self, param: torch.Tensor, lr: float, alpha: float = 0.99, eps: float = 1e-8):
        self.param, self.lr, self.alpha, self.eps = param, lr, alpha, eps
        self.square_avg = torch.zeros_like(param, memory_format=torch.preserve_format)

    @torch.no_grad()
    def step(self, grad: torch.Tensor) -> None:
        self.square_avg.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)
        self.param.addcdiv_(grad, self.square_avg.sqrt().add_(self.eps), value=-self.lr)


class ForParameters:
    """torch.optim's interface (zero_grad, then step from each parameter's .grad) over a
    module's parameters, each stepped by its own update, as torch's CPU optimizers step them."""

    def __init__(self, params: Iterable[torch.Tensor], update: Callable[[torch.Tensor], object]):
        self.params = list(params)
        self.each = [update(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, update in zip(self.params, self.each):
            if p.grad is not None:  # as torch's: a parameter without a gradient is not stepped
                update.step(p.grad)
