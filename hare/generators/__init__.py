"""Base recourse generators behind one interface (``fit`` then ``generate``), by name."""

from hare.generators.base import (REGISTRY, RecourseGenerator, generator_names, make_generator,
                                  register, settings_class)
# importing the modules registers the generators
from hare.generators import cchvae, clue, cruds, face, growing_spheres, wachter  # noqa: F401
from hare.generators.growing_spheres import growing_spheres_search

__all__ = ["REGISTRY", "RecourseGenerator", "generator_names", "growing_spheres_search",
           "make_generator", "register", "settings_class"]
