"""The counting run field: the paper's by default (every stored id unchanged), people's on
request, and only where it changes what a run computes."""

from hare.bench.config import RunConfig
from hare.session import HareSettings


def test_paper_counting_is_the_default_and_keeps_the_id():
    paper = RunConfig(variant="multi_hare", iterations=5)
    assert paper.counting == "paper"
    assert RunConfig(variant="multi_hare", iterations=5, counting="paper").run_id == paper.run_id
    people = RunConfig(variant="multi_hare", iterations=5, counting="people")
    assert people.run_id != paper.run_id
    settings = people.hare_settings()
    assert isinstance(settings, HareSettings) and settings.counting == "people"


def test_counting_does_not_apply_to_the_base_or_to_active_hare():
    for variant, iterations in (("base", 5), ("active_hare", 3)):
        people = RunConfig(variant=variant, iterations=iterations, counting="people")
        assert people.normalised().counting == "paper"
        assert people.run_id == RunConfig(variant=variant, iterations=iterations).run_id
