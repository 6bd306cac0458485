#!/usr/bin/env python3
"""`make mutate`: mutation testing of the core, the signing and wire code, the scenario
engine and the shop's webhook handling, with mutmut 3 (configured in pyproject.toml,
`[tool.mutmut]`).

mutmut names a mutant after the module it is in, which it derives from the file's path; the
code imports itself as `paylab.simulator...`, while the repository keeps `simulator/` at
the top level. So the script stages a copy of the project in `.mutation/` laid out as the
wheel is (`paylab/simulator`, `paylab/shop`, `paylab/suites`, ...), and mutmut runs there:
it copies that into `.mutation/mutants/` and mutates only the copy; nothing in the working
tree is ever rewritten (this script checks it before and after the run). Results stay in
`.mutation/mutants/` between runs, so a run only tests the mutants of functions that changed
since the last one, plus the earlier survivors (against today's tests), within a time
budget; `--fresh` starts over. At the end it prints the score of each package and exits
non-zero when one falls below its floor.

    scripts/mutate.py                      # incremental run, table, floors (make mutate)
    scripts/mutate.py --fresh              # forget earlier results: every mutant again
    scripts/mutate.py 'simulator.core.money.*'   # only these mutants (a shard; the
                                           # `paylab.` in front of mutant names is optional)
    scripts/mutate.py --report [GLOB]      # the table from earlier runs, no testing
    scripts/mutate.py --survivors [GLOB]   # the diff of every mutant the tests missed

Score = detected / (detected + missed): detected are killed mutants plus timeouts (a
mutant that makes the tests hang is caught), missed are survivors plus mutants no selected
test reaches ("no tests"). Survivors listed as equivalent in
suites/unit/data/equivalent_mutants.md count in neither.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where mutmut runs: the project staged as the wheel lays it out (see the docstring).
STAGE = ROOT / ".mutation"
MUTANTS = STAGE / "mutants"
#: The namespace the parts are imported under, and the repository folders staged into it.
NAMESPACE = "paylab"
PARTS = ("simulator", "shop", "suites", "contracts", "load")
#: Results of runs before staging (flat `simulator.` names), moved over once.
FLAT_MUTANTS = ROOT / "mutants"
MUTMUT = Path(sys.executable).with_name("mutmut")
EQUIVALENTS = ROOT / "suites" / "unit" / "data" / "equivalent_mutants.md"
#: Written into every mutated file by mutmut; a source file containing it was rewritten.
MUTMUT_MARKER = "# mutmut generated"
#: Stop testing after this many minutes; results so far are kept and the next run resumes.
DEFAULT_BUDGET_MINUTES = 27.0
#: The mutant-shaping [tool.mutmut] settings the results in mutants/ were made with.
CONFIG_STAMP = MUTANTS / "paylab-config.json"
#: Hashes of the test code the mapping from functions to tests in mutants/ was made with.
TESTS_STAMP = MUTANTS / "paylab-tests.json"
#: Test code outside the selected folders that still decides what the tests do.
SHARED_TEST_CODE = ("paylab/suites/conftest.py", "paylab/suites/plugins", "paylab/testing")
#: After asking mutmut to stop, how long it may take to save and exit before SIGTERM.
STOP_GRACE_SECONDS = 60.0

#: mutmut's exit codes per verdict (mutmut.stats.status_by_exit_code), folded into ours.
DETECTED = {"killed", "timeout", "segfault"}
MISSED = {"survived", "no tests", "suspicious"}


@dataclass(frozen=True)
class Package:
    """A group of mutated files reported together, and the score it must keep."""

    name: str
    paths: tuple[str, ...]
    floor: float

    def owns(self, source: str) -> bool:
        """Whether `source` (a path in the repository or in the stage) belongs here."""
        source = source.removeprefix(f"{NAMESPACE}/")
        return any(source == p or (p.endswith("/") and source.startswith(p))
                   for p in self.paths)


#: Floors: 85% for the core and the signing code (the issue's bar); the others at the
#: score measured when mutation testing was introduced, so scores can only go up.
PACKAGES = (
    Package("simulator/core", ("simulator/core/",), 85.0),
    Package("signing", ("simulator/webhooks/signing.py",), 85.0),
    Package("stripe wire+notify", ("simulator/gateways/stripe/wire.py",
                                   "simulator/gateways/stripe/notify.py",
                                   "simulator/gateways/stripe/vocabulary.py"), 80.0),
    Package("ecpay+newebpay wire", ("simulator/gateways/ecpay/checkmac.py",
                                    "simulator/gateways/ecpay/wire.py",
                                    "simulator/gateways/ecpay/notify.py",
                                    "simulator/gateways/ecpay/render.py",
                                    "simulator/gateways/newebpay/crypto.py",
                                    "simulator/gateways/newebpay/wire.py",
                                    "simulator/gateways/newebpay/notify.py",
                                    "simulator/gateways/newebpay/render.py"), 80.0),
    Package("simulator/scenarios", ("simulator/scenarios/",), 80.0),
    Package("shop/webhooks", ("shop/webhooks.py", "shop/notify.py", "shop/ecpay.py",
                              "shop/newebpay.py"), 80.0),
)


@dataclass
class Tally:
    """Verdicts of one package's mutants."""

    counts: Counter[str] = field(default_factory=Counter)
    equivalent: int = 0

    @property
    def detected(self) -> int:
        """Killed, timed out or crashed: the tests noticed."""
        return sum(self.counts[s] for s in DETECTED)

    @property
    def missed(self) -> int:
        """Survived (not listed as equivalent) or reached by no selected test."""
        return sum(self.counts[s] for s in MISSED)

    @property
    def score(self) -> float | None:
        """Percentage of the mutants that count which the tests detected."""
        total = self.detected + self.missed
        return 100.0 * self.detected / total if total else None


