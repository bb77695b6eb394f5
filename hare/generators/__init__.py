"""Base recourse generators behind one interface (``fit`` then ``generate``), by name."""

from hare.generators.base import (REGISTRY, RecourseGenerator, generator_names, make_generator,
                                  register, settings_class)
# Importing the modules registers the generators, in this order: the paper's, which the
# presets, the run schema's choices and the pickers follow.
from hare.generators import wachter, growing_spheres, face, cchvae, clue, cruds  # noqa: F401, I001
from hare.generators.growing_spheres import growing_spheres_search

__all__ = ["REGISTRY", "RecourseGenerator", "generator_names", "growing_spheres_search",
           "make_generator", "register", "settings_class"]
