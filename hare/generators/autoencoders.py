"""The generative models behind CCHVAE, CLUE (a VAE) and CRUDS (a CSVAE), trained once per
(dataset, seed, settings) and cached on disk like the classifiers (hare.models).

Both model only the dataset's **mutable** columns: the encoders see x_mut, the decoders get the
immutable columns as an input, so a decoded point can be put back together with the factual's
immutables unchanged. Trained in float32 for speed, used in float64 like the rest of the engine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, fields, make_dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from hare.cache import CacheEntry
from hare.data import Dataset
from hare.errors import ConfigError
from hare.generators.base import check_number

log = logging.getLogger("hare.generators")


@dataclass(frozen=True)
class VAESettings:
    """Architecture and training of a VAE; part of the cache key, so a change retrains."""

    hidden: tuple[int, ...] = (32, 16)
    latent: int = 4
    residual: bool = False  # skip connections between equal-width hidden layers (CLUE)
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    beta: float = 0.3  # weight of the KL term, reached by a linear ramp over the first epoch(s)
    anneal_epochs: float = 1.0
    # Stop once the epoch loss has not fallen below (1 − early_stop_tol) × its best for this
    # many epochs; None trains every epoch. ``epochs`` stays the ceiling.
    early_stop_epochs: int | None = None
    early_stop_tol: float = 0.005

    def __post_init__(self):
        _check_hidden("VAE", self)
        for name in ("latent", "epochs", "batch_size"):
            check_number("VAE", name, getattr(self, name), int, low=1)
        if self.early_stop_epochs is not None:
            check_number("VAE", "early_stop_epochs", self.early_stop_epochs, int, low=1)
        check_number("VAE", "early_stop_tol", self.early_stop_tol, float, low=0, high=1)
        if not isinstance(self.residual, bool):
            raise ConfigError(f"VAE: residual must be True or False, not {self.residual!r}")
        check_number("VAE", "lr", self.lr, float, low=0, low_open=True)
        check_number("VAE", "beta", self.beta, float, low=0)
        check_number("VAE", "anneal_epochs", self.anneal_epochs, float, low=0)


@dataclass(frozen=True)
class CSVAESettings:
    """CSVAE (Klys et al. 2018) settings; the five loss weights are that paper's β1..β5."""

    hidden: tuple[int, ...] = (64, 32)
    latent: int = 8  # z, meant to carry no information about y
    w_dim: int = 2  # w, the label subspace
    w_prior_mean: float = 3.0  # p(w | y=1) = N(m·1, v), p(w | y=0) = N(0, v)
    w_prior_var: float = 0.1
    epochs: int = 5
    batch_size: int = 1024
    lr: float = 1e-3
    recon_weight: float = 20.0
    kl_w_weight: float = 1.0
    kl_z_weight: float = 0.2
    adversary_weight: float = 10.0  # pushes z towards an adversary that cannot tell y
    adversary_train_weight: float = 1.0

    def __post_init__(self):
        _check_hidden("CSVAE", self)
        for name in ("latent", "w_dim", "epochs", "batch_size"):
            check_number("CSVAE", name, getattr(self, name), int, low=1)
        check_number("CSVAE", "w_prior_mean", self.w_prior_mean, float)
        for name in ("w_prior_var", "lr"):
            check_number("CSVAE", name, getattr(self, name), float, low=0, low_open=True)
        for name in ("recon_weight", "kl_w_weight", "kl_z_weight", "adversary_weight",
                     "adversary_train_weight"):
            check_number("CSVAE", name, getattr(self, name), float, low=0)


def _check_hidden(owner: str, settings) -> None:
    """Hidden widths: a non-empty sequence of positive ints, stored as a tuple (a list from a
    config file gives the same cache key, since both are JSON arrays)."""
    hidden = settings.hidden
    if (isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__") or not hidden
            or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in hidden)):
        raise ConfigError(f"{owner}: hidden must be a non-empty tuple of positive layer widths, "
                          f"not {hidden!r}")
    object.__setattr__(settings, "hidden", tuple(hidden))