# -- results --------------------------------------------------------------------------------
def _statuses() -> dict[int | None, str]:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code


def verdicts(patterns: Sequence[str] = ()) -> Iterator[tuple[str, str, str]]:
    """(source path, mutant name, verdict) of every mutant of a file that still exists
    (only those whose names match one of `patterns`, when given)."""
    status_by_exit_code = _statuses()
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")
        if not (STAGE / source).is_file() or not any(p.owns(source) for p in PACKAGES):
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, exit_code in data.get("exit_code_by_key", {}).items():
            if not patterns or any(fnmatch.fnmatch(name, p) for p in patterns):
                yield source, name, status_by_exit_code[exit_code]


@dataclass(frozen=True)
class Equivalent:
    """A surviving mutant judged unable to change behaviour, with the line it mutates."""

    name: str
    mutated_line: str
    reason: str


def equivalents() -> dict[str, Equivalent]:
    """The table in equivalent_mutants.md: `| name | mutated line | reason |` rows."""
    if not EQUIVALENTS.is_file():
        return {}
    listed = {}
    row = re.compile(r"^\|\s*`(?P<name>[\w.ǁ]+)`\s*\|\s*`(?P<line>.*?)`\s*\|\s*(?P<why>.*?)\s*\|$")
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        match = row.match(line.strip())
        if match:
            listed[match["name"]] = Equivalent(match["name"], match["line"].replace("\\|", "|"),
                                               match["why"])
    return listed


