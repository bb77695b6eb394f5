"""Build the live demo's shipped model files: every classifier (ANN, LR) and generative model
(CCHVAE's VAE, CLUE's VAE, CRUDS' CSVAE) for seed 0 on every dataset, trained into a temporary
cache, copied into hare/live/demo_models/ with a SHA256SUMS file.

    HARE_DATA_DIR=/path/to/data python scripts/build_demo_models.py
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    out = ROOT / "hare" / "live" / "demo_models"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HARE_CACHE_DIR"] = tmp
        import torch

        from hare.actions import ActionSpace
        from hare.data import DATASETS, load_dataset
        from hare.generators import make_generator
        from hare.models import MODEL_KINDS, load_or_train

        torch.set_num_threads(1)
        for name in DATASETS:
            dataset = load_dataset(name)
            for kind in MODEL_KINDS:
                model = load_or_train(dataset, kind, 0).model
                for generator in ("cchvae", "clue", "cruds"):
                    # fit trains (or loads) the generator's autoencoder for seed 0
                    make_generator(generator).fit(dataset, model, ActionSpace.for_dataset(dataset), 0)
                print(f"{name}/{kind} ready", file=sys.stderr)
        if out.exists():
            shutil.rmtree(out)
        lines = []
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file() and path.suffix in (".pt", ".json"):
                rel = path.relative_to(tmp)
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out / rel)
                lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {rel.as_posix()}")
        (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {len(lines)} files, {size / 1e3:.0f} kB, into {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
