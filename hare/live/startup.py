"""What a live server does once when it starts, so no visitor's click pays for it: the demo's
model files into the cache, and torch's optimizer machinery imported (the first optimizer a
process builds imports torch's compiler stack, about 0.6 s of CPU, before any search can run).
"""

from __future__ import annotations

import torch

from hare.live.shipped import install_shipped_models


def warm_up_torch() -> None:
    """Build and step one torch optimizer of each kind, on a throwaway tensor: what torch
    loads lazily on that first use is then loaded. The autoencoders train with torch's Adam;
    the searches and classifiers step hare.optim, which needs no warm-up."""
    for optimizer_class in (torch.optim.Adam, torch.optim.RMSprop):
        p = torch.zeros(1, requires_grad=True)
        optimizer = optimizer_class([p])
        (p * 2).sum().backward()
        optimizer.step()


def prepare_server() -> list[str]:
    """Once per server (or terminal run): install the shipped models, warm torch up.
    Returns the model files installed into the cache."""
    installed = install_shipped_models()
    warm_up_torch()
    return installed
