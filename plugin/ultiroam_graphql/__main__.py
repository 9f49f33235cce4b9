"""``python -m ultiroam_graphql``: the same as the ``ultiroam-graphql`` command."""

import sys

from .cli import main

sys.exit(main())
