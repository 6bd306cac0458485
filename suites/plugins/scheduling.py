"""How `paylab test` shares a layer's tests among its xdist workers.

`--dist loadfile` (what `paylab test` asks for) gives each worker whole test files, so a
file's module-scoped servers start once. A long file of independent tests then runs on one
worker while the others sit idle at the end of the layer. The files in SPLIT_FILES are
such files: their tests share nothing within the file (each test starts what it needs, or
uses the worker's session simulator, shop and browser), so here their tests are handed out
one by one like `--dist load`, while every other file stays whole. Any other `--dist` the
caller chose is left to xdist.
"""

from __future__ import annotations

from typing import Any

import pytest

#: Long files of independent tests (paths under suites/), measured with --durations on
#: 2 cores: whole, each kept one worker busy for most of its layer.
SPLIT_FILES = (
    "e2e/test_checkout.py",                # 157 s of browser flows on one worker
    "contract/test_pytest_plugin_runs.py",  # 50 s: a user's pytest run per test
)


def split_file(nodeid: str, split: tuple[str, ...] = SPLIT_FILES) -> bool:
    """Whether the test at `nodeid` (relative to a checkout, or to the installed suites)
    belongs to a file whose tests are handed out one by one."""
    path = nodeid.split("::", 1)[0]
    return any(path == name or path.endswith("/" + name) for name in split)


def work_unit(nodeid: str) -> str:
    """The unit xdist hands to one worker: the test itself in a split file, else its file."""
    return nodeid if split_file(nodeid) else nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`loadfile`, except that the tests of SPLIT_FILES are units of their own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SplitLongFiles(LoadFileScheduling):
        """Whole files per worker, but single tests of the long independent files."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SplitLongFiles(config, log)
