"""What a live server does once when it starts, so no visitor's click pays for it: the demo's
model files into the cache. (It also used to build and step a torch optimizer, because the first
one a process builds imports torch's compiler stack, about 0.6 s; the searches now step
hare.optim and no click builds a torch optimizer, so that warm-up went.)
"""

from __future__ import annotations

from hare.live.shipped import install_shipped_models


def prepare_server() -> list[str]:
    """Once per server (or terminal run): install the shipped models. Returns the model files
    installed into the cache."""
    return install_shipped_models()