def model_overrides(model_cls: type, exclude: tuple[str, ...] = ()):
    """Class decorator for a generator's frozen settings dataclass: adds every field of
    ``model_cls`` (VAESettings or CSVAESettings) but ``exclude`` as an optional parameter,
    None meaning "the authors' value for the dataset", and checks the given ones at once.
    ``settings.model_settings(base)`` is ``base`` with the given fields replaced."""

    def decorate(search_cls: type) -> type:
        own = {f.name for f in fields(search_cls)}
        extra = [(f.name, f"{f.type} | None", field(default=None)) for f in fields(model_cls)
                 if f.name not in exclude and f.name not in own]

        def overrides(self) -> dict:
            return {name: getattr(self, name) for name, _, _ in extra
                    if getattr(self, name) is not None}

        def model_settings(self, base):
            return replace(base, **overrides(self))

        def __post_init__(self):
            search_cls.__post_init__(self)
            model_settings(self, model_cls())  # validates the overrides now, not at fit

        return make_dataclass(search_cls.__name__, extra, bases=(search_cls,), frozen=True,
                              namespace={"__post_init__": __post_init__, "__doc__":
                                         search_cls.__doc__, "__module__": search_cls.__module__,
                                         "model_settings": model_settings})

    return decorate


def cchvae_settings(dataset: str) -> VAESettings:
    """CCHVAE's VAE as the HARE authors ran it (reference/baselines.md), except that COMPAS'
    100 epochs are a ceiling."""
    if dataset == "compas":
        # The authors' COMPAS batch size is not given; 64 rather than 32 halves the training
        # time (about 20 s instead of 36 s on one core) of this wide network. Over 100 epochs
        # its loss creeps down by a few percent after the first ten (seeds 0-4: best of the
        # first 10 within 3-6 % of the 100-epoch best), and those epochs were 131 of the 621
        # worker seconds of a cold Table 1. It stops 10 epochs after its last 0.5 %
        # gain: after 16-36 epochs, its loss 2-4 % above the 100-epoch best, in 29 s for all 5.
        return VAESettings(hidden=(512, 256), latent=8, epochs=100, batch_size=64,
                           early_stop_epochs=10)
    return VAESettings()


def clue_settings(dataset: str) -> VAESettings:
    """CLUE's VAE: residual MLP of width 10, depth 3, latent 12, 5 epochs (lr 1e-2 on COMPAS).

    The authors' batch size and β are not given; 64 and the standard β = 1 are used."""
    return VAESettings(hidden=(10, 10, 10), latent=12, residual=True, batch_size=64, beta=1.0,
                       lr=1e-2 if dataset == "compas" else 1e-3)


def cruds_settings(dataset: str) -> CSVAESettings:
    return CSVAESettings(lr=1e-2 if dataset == "compas" else 1e-3)


class MLP(nn.Module):
    """ReLU network through ``sizes``; with ``residual``, equal-width layers add their input."""

    def __init__(self, sizes: list[int], residual: bool = False):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            out = F.relu(layer(h))
            h = h + out if self.residual and out.shape == h.shape else out
        return h


