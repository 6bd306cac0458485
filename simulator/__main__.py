"""`python -m simulator` is the `paylab` command."""

from simulator.cli import main

raise SystemExit(main())