def mutated_lines(source: str, name: str) -> list[str]:
    """The `+` lines of a mutant's diff, stripped (what the mutant changed the code to)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=source)
    return [line[1:].strip() for line in diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")]


def tally(patterns: Sequence[str] = ()) -> tuple[dict[str, Tally], list[str], list[str]]:
    """Per-package tallies, the names of unchecked mutants, and stale equivalence entries
    (listed mutants that are gone, were killed, or now mutate another line); only of the
    mutants matching `patterns`, when given (a shard)."""
    listed = equivalents()
    used: set[str] = set()
    tallies = {p.name: Tally() for p in PACKAGES}
    unchecked = []
    for source, name, verdict in verdicts(patterns):
        package = next(p for p in PACKAGES if p.owns(source))
        entry = listed.get(name)
        if verdict == "survived" and entry is not None \
                and entry.mutated_line in mutated_lines(source, name):
            tallies[package.name].equivalent += 1
            used.add(name)
            continue
        if verdict == "not checked":
            unchecked.append(name)
        tallies[package.name].counts[verdict] += 1
    stale = [n for n in set(listed) - used
             if not patterns or any(fnmatch.fnmatch(n, p) for p in patterns)]
    return tallies, unchecked, sorted(stale)


def report(patterns: Sequence[str] = ()) -> int:
    """Print the score table; 0 when every package meets its floor, else 1 (2: incomplete).
    With `patterns` (a shard), only the matching mutants count, and packages with none of
    them are not judged."""
    tallies, unchecked, stale = tally(patterns)
    header = (f"{'package':<22}{'killed':>7}{'timeout':>8}{'survived':>9}{'no tests':>9}"
              f"{'equiv.':>7}{'score':>8}{'floor':>7}  verdict")
    print()
    print(header)
    print("-" * len(header))
    failed = []
    for package in PACKAGES:
        t = tallies[package.name]
        score = t.score
        if score is None and patterns:
            continue  # not in this shard
        ok = score is not None and score + 1e-9 >= package.floor
        if not ok:
            failed.append(package.name)
        shown = f"{score:.1f}%" if score is not None else "-"
        print(f"{package.name:<22}{t.counts['killed']:>7}"
              f"{t.counts['timeout'] + t.counts['segfault']:>8}"
              f"{t.counts['survived'] + t.counts['suspicious']:>9}{t.counts['no tests']:>9}"
              f"{t.equivalent:>7}{shown:>8}{package.floor:>6.0f}%  {'ok' if ok else 'BELOW'}")
    print()
    print("score = (killed + timeout) / (killed + timeout + survived + no tests); survivors "
          f"listed in {EQUIVALENTS.relative_to(ROOT)} are left out")
    for name in stale:
        print(f"note: {name} is listed as equivalent but is no longer a survivor mutating that "
              "line; update the list")
    if unchecked:
        print(f"INCOMPLETE: {len(unchecked)} mutants not checked yet; run `make mutate` again "
              "to continue where this run stopped")
        return 2
    if failed:
        print(f"FAILED: below the floor: {', '.join(failed)} "
              "(see `scripts/mutate.py --survivors`)")
        return 1
    return 0


def survivors(patterns: Sequence[str]) -> int:
    """Print the diff of every missed mutant (of names matching `patterns`, if given)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    listed = equivalents()
    shown = 0
    for source, name, verdict in verdicts(patterns):
        if verdict not in MISSED:
            continue
        if verdict == "survived" and name in listed:
            continue
        print(f"# {name}: {verdict}")
        print(get_diff_for_mutant(name, path=source))
        print()
        shown += 1
    print(f"{shown} mutants missed")
    return 0


# -- the run --------------------------------------------------------------------------------
def _mutmut_config() -> object:
    from mutmut.configuration import config  # reads pyproject.toml in the stage (the cwd)

    return config()


# -- the stage ------------------------------------------------------------------------------
def _staged(path: str) -> str:
    """A repository path as it lies in the stage: `simulator/x.py` -> `paylab/simulator/x.py`."""
    if path.startswith("-"):  # an option: only its path, if any, moves
        option, sep, value = path.partition("=")
        return f"{option}{sep}{_staged(value)}" if sep else path
    return f"{NAMESPACE}/{path}"


