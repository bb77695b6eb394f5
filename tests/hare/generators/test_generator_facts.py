"""A generator declares its facts once, on its class: the registry hands its names, its random
streams and its place in the presets to every face."""

import pytest
import torch

from hare import rng
from hare.bench.config import AXES, RunConfig
from hare.bench.names import readable
from hare.bench.presets import ALL_GENERATORS
from hare.cli import main
from hare.errors import ConfigError
from hare.generators import REGISTRY, RecourseGenerator, generator_names, make_generator, register
from hare.live.formatting import generator_help, generator_label

PAPER_ORDER = ("wachter", "gs", "face", "cchvae", "clue", "cruds")


class Tiny(RecourseGenerator):
    """Returns the factual itself: a generator that needs no other file to exist."""

    name = "tiny"
    title = "Tiny Search"
    people_label = "Stay as you are"
    people_help = "Tiny: hands back the profile unchanged"
    streams = (500_000, 500_010)

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return x.clone()


@pytest.fixture
def tiny():
    """Tiny, registered for one test and removed after it (its random streams too)."""
    try:
        yield register(Tiny)
    finally:
        REGISTRY.pop(Tiny.name, None)
        rng.STREAMS.pop(Tiny.name, None)


def test_a_generator_registered_in_a_test_reaches_every_face(tiny, capsys):
    assert generator_names()[-1] == "tiny"
    assert generator_label("tiny") == "Stay as you are"
    assert generator_help("tiny") == "Tiny: hands back the profile unchanged"
    assert readable("generator", "tiny") == "Tiny Search"
    assert "tiny" in AXES["generator"].choices()
    assert RunConfig(generator="tiny").generator == "tiny"  # the run schema accepts it
    assert isinstance(make_generator("tiny"), Tiny)
    assert rng.stream("tiny", 9) == 500_009 and rng.stream_capacity("tiny") == 10
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    assert "{" + ",".join((*PAPER_ORDER, "tiny")) + "}" in capsys.readouterr().out


def test_removed_again_after_the_test():
    assert "tiny" not in generator_names() and "tiny" not in rng.STREAMS
    with pytest.raises(ConfigError, match="tiny"):
        RunConfig(generator="tiny")


def test_registry_order_is_the_papers_and_the_presets_follow_it():
    assert generator_names() == PAPER_ORDER
    assert tuple(ALL_GENERATORS) == PAPER_ORDER


def test_names_people_and_researchers_read():
    """What the live page's picker and the report show for each generator."""
    shown = {name: (readable("generator", name), generator_label(name), generator_help(name))
             for name in generator_names()}
    assert shown == {
        "wachter": ("Wachter", "Gradient search",
                    "Wachter et al.: follows the model's gradient to a yes"),
        "gs": ("Growing Spheres", "Nearest change",
               "Growing spheres: the smallest change the model accepts (fast)"),
        "face": ("FACE", "Path through real people",
                 "FACE: a path through similar people the model accepts"),
        "cchvae": ("CCHVAE", "Realistic profiles (VAE)",
                   "CCHVAE: searches among profiles that look like real ones"),
        "clue": ("CLUE", "Confident profiles (VAE)", "CLUE: profiles the model is sure about"),
        "cruds": ("CRUDS", "Realistic profiles (CSVAE)",
                  "CRUDS: a model of how profiles differ between outcomes"),
    }
    # a name no generator has passes through
    assert (readable("generator", "nope"), generator_label("nope"), generator_help("nope")) \
        == ("nope", "nope", "nope")


def test_a_generator_whose_streams_meet_another_purposes_is_refused():
    class Clash(Tiny):
        name = "clash"
        streams = (1_500, 2_500)  # across Growing Spheres' and CCHVAE's ranges

    with pytest.raises(ConfigError, match="'gs'"):
        register(Clash)
    assert "clash" not in generator_names() and "clash" not in rng.STREAMS


def test_a_generator_without_its_facts_or_with_a_taken_name_is_refused():
    class Nameless(Tiny):
        title = ""

    with pytest.raises(TypeError, match="title"):
        register(Nameless)

    class Impostor(Tiny):
        name = "gs"
        streams = None

    with pytest.raises(TypeError, match="'gs'"):
        register(Impostor)
    assert REGISTRY["gs"].__name__ == "GrowingSpheres"
