"""The random-stream registry: disjoint ranges, and every caller draws only from its own range."""

import pytest
import torch

from hare import rng
from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.generators import make_generator
from hare.session import HareSession, HareSettings, run_to_end
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


def purpose_of(stream: int) -> str | None:
    found = [p for p, (start, stop) in rng.STREAMS.items() if start <= stream < stop]
    return found[0] if found else None


@pytest.fixture
def streams_used(monkeypatch):
    """Records the stream of every keyed draw made while the test runs."""
    used: list[int] = []
    bits = rng._bits

    def recording(keys, stream, shape, columns=None):
        used.append(int(stream))
        return bits(keys, stream, shape, columns)

    monkeypatch.setattr(rng, "_bits", recording)
    return used


def test_every_purpose_keeps_the_streams_stored_results_were_drawn_with():
    """The generators' ranges come from their classes (reserved as they are registered), the
    rest from hare.rng's table: together, the numbers the engine has always used."""
    assert rng.STREAMS == {
        "sampling": (1, 1_000), "gs": (1_000, 2_000), "cchvae": (2_000, 3_000),
        "redraw": (1_000_000, 1_010_000), "ground_truth": (7_000_000, 7_000_001),
        "ground_truth_gs": (7_001_000, 7_002_000), "noise": (9_000_000, 10_000_000),
        "preference_weights": (11_000_000, 11_000_001), "active": (13_000_000, 13_060_000),
        "active_kinds": (13_060_000, 13_070_000),
        "user_kinds": (15_000_000, 15_001_000)}


def test_ranges_are_well_formed_and_pairwise_disjoint():
    ranges = sorted(rng.STREAMS.values())
    assert all(start < stop for start, stop in ranges)
    assert all(a_stop <= b_start for (_, a_stop), (b_start, _) in zip(ranges, ranges[1:]))


def test_stream_outside_its_range_is_refused():
    start, stop = rng.STREAMS["gs"]
    assert rng.stream("gs", stop - start - 1) == stop - 1
    with pytest.raises(ConfigError, match="gs"):
        rng.stream("gs", stop - start)
    with pytest.raises(ConfigError):
        rng.check_streams(stop - 2, 4)  # straddles the end of the range


def test_shell_limits_follow_the_registry():
    capacity = rng.stream_capacity("gs") // 2
    make_generator("gs", max_shells=capacity)
    with pytest.raises(ConfigError, match="max_shells"):
        make_generator("gs", max_shells=capacity + 1)
    with pytest.raises(ConfigError, match="max_shells"):
        make_generator("cchvae", max_shells=rng.stream_capacity("cchvae") // 2 + 1)


def test_growing_spheres_generator_draws_from_its_range(streams_used, compas, compas_ann):
    x, keys = refused(compas_ann, compas, 5)
    make_generator("gs").fit(compas, compas_ann, ActionSpace.for_dataset(compas)).generate(x, keys)
    assert streams_used and {purpose_of(s) for s in streams_used} == {"gs"}


def test_cchvae_draws_from_its_range(streams_used, compas, compas_ann, tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path))  # a small VAE, trained for this test
    x, keys = refused(compas_ann, compas, 5)
    make_generator("cchvae", epochs=1, hidden=(16, 8)).fit(
        compas, compas_ann, ActionSpace.for_dataset(compas)).generate(x, keys)
    assert streams_used and {purpose_of(s) for s in streams_used} == {"cchvae"}


def test_ground_truth_draws_from_its_ranges(streams_used, compas, compas_ann):
    x, keys = refused(compas_ann, compas, 10)
    simulate_ground_truth(compas_ann, x, ActionSpace.for_dataset(compas), "intermediate", keys)
    assert {purpose_of(s) for s in streams_used} == {"ground_truth", "ground_truth_gs"}


def test_session_and_noisy_user_draw_from_their_ranges(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 6)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    truth = simulate_ground_truth(compas_ann, x, space, "near", keys).recourse
    session = HareSession(compas_ann, x, r0, space, HareSettings(budget=6, iterations=3), keys)
    user = SimulatedUser(truth, keys, noise="bernoulli", noise_param=0.2)
    used: list[int] = []
    bits = rng._bits
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rng, "_bits", lambda k, s, shape, columns=None: used.append(int(s))
                      or bits(k, s, shape, columns))
        run_to_end(session, user)
    assert {purpose_of(s) for s in used} == {"sampling", "noise"}