class _MaskedModel(nn.Module):
    """Holds which encoded columns are mutable and splits/joins points accordingly."""

    def __init__(self, immutable: torch.Tensor):
        super().__init__()
        self.register_buffer("mut_idx", torch.nonzero(~immutable).squeeze(-1), persistent=False)
        self.register_buffer("imm_idx", torch.nonzero(immutable).squeeze(-1), persistent=False)

    def _decoder_input(self, latents: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        shape = latents[0].shape[:-1]
        x_imm = x[..., self.imm_idx].expand(*shape, len(self.imm_idx))
        return torch.cat([*latents, x_imm], dim=-1)

    def _join(self, x_mut: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(..., d): x's immutables with the decoded mutable columns."""
        full = x.expand(*x_mut.shape[:-1], x.shape[-1]).clone()
        full[..., self.mut_idx] = x_mut
        return full


class VAE(_MaskedModel):
    """q(z | x_mut) and p(x_mut | z, x_imm) with Bernoulli (sigmoid) outputs."""

    def __init__(self, immutable: torch.Tensor, s: VAESettings):
        super().__init__(immutable)
        n_mut, n_imm = int((~immutable).sum()), int(immutable.sum())
        self.encoder = MLP([n_mut, *s.hidden], s.residual)
        self.mu = nn.Linear(s.hidden[-1], s.latent)
        self.logvar = nn.Linear(s.hidden[-1], s.latent)
        self.decoder = MLP([s.latent + n_imm, *reversed(s.hidden)], s.residual)
        self.out = nn.Linear(s.hidden[0], n_mut)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z | x_mut) for full encoded points x (..., d)."""
        h = self.encoder(x[..., self.mut_idx])
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits of x_mut given z (..., latent) and the immutables of x (broadcastable)."""
        return self.out(self.decoder(self._decoder_input([z], x)))

    def decode(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(..., d) points: x's immutables and the decoded mutable columns (in [0, 1])."""
        return self._join(torch.sigmoid(self.decode_logits(z, x)), x)

    def loss(self, x: torch.Tensor, beta: float) -> torch.Tensor:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = F.binary_cross_entropy_with_logits(
            self.decode_logits(z, x), x[..., self.mut_idx], reduction="none").sum(-1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)
        return (recon + beta * kl).mean()


def _gaussian_kl(mu, logvar, prior_mu, prior_var) -> torch.Tensor:
    """KL(N(mu, e^logvar) || N(prior_mu, prior_var)), summed over the last dimension."""
    var = logvar.exp()
    return 0.5 * ((var + (mu - prior_mu).pow(2)) / prior_var - 1 - logvar + torch.log(
        torch.as_tensor(prior_var, dtype=mu.dtype))).sum(-1)


class CSVAE(_MaskedModel):
    """Conditional subspace VAE: q(z | x_mut), q(w | x_mut, y), p(x_mut | z, w, x_imm), p(w | y),
    and an adversary q(y | z) that z is trained to defeat."""

    def __init__(self, immutable: torch.Tensor, s: CSVAESettings):
        super().__init__(immutable)
        n_mut, n_imm = int((~immutable).sum()), int(immutable.sum())
        self.s = s
        self.enc_z = MLP([n_mut, *s.hidden])
        self.z_mu = nn.Linear(s.hidden[-1], s.latent)
        self.z_logvar = nn.Linear(s.hidden[-1], s.latent)
        self.enc_w = MLP([n_mut + 1, *s.hidden])
        self.w_mu = nn.Linear(s.hidden[-1], s.w_dim)
        self.w_logvar = nn.Linear(s.hidden[-1], s.w_dim)
        self.decoder = MLP([s.latent + s.w_dim + n_imm, *reversed(s.hidden)])
        self.out = nn.Linear(s.hidden[0], n_mut)
        self.adversary = nn.Sequential(MLP([s.latent, s.hidden[-1]]), nn.Linear(s.hidden[-1], 1))

    def encode_z(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc_z(x[..., self.mut_idx])
        return self.z_mu(h), self.z_logvar(h)

    def encode_w(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(w | x_mut, y); y (...,) in {0, 1}."""
        h = self.enc_w(torch.cat([x[..., self.mut_idx], y.unsqueeze(-1).to(x.dtype)], dim=-1))
        return self.w_mu(h), self.w_logvar(h)

    def decode_logits(self, z: torch.Tensor, w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.decoder(self._decoder_input([z, w], x)))

    def decode(self, z: torch.Tensor, w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(..., d) points: x's immutables and the mutable columns decoded from (z, w)."""
        return self._join(torch.sigmoid(self.decode_logits(z, w, x)), x)

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss of encoders + decoder, loss of the adversary) on one batch."""
        s = self.s
        z_mu, z_logvar = self.encode_z(x)
        w_mu, w_logvar = self.encode_w(x, y)
        z = z_mu + torch.randn_like(z_mu) * (0.5 * z_logvar).exp()
        w = w_mu + torch.randn_like(w_mu) * (0.5 * w_logvar).exp()
        recon = F.binary_cross_entropy_with_logits(
            self.decode_logits(z, w, x), x[..., self.mut_idx], reduction="none").sum(-1)
        kl_z = _gaussian_kl(z_mu, z_logvar, 0.0, 1.0)
        kl_w = _gaussian_kl(w_mu, w_logvar, (y * s.w_prior_mean).unsqueeze(-1), s.w_prior_var)
        # z should leave the adversary maximally unsure: minimise its negative entropy.
        adv_logit = self.adversary(z).squeeze(-1)
        p = torch.sigmoid(adv_logit)
        neg_entropy = -(p * F.softplus(-adv_logit) + (1 - p) * F.softplus(adv_logit))
        main = (s.recon_weight * recon + s.kl_w_weight * kl_w + s.kl_z_weight * kl_z
                + s.adversary_weight * neg_entropy).mean()
        adversary = s.adversary_train_weight * F.binary_cross_entropy_with_logits(
            self.adversary(z.detach()).squeeze(-1), y)
        return main, adversary


@dataclass
class TrainedGenerative:
    """A fitted generative model (float64, frozen) with its per-epoch training losses."""

    model: nn.Module
    kind: str
    dataset: str
    seed: int
    losses: list[float]
    train_seconds: float
    from_cache: bool


@dataclass
class _EarlyStop:
    """Counts epochs since the loss last fell below (1 − tol) × its best; ``after(loss)`` is
    True once that count reaches ``epochs`` (never when ``epochs`` is None)."""

    epochs: int | None
    tol: float
    best: float = float("inf")
    stale: int = 0

    def after(self, loss: float) -> bool:
        if loss < self.best * (1 - self.tol):
            self.best, self.stale = loss, 0
        else:
            self.stale += 1
        return self.epochs is not None and self.stale >= self.epochs


def _batches(n: int, batch_size: int, shuffler: torch.Generator):
    order = torch.randperm(n, generator=shuffler)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def train_vae(dataset: Dataset, seed: int, s: VAESettings,
              tag: str = "vae") -> tuple[VAE, list[float]]:
    """Train on the train split with Adam; β ramps linearly from 0 over ``anneal_epochs``."""
    torch.manual_seed(seed)
    vae = VAE(dataset.immutable_mask, s)
    optimizer = torch.optim.Adam(vae.parameters(), lr=s.lr, fused=True)  # fused: 1.6x faster on CPU
    x = dataset.x_train.float()
    shuffler = torch.Generator().manual_seed(seed)
    ramp_steps = max(1.0, s.anneal_epochs * -(-len(x) // s.batch_size))
    losses, step = [], 0
    stop = _EarlyStop(s.early_stop_epochs, s.early_stop_tol)
    for epoch in range(s.epochs):
        total = 0.0
        for batch in _batches(len(x), s.batch_size, shuffler):
            beta = s.beta * min(1.0, step / ramp_steps)
            optimizer.zero_grad()
            loss = vae.loss(x[batch], beta)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            step += 1
        losses.append(total / len(x))
        log.info("%s %s seed %d epoch %d/%d: loss %.4f", tag, dataset.name, seed, epoch + 1,
                 s.epochs, losses[-1])
        if stop.after(losses[-1]):
            log.info("%s %s seed %d: stopped after epoch %d, no %.1f %% gain in %d epochs", tag,
                     dataset.name, seed, epoch + 1, 100 * s.early_stop_tol, s.early_stop_epochs)
            break
    return vae, losses


def train_csvae(dataset: Dataset, seed: int, s: CSVAESettings,
                tag: str = "csvae") -> tuple[CSVAE, list[float]]:
    """Train on the train split and its labels; the adversary has its own optimizer."""
    torch.manual_seed(seed)
    csvae = CSVAE(dataset.immutable_mask, s)
    adversary = list(csvae.adversary.parameters())
    own = [p for name, p in csvae.named_parameters() if not name.startswith("adversary.")]
    optimizer = torch.optim.Adam(own, lr=s.lr, fused=True)
    adv_optimizer = torch.optim.Adam(adversary, lr=s.lr, fused=True)
    x, y = dataset.x_train.float(), dataset.y_train.float()
    shuffler = torch.Generator().manual_seed(seed)
    losses = []
    for epoch in range(s.epochs):
        total = total_adv = 0.0
        for batch in _batches(len(x), s.batch_size, shuffler):
            main, adv = csvae.losses(x[batch], y[batch])
            optimizer.zero_grad()
            adv_optimizer.zero_grad()
            main.backward()
            optimizer.step()
            adv_optimizer.zero_grad()  # drop what the main loss left on the adversary
            adv.backward()
            adv_optimizer.step()
            total += main.item() * len(batch)
            total_adv += adv.item() * len(batch)
        losses.append(total / len(x))
        log.info("%s %s seed %d epoch %d/%d: loss %.4f, adversary %.4f", tag, dataset.name, seed,
                 epoch + 1, s.epochs, losses[-1], total_adv / len(x))
    return csvae, losses


def _frozen(model: nn.Module) -> nn.Module:
    model.eval()
    model.double()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _key_settings(settings) -> dict:
    """The settings as the cache key holds them: a VAE that trains every epoch keeps the key
    it had before early stopping existed (so its cached and shipped files still load)."""
    key = asdict(settings)
    if "early_stop_epochs" in key and key["early_stop_epochs"] is None:  # a VAE (not a CSVAE)
        del key["early_stop_epochs"], key["early_stop_tol"]
    return key


def _load_or_train(kind: str, dataset: Dataset, seed: int, settings, build,
                   train) -> TrainedGenerative:
    layout = {"features": dataset.feature_names, "immutable": dataset.immutable_mask.tolist()}
    entry = CacheEntry.for_key("generative", f"{dataset.name}-{kind}-seed{seed}",
                               {"settings": _key_settings(settings), **layout})

    def from_files(state: dict, meta: dict) -> TrainedGenerative:
        model = build(dataset.immutable_mask, settings)
        model.load_state_dict(state)
        return TrainedGenerative(_frozen(model), kind, dataset.name, seed, meta["losses"],
                                 meta["train_seconds"], from_cache=True)

    cached = entry.load(from_files)
    if cached is not None:
        return cached
    started = time.perf_counter()
    model, losses = train(dataset, seed, settings, kind)
    seconds = time.perf_counter() - started
    meta = dict(kind=kind, dataset=dataset.name, seed=seed, settings=asdict(settings),
                losses=losses, train_seconds=seconds)
    entry.save(model.state_dict(), meta)
    return TrainedGenerative(_frozen(model), kind, dataset.name, seed, losses, seconds,
                             from_cache=False)


def load_or_train_vae(dataset: Dataset, seed: int, settings: VAESettings,
                      kind: str = "vae") -> TrainedGenerative:
    """The cached VAE for (dataset, seed, settings), training and caching it if absent.
    ``kind`` only names the file (e.g. "cchvae-vae")."""
    return _load_or_train(kind, dataset, seed, settings, VAE, train_vae)


def load_or_train_csvae(dataset: Dataset, seed: int, settings: CSVAESettings,
                        kind: str = "csvae") -> TrainedGenerative:
    """The cached CSVAE for (dataset, seed, settings), training and caching it if absent."""
    return _load_or_train(kind, dataset, seed, settings, CSVAE, train_csvae)
