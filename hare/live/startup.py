"""What a live server does once when it starts, so no visitor's click pays for it: the demo's
model files into the cache, and any shipped file found damaged rebuilt there and then, as
scripts/build_demo_models.py builds it. (It also used to build and step a torch optimizer,
because the first one a process builds imports torch's compiler stack, about 0.6 s; the searches
now step hare.optim and no click builds a torch optimizer, so that warm-up went.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hare.actions import ActionSpace
from hare.data import load_dataset
from hare.generators import make_generator
from hare.live.shipped import damaged_datasets, install_shipped_models
from hare.models import MODEL_KINDS, load_or_train

# The generators whose autoencoders the demo ships, fitted as the build script fits them.
SHIPPED_GENERATORS = ("cchvae", "clue", "cruds")


@dataclass(frozen=True)
class ServerStart:
    """What start-up did: the shipped files installed, and those found damaged (missing or
    failing their checksum), whose models were trained again before any visitor asked."""

    installed: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)

    def notice(self) -> str:
        """A line for the page when something was damaged ("" when all was well)."""
        if not self.damaged:
            return ""
        return (f"{len(self.damaged)} of the demo's shipped model files were damaged or missing "
                f"({', '.join(damaged_datasets(self.damaged))}); they were trained again when "
                "the server started, so answers are unaffected. Whoever runs this server: "
                "restore hare/live/demo_models (or run scripts/build_demo_models.py).")


def rebuild(datasets: list[str]) -> None:
    """Train, into the cache, every demo model of ``datasets`` (seed 0): the classifiers and
    the generators' autoencoders. Each is loaded, not trained, when its file is in the cache."""
    for name in datasets:
        dataset = load_dataset(name)
        for kind in MODEL_KINDS:
            model = load_or_train(dataset, kind, 0).model
            for generator in SHIPPED_GENERATORS:
                make_generator(generator).fit(dataset, model, ActionSpace.for_dataset(dataset), 0)


def prepare_server() -> ServerStart:
    """Once per server (or terminal run): install the shipped models, and rebuild those whose
    shipped files are damaged."""
    damaged: list[str] = []
    installed = install_shipped_models(damaged=damaged)
    if damaged:
        rebuild(damaged_datasets(damaged))
    return ServerStart(installed, damaged)
