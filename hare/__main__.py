"""Entry point of ``python -m hare`` (see hare.cli)."""

import sys

from hare.cli import main

sys.exit(main())