def staged_config() -> str:
    """pyproject.toml for the stage: the project's own, with [tool.mutmut]'s paths moved
    into the namespace (everything lives under `paylab/` there, so nothing else to copy)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["tool"]["mutmut"]
    moved = {
        "source_paths": [NAMESPACE],
        "only_mutate": [_staged(p) for p in table.get("only_mutate", [])],
        "also_copy": [],
        "pytest_add_cli_args_test_selection": [
            _staged(a) for a in table.get("pytest_add_cli_args_test_selection", [])],
    }
    lines = text.splitlines()
    start = lines.index("[tool.mutmut]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
               len(lines))
    kept, skipping = [], False
    for line in lines[start + 1:end]:
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.startswith((" ", "#")):
            skipping = key in moved
        if not skipping:
            kept.append(line)
    table_lines = ["[tool.mutmut]", *(f"{k} = {json.dumps(v)}" for k, v in moved.items()),
                   *kept]
    return "\n".join([*lines[:start], *table_lines, *lines[end:]]) + "\n"


def _mirror(source: Path, target: Path) -> None:
    """Make `target` hold the files of `source` (copies keep their time stamps, so mutmut
    regenerates only the mutants of files that changed); files gone from `source` go."""
    for path in source.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        copy = target / path.relative_to(source)
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    for copy in sorted(target.rglob("*"), reverse=True):
        original = source / copy.relative_to(target)
        if "__pycache__" in copy.parts or original.exists():
            continue
        if copy.is_file():
            copy.unlink()
        elif not any(copy.iterdir()):
            copy.rmdir()


def stage() -> None:
    """Lay the project out in STAGE as the wheel does, and give it its pyproject.toml."""
    package = STAGE / NAMESPACE
    for part in PARTS:
        _mirror(ROOT / part, package / part)
    for path in (ROOT / NAMESPACE).rglob("*"):  # the namespace's own modules (the plugin)
        if path.is_file() and "__pycache__" not in path.parts:
            copy = package / path.relative_to(ROOT / NAMESPACE)
            if not copy.is_file() or copy.read_bytes() != path.read_bytes():
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
    config = staged_config()
    target = STAGE / "pyproject.toml"
    if not target.is_file() or target.read_text(encoding="utf-8") != config:
        target.write_text(config, encoding="utf-8")


def move_flat_results() -> int:
    """Carry the verdicts of runs made before staging (mutants named `simulator.core...`,
    in ./mutants) over to the staged names, so they need not be tested again: mutmut keeps
    a verdict while its function's code is unchanged, and only import lines changed."""
    if not FLAT_MUTANTS.is_dir() or MUTANTS.exists():
        return 0
    moved = 0
    for meta in FLAT_MUTANTS.rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for table in ("exit_code_by_key", "type_check_error_by_key", "durations_by_key",
                      "estimated_durations_by_key"):
            data[table] = {f"{NAMESPACE}.{k}": v for k, v in data.get(table, {}).items()}
        moved += len(data["exit_code_by_key"])
        target = MUTANTS / NAMESPACE / meta.relative_to(FLAT_MUTANTS)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=4), encoding="utf-8")
    stamp = FLAT_MUTANTS / CONFIG_STAMP.name
    if stamp.is_file():
        shutil.copy2(stamp, CONFIG_STAMP)
    shutil.rmtree(FLAT_MUTANTS)
    return moved


