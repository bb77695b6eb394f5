"""Counter-based random numbers keyed per user, generated for a whole batch at once.

A simulated user's draws must depend only on (seed, user index, purpose), never on which other
users share the batch (SPEC §6: "a fresh draw per user, seeded from (seed, user index)"). A
torch.Generator cannot give per-row seeds without a Python loop over users, so this hashes
(key, stream, counter) with a 32-bit integer mixer and turns the bits into uniforms/normals.
"""

from __future__ import annotations

import sys

import torch

from hare.errors import ConfigError

_MASK32 = 0xFFFFFFFF

# Every purpose that draws random numbers owns a range [start, stop) of stream numbers, so no
# two purposes can ever share a stream. The numbers are those the engine has always used:
# changing one moves stored results (and must change hare.ENGINE_REVISION). A base generator
# declares its range on its class (``streams``, hare.generators): registering it reserves the
# range here under its name, refused where it meets another.
STREAMS: dict[str, tuple[int, int]] = {
    "sampling": (1, 1_000),  # ActionableSampling in session iteration t (1-based): stream t
    # people's sessions: redraw a (1-based) of iteration t: offset 1000·(a − 1) + t − 1
    "redraw": (1_000_000, 1_010_000),
    "ground_truth": (7_000_000, 7_000_001),  # simulated users' draws around the factual
    "ground_truth_gs": (7_001_000, 7_002_000),  # Growing Spheres from a draw: 2 streams a shell
    "noise": (9_000_000, 10_000_000),  # noisy answers: 1000·iteration + query number
    "preference_weights": (11_000_000, 11_000_001),  # weighted-cost users' feature weights
    "active": (13_000_000, 13_060_000),  # active_hare: 10,000 streams for each of 6 purposes
    "active_kinds": (13_060_000, 13_070_000),  # active_hare's cost hypotheses
    "user_kinds": (15_000_000, 15_001_000),  # simulated people's parameters (hare.user_models)
}


def reserve(purpose: str, start: int, stop: int) -> None:
    """Give ``purpose`` the streams [start, stop) (a generator's, as it is registered); a
    ConfigError where the name holds another range or the range meets another purpose's."""
    if STREAMS.get(purpose) == (start, stop):
        return  # the same class registered again (its module reloaded)
    if purpose in STREAMS:
        raise ConfigError(f"random streams: {purpose!r} already owns {STREAMS[purpose]}")
    if not 0 <= start < stop:
        raise ConfigError(f"random streams of {purpose!r}: [{start}, {stop}) is not a range")
    for other, (other_start, other_stop) in STREAMS.items():
        if start < other_stop and other_start < stop:
            raise ConfigError(f"random streams of {purpose!r}: [{start}, {stop}) meets "
                              f"{other!r}'s [{other_start}, {other_stop})")
    STREAMS[purpose] = (start, stop)


def stream(purpose: str, offset: int = 0) -> int:
    """The stream number ``offset`` places into ``purpose``'s range (see STREAMS)."""
    start, stop = STREAMS[purpose]
    if not 0 <= offset < stop - start:
        raise ConfigError(f"random stream {offset} of {purpose!r} is outside its range: "
                          f"offsets 0 to {stop - start - 1} are valid")
    return start + offset


def stream_capacity(purpose: str) -> int:
    """How many streams ``purpose`` owns."""
    start, stop = STREAMS[purpose]
    return stop - start


def check_streams(first: int, count: int) -> None:
    """ConfigError unless streams first .. first + count − 1 all lie in one purpose's range
    (for searches handed a base stream, e.g. Growing Spheres' 2 streams a shell)."""
    for purpose, (start, stop) in STREAMS.items():
        if start <= first and first + count <= stop:
            return
    raise ConfigError(f"random streams {first} to {first + count - 1} do not lie in one "
                      f"purpose's range of hare.rng.STREAMS")


# lowbias32's second multiplier as the int32 with its bits (int32 products wrap mod 2**32).
_MUL2 = 0x846CA68B - (1 << 32)


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """lowbias32 (C. Wellons) on int32 tensors holding 32-bit words as their bit patterns.

    int32 rather than int64: the same words (int32 products wrap mod 2**32; the right shifts
    are arithmetic, so the shift by 15 is masked to its logical result) at half the memory
    traffic, which is what these element-wise passes cost: 4x faster than the int64 version on
    3 M words, bit for bit equal (tests/hare/test_rng.py pins words of the int64 version)."""
    return _mix32_(x.clone(memory_format=torch.contiguous_format))


def _mix32_(x: torch.Tensor) -> torch.Tensor:
    """_mix32 in x's own buffer (contiguous), for a temporary no one else reads: one pass over
    the words fewer."""
    halves = x.view(-1).view(torch.int16) if _HALVES and x.numel() >= _HALVES_FROM else None
    _xor_high_into_low(x, halves)
    x.mul_(0x7FEB352D)
    shifted = x >> 15
    x ^= shifted.bitwise_and_(0x1FFFF)
    x.mul_(_MUL2)
    _xor_high_into_low(x, halves)
    return x


# x ^= x >>> 16 (the logical shift) XORs each word's high 16 bits into its low 16 and keeps the
# high ones: on a little-endian machine that is one pass over the int16 halves, where the
# shift, mask and XOR of whole words are three (a block of 2^18 words: 0.61 ms against 0.97).
_HALVES = sys.byteorder == "little"
_HALVES_FROM = 4096  # below this the two slicing views cost more than they save


