"""`python -m tileshop_pipelines.cli`: the `tileshop` command (what the sample catalog's child process runs)."""

import sys

from tileshop_pipelines.cli import main

sys.exit(main())