def check_sources_untouched() -> None:
    """Refuse to go on if a mutated function ever landed in the working tree."""
    for folder in PARTS:
        for path in (ROOT / folder).rglob("*.py"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if MUTMUT_MARKER in text:
                sys.exit(f"mutate: {path.relative_to(ROOT)} contains mutmut's generated code; "
                         "the working tree must never be mutated (restore the file first)")


def sync_copies() -> None:
    """Bring mutants/ in line with the working tree where mutmut does not: it copies data
    files (SQL, YAML, templates) only once and never deletes anything, so a changed schema
    or a deleted test would live on in the copy."""
    cfg = _mutmut_config()
    folders = [*cfg.source_paths, *(p for p in cfg.also_copy if (STAGE / p).is_dir())]  # type: ignore[attr-defined]
    for folder in folders:
        copy_root = MUTANTS / folder
        if not copy_root.is_dir():
            continue
        for source in (STAGE / folder).rglob("*"):
            if source.is_file() and source.suffix not in (".py", ".pyc"):
                target = MUTANTS / source.relative_to(STAGE)
                if not target.is_file() or target.read_bytes() != source.read_bytes():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
        for copy in sorted(copy_root.rglob("*"), reverse=True):
            if "__pycache__" in copy.parts:
                continue
            relative = copy.relative_to(MUTANTS)
            original = STAGE / re.sub(r"\.py\.(meta|spans)$", ".py", relative.as_posix())
            if copy.is_file() and not original.exists():
                copy.unlink()
            elif copy.is_dir() and not original.exists() and not any(copy.iterdir()):
                copy.rmdir()


def forget_missed() -> int:
    """Clear the verdicts of earlier survivors and untested mutants (but the listed
    equivalent ones), so this run tests them again: mutmut keeps every verdict until the
    function's code changes, but a test added since may kill them now. Returns how many
    were cleared."""
    from mutmut.mutation.data import SourceFileMutationData

    status_by_exit_code = _statuses()
    equivalent = equivalents()  # judged unkillable: re-tested only when their code changes
    cleared = 0
    for meta in MUTANTS.rglob("*.py.meta"):
        data = SourceFileMutationData(path=meta.relative_to(MUTANTS).as_posix()[:-5])
        data.load()
        missed = [k for k, code in data.exit_code_by_key.items()
                  if code is not None and status_by_exit_code[code] in MISSED
                  and k not in equivalent]
        for name in missed:
            data.exit_code_by_key[name] = None
        if missed:
            data.save()
            cleared += len(missed)
    return cleared


#: The [tool.mutmut] settings that decide which mutants exist. mutmut regenerates the
#: mutants of a file only when the file changes, so a change here needs a fresh start
#: (changes to the test selection or timeouts it handles itself).
MUTANT_SHAPING = ("source_paths", "paths_to_mutate", "only_mutate", "do_not_mutate",
                  "do_not_mutate_patterns", "mutate_only_covered_lines")


def mutmut_table() -> str:
    """The mutant-shaping part of [tool.mutmut] in pyproject.toml, as canonical JSON."""
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    settings = table.get("tool", {}).get("mutmut", {})
    return json.dumps({k: settings.get(k) for k in MUTANT_SHAPING}, sort_keys=True)


def config_changed() -> bool:
    """Whether mutants/ was made with other mutant-shaping settings."""
    if not MUTANTS.exists():
        return False
    return not CONFIG_STAMP.is_file() or CONFIG_STAMP.read_text(encoding="utf-8") != mutmut_table()


def test_code_hashes(selection: Sequence[str]) -> dict[str, str]:
    """sha256 of every Python file of the selected tests and the fixtures they share."""
    roots = [STAGE / a for a in selection if not a.startswith("-")]
    roots += [STAGE / p for p in SHARED_TEST_CODE]
    files = sorted({f for r in roots for f in ([r] if r.is_file() else r.rglob("*.py"))})
    return {f.relative_to(STAGE).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files if f.is_file() and "__pycache__" not in f.parts}


def refresh_test_mapping(selection: Sequence[str]) -> bool:
    """mutmut maps each function to the tests that ran it once, when it first sees a test;
    a test edited since would keep its old reach. When test code changed, drop the mapping
    so mutmut measures it again (verdicts stay). Returns whether it was dropped."""
    hashes = json.dumps(test_code_hashes(selection), sort_keys=True)
    stats = MUTANTS / "mutmut-stats.json"
    changed = TESTS_STAMP.is_file() and TESTS_STAMP.read_text(encoding="utf-8") != hashes
    if changed and stats.is_file():
        stats.unlink()
    MUTANTS.mkdir(exist_ok=True)
    TESTS_STAMP.write_text(hashes, encoding="utf-8")
    return changed


def check_tests_collect(selection: list[str]) -> None:
    """The selected tests must import in the stage, or every mutant would 'fail'."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *selection],
        cwd=STAGE, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
        sys.exit("mutate: the selected tests do not collect in the working tree; fix that first")


def _listen_to_sigint() -> None:
    """In the child before mutmut starts: a background shell starts jobs with SIGINT
    ignored, and an ignored signal stays ignored across exec; mutmut stops cleanly (and
    saves its results) only on SIGINT, so it must hear it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_mutmut(names: list[str], max_children: int, deadline: float) -> int:
    """Run `mutmut run` until it finishes or the deadline passes (then stop it cleanly:
    finished verdicts are kept). Progress is echoed at most every 20 s off a terminal."""
    command = [str(MUTMUT), "run", "--max-children", str(max_children), *names]
    process = subprocess.Popen(  # noqa: S603 - the venv's mutmut, fixed arguments
        command, cwd=STAGE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop mutmut so it saves its results
        preexec_fn=_listen_to_sigint,
    )
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    tty = sys.stdout.isatty()
    last_echo, pending, stopped_at = 0.0, b"", 0.0
    try:
        while True:
            chunk = process.stdout.read() or b""
            pending += chunk
            *lines, pending = re.split(rb"[\r\n]", pending)
            for raw in lines:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                is_progress = line[:1] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
                if tty and is_progress:
                    print("\r" + line[:150], end="", flush=True)
                elif not is_progress or time.monotonic() - last_echo > 20:
                    print(line[:300], flush=True)
                    last_echo = time.monotonic()
            if process.poll() is not None and not chunk:
                break
            if not stopped_at and time.monotonic() > deadline:
                print("\nmutate: time budget used up; stopping mutmut (results so far are kept)",
                      flush=True)
                process.send_signal(signal.SIGINT)
                stopped_at = time.monotonic()
            elif stopped_at and time.monotonic() > stopped_at + STOP_GRACE_SECONDS:
                process.terminate()  # still starting up: it only listens in its test loop
                stopped_at = float("inf")
            time.sleep(0.2)
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        process.wait()
        raise
    if tty:
        print()
    return process.wait()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and do the one thing asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="GLOB",
                        help="only these mutants, e.g. 'simulator.core.money.*' (re-tested "
                             "even if a verdict exists)")
    parser.add_argument("--fresh", action="store_true", help="delete mutants/ first")
    parser.add_argument("--report", action="store_true",
                        help="only print the scores of the last runs")
    parser.add_argument("--survivors", action="store_true",
                        help="print the diffs of the mutants the tests missed")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2,
                        help="parallel mutant runs (default: one per core)")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_MINUTES,
                        metavar="MINUTES", help="stop testing after this long (default "
                        f"{DEFAULT_BUDGET_MINUTES:g}); the next run continues")
    args = parser.parse_args(argv)
    args.names = [n if n.startswith(f"{NAMESPACE}.") else f"{NAMESPACE}.{n}"
                  for n in args.names]
    STAGE.mkdir(exist_ok=True)
    moved = move_flat_results()
    if moved:
        print(f"mutate: carried {moved} verdicts over from ./mutants to the staged names")
    if not (args.report or args.survivors):
        stage()  # a run only: reading results must not touch the sources of a run going on
    os.chdir(STAGE)  # mutmut reads pyproject.toml and writes mutants/ here
    if args.report:
        return report(args.names)
    if args.survivors:
        return survivors(args.names)

    started = time.monotonic()
    deadline = started + args.budget * 60
    check_sources_untouched()
    cfg = _mutmut_config()
    check_tests_collect(cfg.pytest_add_cli_args_test_selection)  # type: ignore[attr-defined]
    if config_changed():
        print("mutate: the mutated paths or patterns changed since the last run; starting over")
        args.fresh = True
    if args.fresh and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    elif not args.names:
        retried = forget_missed()
        if retried:
            print(f"mutate: {retried} earlier survivors will be tested again (against "
                  "today's tests)")
    MUTANTS.mkdir(exist_ok=True)
    CONFIG_STAMP.write_text(mutmut_table(), encoding="utf-8")
    if refresh_test_mapping(cfg.pytest_add_cli_args_test_selection):  # type: ignore[attr-defined]
        print("mutate: the tests changed since the last run; measuring which tests reach "
              "which functions again")
    sync_copies()
    code = run_mutmut(args.names, args.max_children, deadline)
    check_sources_untouched()
    minutes = (time.monotonic() - started) / 60
    print(f"\nmutate: mutmut finished with exit code {code} after {minutes:.1f} min")
    if code not in (0, -signal.SIGINT, 130):
        return code
    return report(args.names)


if __name__ == "__main__":
    sys.exit(main())
