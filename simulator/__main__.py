"""`python -m simulator` is the `paylab` command."""

from paylab.simulator.cli import main

raise SystemExit(main())
