"""Datasets: schemas, file resolution, the encoder to and from original units, and loading."""

from hare.data.encoder import Encoder
from hare.data.files import cache_dir, resolve_data_file
from hare.data.loader import Dataset, load_dataset
from hare.data.specs import DATASETS, DatasetSpec, get_spec

__all__ = [
    "DATASETS", "Dataset", "DatasetSpec", "Encoder", "cache_dir", "get_spec", "load_dataset",
    "resolve_data_file",
]