def test_weighted_cost_users_draw_from_their_range(streams_used, compas):
    from hare.bench.runner import _preference_weights
    _preference_weights(rng.user_keys(0, torch.arange(4)), ActionSpace.for_dataset(compas))
    assert {purpose_of(s) for s in streams_used} == {"preference_weights"}


def test_drawing_only_some_columns_gives_the_same_numbers_there():
    """Searches draw only their mutable columns: bit for bit the full draw's values there
    (stored results must not move), zero elsewhere."""
    keys = rng.user_keys(3, torch.arange(7))
    columns = torch.tensor([True, False, True, True, False])
    full = rng.keyed_normal(keys, 1234, (50, 5))
    some = rng.keyed_normal(keys, 1234, (50, 5), columns=columns)
    assert some.shape == full.shape and torch.equal(some[..., columns], full[..., columns])
    assert bool((some[..., ~columns] == 0).all())


def test_words_are_those_every_stored_result_was_drawn_with():
    """The int32 mixer gives the words the int64 version gave (pinned from it): the keys and
    the raw words bit for bit, since every stored run was drawn with them. The normals made
    from them go through float32 log and cos, whose last bits differ between CPUs' vector
    kernels (1.2e-7 apart on an AVX-512 machine): pinned within 1e-6."""
    keys = rng.user_keys(7, torch.arange(3))
    assert keys.dtype == torch.int64 and keys.tolist() == [1315011277, 1563924852, 1879147552]
    words = rng._bits(keys, 1234, (4,)).to(torch.int64) & 0xFFFFFFFF
    assert words.tolist() == [[3141145201, 1351065164, 3609252106, 486980159],
                              [601880159, 4281053309, 220246590, 3683790710],
                              [2805666774, 4073938448, 886470725, 2355726699]]
    normal = rng.keyed_normal(keys, 7_000_000, (2, 3)).flatten()[:3].tolist()
    assert normal == pytest.approx([0.993804395198822, -0.18568140268325806, -1.0990341901779175],
                                   rel=1e-6, abs=1e-6)


def test_int32_mixer_equals_lowbias32_on_any_word():
    """Against lowbias32 written in int64 arithmetic (as the engine first had it), on random
    words and the edges of the 32-bit range."""
    mask = 0xFFFFFFFF

    def lowbias32(x):
        x = x & mask
        x = x ^ (x >> 16)
        x = (x * 0x7FEB352D) & mask
        x = x ^ (x >> 15)
        x = (x * 0x846CA68B) & mask
        return x ^ (x >> 16)

    words = torch.cat([torch.randint(0, 1 << 32, (100_000,), dtype=torch.int64,
                                     generator=torch.Generator().manual_seed(0)),
                       torch.tensor([0, 1, (1 << 31) - 1, 1 << 31, mask - 1, mask])])
    mixed = rng._mix32(words.to(torch.int32)).to(torch.int64) & mask
    assert torch.equal(mixed, lowbias32(words))
    # below _HALVES_FROM words the shifts act on whole words; a strided input is copied first
    few = words[:100]
    assert few.numel() < rng._HALVES_FROM
    assert torch.equal(rng._mix32(few.to(torch.int32)).to(torch.int64) & mask, lowbias32(few))
    strided = words[::3]
    assert torch.equal(rng._mix32(strided.to(torch.int32)).to(torch.int64) & mask,
                       lowbias32(strided))


@pytest.mark.parametrize("block_words", [64, 1000, 1 << 40])
def test_draws_made_in_blocks_of_users_are_the_draws_of_one_block(block_words, monkeypatch):
    """Draws are hashed in cache-sized blocks of users; any block size gives the same numbers
    (1 << 40: one block, as before blocks existed)."""
    keys = rng.user_keys(5, torch.arange(37))
    columns = torch.tensor([True, False, True, True, False])
    expected = (rng.keyed_uniform(keys, 1234, (50, 5)),
                rng.keyed_normal(keys, 1234, (50, 5), columns=columns))
    monkeypatch.setattr(rng, "_BLOCK_WORDS", block_words)
    uniform = rng.keyed_uniform(keys, 1234, (50, 5))
    normal = rng.keyed_normal(keys, 1234, (50, 5), columns=columns)
    assert torch.equal(uniform, expected[0]) and torch.equal(normal, expected[1])
    assert torch.equal(rng.keyed_uniform(keys[3], 1234, (50, 5)), expected[0][3])  # one key
