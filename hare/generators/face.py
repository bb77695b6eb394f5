"""FACE (Poyiadzi et al. 2019): recourse as a real data point reachable through dense data.

At ``fit`` a random ``fraction`` (authors: 0.1) of the training rows becomes the pool, fixed by
the seed. A factual is joined to its k nearest pool points (k = 50), pool points to their k
nearest pool points (a symmetric kNN graph, Euclidean over the mutable columns); hop counts of
shortest paths from the factual are computed (scipy.sparse.csgraph when importable, otherwise a
batched breadth-first search in torch). Among the positively classified, actionable pool points
at most ``extra_hops`` (3) hops beyond the nearest such point, the one nearest to x in L1 is the
result; NaN when none is reachable. Results are data points, so binary categoricals may change.

Immutables (and every column the action space freezes) are respected, unlike the paper's FACE:
CARLA's masking of immutables was broken, so the paper's FACE changed about 2.0 immutable
features per person on Adult, 0.8 on COMPAS and 0.9 on Credit (its Table 4). Here every node of
a factual's graph has the factual's frozen values, in one of two ways (``immutables``):

- ``"transplant"`` (default): every pool row takes the factual's frozen values; its mutable
  columns stay a real person's. The kNN graph then does not depend on the factual and is built
  once at ``fit``; all factuals are searched in one call.
- ``"match"``: the graph holds only pool rows whose frozen columns equal the factual's.
  Factuals are grouped by their frozen values and one graph is built per group. Results are real
  people, but on Adult no one shares another person's (age, fnlwgt), so FACE finds nothing there
  (0 of 150 users), and on COMPAS 4 % of users find nothing; hence not the default.

Other departures: one k (CARLA pooled the candidates of k − 3 … k + 3); the pool is one seeded
sample shared by all factuals rather than a fresh one per factual, and a factual's edges point
only into the pool, so no factual is a stepping stone for another and a person's result does not
depend on who else is in the batch; path lengths count hops (no density weighting of edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare.errors import ConfigError
from hare.generators.base import RecourseGenerator, check_number, register

try:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path
except ImportError:  # scipy ships with scikit-learn; the torch search below is the fallback
    shortest_path = None

MODES = ("match", "transplant")


def knn_edges(points: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """(2, E) directed edges of the symmetric kNN graph over ``points`` (S, m), no self loops."""
    s = points.shape[0]
    k = min(k, s - 1)
    if k <= 0:
        return torch.zeros(2, 0, dtype=torch.long)
    sources, targets = [], []
    for start in range(0, s, chunk):
        distance = torch.cdist(points[start:start + chunk], points)
        rows = torch.arange(start, min(start + chunk, s))
        distance[rows - start, rows] = torch.inf
        nearest = distance.topk(k, dim=1, largest=False).indices
        sources.append(rows.repeat_interleave(k))
        targets.append(nearest.reshape(-1))
    src, dst = torch.cat(sources), torch.cat(targets)
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])


def hop_counts(edges: torch.Tensor, nodes: torch.Tensor, factuals: torch.Tensor, k: int,
               use_scipy: bool = True) -> torch.Tensor:
    """(M, S) hops from each factual (M, m) to each node (S, m); inf where unreachable.

    ``edges`` (2, E) index the nodes; each factual gets edges to its k nearest nodes, one way,
    so paths never pass through another factual."""
    m, s = factuals.shape[0], nodes.shape[0]
    if s == 0:
        return torch.full((m, 0), torch.inf, dtype=torch.float64)
    kf = min(k, s)
    nearest = torch.cdist(factuals, nodes).topk(kf, dim=1, largest=False).indices
    rows = torch.cat([torch.arange(m).repeat_interleave(kf), m + edges[0]])
    cols = torch.cat([m + nearest.reshape(-1), m + edges[1]])
    size = m + s
    if use_scipy and shortest_path is not None:
        graph = csr_matrix((torch.ones(len(rows)).numpy(), (rows.numpy(), cols.numpy())),
                           shape=(size, size))
        hops = shortest_path(graph, directed=True, unweighted=True, indices=list(range(m)))
        return torch.from_numpy(hops[:, m:]).to(torch.float64)
    return _bfs(rows, cols, size, m)[:, m:]


def _bfs(rows: torch.Tensor, cols: torch.Tensor, size: int, sources: int) -> torch.Tensor:
    """(sources, size) hop counts from nodes 0..sources-1, all sources at once."""
    # adjacency[to, from], so adjacency @ frontier moves every search one hop along its edges.
    adjacency = torch.sparse_coo_tensor(torch.stack([cols, rows]), torch.ones(len(rows)),
                                        (size, size), check_invariants=True).coalesce()
    hops = torch.full((size, sources), torch.inf, dtype=torch.float64)
    start = torch.arange(sources)
    hops[start, start] = 0.0
    frontier = torch.zeros(size, sources)
    frontier[start, start] = 1.0
    depth = 0
    while bool(frontier.any()):
        depth += 1
        new = (torch.sparse.mm(adjacency, frontier) > 0) & torch.isinf(hops)
        hops[new] = float(depth)
        frontier = new.to(frontier.dtype)
    return hops.T


@dataclass(frozen=True)
class FACESettings:
    """The kNN graph's k, the pool's share of the training rows, how many hops beyond the
    nearest positive node still count, how immutables are kept (module docstring), and how
    many factuals share one batched classifier call (memory only; results do not change)."""

    k: int = 50
    fraction: float = 0.1
    extra_hops: int = 3
    immutables: str = "transplant"
    chunk: int = 32

    def __post_init__(self):
        check_number("face", "k", self.k, int, low=1)
        check_number("face", "fraction", self.fraction, float, low=0, high=1, low_open=True)
        check_number("face", "extra_hops", self.extra_hops, int, low=0)
        if self.immutables not in MODES:
            raise ConfigError(f"face: immutables must be one of {', '.join(MODES)}, "
                              f"not {self.immutables!r}")
        check_number("face", "chunk", self.chunk, int, low=1)


@register
class FACE(RecourseGenerator):
    name = "face"
    title = "FACE"
    people_label = "Path through real people"
    people_help = "FACE: a path through similar people the model accepts"
    Settings = FACESettings

    def fit(self, dataset, model, space, seed: int = 0):
        super().fit(dataset, model, space, seed)
        self.mode = mode = self.settings.immutables
        n = len(dataset.x_train)
        size = max(1, round(self.settings.fraction * n))
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        self.pool = dataset.x_train[order[:size]]
        with torch.no_grad():
            self.pool_positive = model(self.pool) >= 0.5
        if mode == "transplant":  # the same graph for everyone: build it once
            self.pool_edges = knn_edges(self.pool[:, space.mutable], self.settings.k)
        return self

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        k = self.settings.k
        mutable, frozen = self.space.mutable, ~self.space.mutable
        result = torch.full_like(x, torch.nan)
        with torch.no_grad():
            if self.mode == "transplant":
                hops = hop_counts(self.pool_edges, self.pool[:, mutable], x[:, mutable], k)
                chunk = self.settings.chunk
                for start in range(0, len(x), chunk):  # bounds the (chunk, S, d) tensor
                    xs = x[start:start + chunk].unsqueeze(1)
                    nodes = torch.where(mutable, self.pool, xs)
                    result[start:start + chunk] = self._pick(
                        xs, nodes, hops[start:start + chunk], self.model(nodes) >= 0.5)
                return result
            if frozen.any():
                groups, inverse = torch.unique(x[:, frozen], dim=0, return_inverse=True)
            else:
                groups, inverse = x[:1, frozen], torch.zeros(len(x), dtype=torch.long)
            for g in range(len(groups)):  # one graph per immutable group
                rows = torch.nonzero(inverse == g).squeeze(-1)
                members = torch.nonzero((self.pool[:, frozen] == groups[g]).all(-1)).squeeze(-1)
                if members.numel() == 0:
                    continue
                nodes = self.pool[members]
                hops = hop_counts(knn_edges(nodes[:, mutable], k), nodes[:, mutable],
                                  x[rows][:, mutable], k)
                result[rows] = self._pick(x[rows].unsqueeze(1), nodes.unsqueeze(0), hops,
                                          self.pool_positive[members].unsqueeze(0))
        return result

    def _pick(self, xs: torch.Tensor, nodes: torch.Tensor, hops: torch.Tensor,
              positive: torch.Tensor) -> torch.Tensor:
        """xs (M, 1, d), nodes (M or 1, S, d), hops (M, S), positive (M or 1, S) -> (M, d)."""
        nodes = nodes.expand(xs.shape[0], -1, -1)
        ok = positive & torch.isfinite(hops) & self.space.is_actionable(xs, nodes)
        nearest_hop = torch.where(ok, hops, torch.inf).min(dim=1, keepdim=True).values
        ok &= hops <= nearest_hop + self.settings.extra_hops
        distance = torch.where(ok, self.space.distance(nodes, xs), torch.inf)
        best = distance.argmin(dim=1)
        chosen = nodes[torch.arange(len(nodes)), best]
        return torch.where(ok.any(dim=1, keepdim=True), chosen, torch.nan)