def _xor_high_into_low(x: torch.Tensor, halves: torch.Tensor | None) -> None:
    if halves is None:
        x ^= (x >> 16) & 0xFFFF
    else:
        halves[0::2] ^= halves[1::2]


def _words(x: torch.Tensor) -> torch.Tensor:
    """int64 values in [0, 2**32) as int32 bit patterns (the cast keeps the low 32 bits)."""
    return x.to(torch.int32)


def _unsigned(x: torch.Tensor) -> torch.Tensor:
    """int32 bit patterns as the int64 values in [0, 2**32) they stand for."""
    return x.to(torch.int64) & _MASK32


def user_keys(seed: int, user_index: torch.Tensor) -> torch.Tensor:
    """(N,) int64 keys in [0, 2**32), one per user, from the run seed and each user's index."""
    seed_key = _mix32(_words(torch.tensor((int(seed) & _MASK32) ^ 0x9E3779B9)))
    index = _words((user_index.to(torch.int64) + 0x632BE5AB) & _MASK32)
    return _unsigned(_mix32(_mix32(index) ^ seed_key))


def _bits(keys: torch.Tensor, stream: int, shape: tuple[int, ...],
          columns: torch.Tensor | None = None) -> torch.Tensor:
    """Independent 32-bit words (int32 bit patterns) of shape keys.shape + shape; with
    ``columns`` (a bool mask of the last dimension), only those columns' words: the same words,
    without hashing the rest."""
    counter = torch.arange(_count(shape), dtype=torch.int32).reshape(shape)
    if columns is not None:
        counter = counter[..., columns]
    stream_key = _mix32(_words(torch.tensor(((int(stream) & _MASK32) + 0x2545F491) & _MASK32)))
    k = _mix32(_words(keys.to(torch.int64)) ^ stream_key)
    k = k.reshape(k.shape + (1,) * len(shape))
    # int32 sums wrap mod 2**32, as the words must; both operands of _mix32_ are temporaries
    return _mix32_(_mix32_(counter ^ k).add_(k))


# Words hashed per block of users: the hash is some thirty element-wise passes over its words,
# and they are cheapest while a block stays in the core's cache. One pass over a batch's words
# at once streams it through memory thirty times: 150 users × 16,000 words took 29 ms as one
# block, 14 ms in blocks of 8 users (benchmarks/batching_speedup.py's Credit shells). The size
# was chosen by timing the ground truth of 150 users on each dataset with blocks of 2^15 to 2^20.
_BLOCK_WORDS = 1 << 18


def _in_blocks(keys: torch.Tensor, words_per_key: int, draw) -> torch.Tensor:
    """draw(keys) computed for blocks of keys' first dimension and stacked along it: the same
    numbers (a key's draws depend on that key alone), without leaving the cache."""
    users = max(1, _BLOCK_WORDS // max(1, words_per_key))
    if keys.dim() == 0 or keys.shape[0] <= users:
        return draw(keys)
    first = draw(keys[:users])
    out = first.new_empty((keys.shape[0],) + first.shape[1:])
    out[:users] = first
    for start in range(users, keys.shape[0], users):
        out[start:start + users] = draw(keys[start:start + users])
    return out


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def keyed_uniform(keys: torch.Tensor, stream: int, shape: tuple[int, ...],
                  columns: torch.Tensor | None = None) -> torch.Tensor:
    """Uniforms in (0, 1), shape keys.shape + shape (the ``columns`` of it only, see _bits),
    float32."""
    return _in_blocks(keys, _count(shape), lambda k: _uniform(k, stream, shape, columns))


def _uniform(keys, stream, shape, columns):
    # the top 24 bits (exactly representable in float32); masked: the shift is arithmetic.
    # In the temporaries' own buffers; × 2^-24 is the same exact scaling as ÷ 2^24.
    bits = _bits(keys, stream, shape, columns).bitwise_right_shift_(8).bitwise_and_(0xFFFFFF)
    return bits.to(torch.float32).add_(0.5).mul_(1.0 / (1 << 24))


def keyed_normal(keys: torch.Tensor, stream: int, shape: tuple[int, ...],
                 columns: torch.Tensor | None = None) -> torch.Tensor:
    """Standard normals (Box–Muller), shape keys.shape + shape, float32. With ``columns`` (a
    bool mask of the last dimension) the other columns are 0 and cost nothing: the draws that
    searches mask to their mutable columns anyway, bit for bit the same numbers there."""
    return _in_blocks(keys, 2 * _count(shape), lambda k: _normal(k, stream, shape, columns))


def _normal(keys, stream, shape, columns):
    u = _uniform(keys, stream, (2,) + tuple(shape), columns)
    u1, u2 = u.select(len(keys.shape), 0), u.select(len(keys.shape), 1)
    # sqrt(−2 ln u1) · cos(2π u2), each step in a temporary's own buffer: the same kernels
    normal = torch.log(u1).mul_(-2.0).sqrt_().mul_(torch.mul(u2, 2.0 * torch.pi).cos_())
    if columns is None:
        return normal
    out = normal.new_zeros(keys.shape + tuple(shape))
    # index_copy_ with the columns' indices: the same copy as out[..., columns] = normal,
    # without the boolean mask's general indexing (2.5 ms against 3.6 on 1.2 M normals)
    return out.index_copy_(-1, torch.nonzero(columns).squeeze(-1), normal)
