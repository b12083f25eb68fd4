"""Rewrite the summary table of docs/performance.md from the figures the benchmarks printed.

    make bench        # runs every bench/*.py into .bench/<name>.log, then this script
    .venv/bin/python scripts/bench_report.py .bench/*.log

A benchmark reports a figure by printing a line of its own:

    figure: <what was measured> = <value, with its unit>

for example ``figure: chart PDF, intake.chart median = 0.364 s``. This script reads those
lines from each log (the benchmark's name is the log's file name), and replaces what lies
between these two lines of docs/performance.md:

    <!-- bench-summary:begin -->
    <!-- bench-summary:end -->

with a table of one row per figure, and a line saying when and on what machine the run was
(cores, load average, and the arguments given with BENCH_ARGS). A log without a figure line
gets a row saying so. The rest of the file, the history tables included, is left alone; if
the markers are missing, a "Summary" section with them is added after the title.
"""

import argparse
import os
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench-summary:begin -->", "<!-- bench-summary:end -->"
FIGURE = re.compile(r"^figure:\s*(?P<what>.+?)\s+=\s+(?P<value>.+?)\s*$")


def figures(log: Path) -> list[tuple[str, str]]:
    """The (what, value) pairs a benchmark printed, in order."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if match := FIGURE.match(line.strip()):
            found.append((match["what"], match["value"]))
    return found


def summary(logs: list[Path], arguments: str) -> str:
    """The summary block: a line about the run, then the table."""
    load = os.getloadavg()[0]
    run = f"Last `make bench` on {date.today().isoformat()}: {os.cpu_count()} cores, load "
    run += f"average {load:.1f} at the end"
    run += f", arguments `{arguments}`." if arguments.strip() else "."
    rows = ["| benchmark | figure | value |", "| --- | --- | --- |"]
    for log in sorted(logs):
        printed = figures(log)
        if not printed:
            rows.append(f"| {log.stem} | (printed no `figure:` line) | |")
        for what, value in printed:
            rows.append(f"| {log.stem} | {_cell(what)} | {_cell(value)} |")
    return "\n".join([BEGIN, run, "", *rows, END])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rewrite(document: str, block: str) -> str:
    """The document with its summary block replaced (or added after the title)."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if pattern.search(document):
        return pattern.sub(lambda _: block, document, count=1)
    title, _, rest = document.partition("\n")
    section = (
        "\n\n## Summary\n\nRewritten by `make bench` (scripts/bench_report.py) from the "
        "figures the benchmarks\nprint; the sections below keep the history.\n\n"
    )
    return f"{title}{section}{block}\n{rest}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", type=Path, help="one log per benchmark")
    parser.add_argument("--args", default="", help="the arguments the benchmarks were given")
    parser.add_argument("--document", type=Path, default=DOCUMENT)
    options = parser.parse_args()
    block = summary(options.logs, options.args)
    options.document.write_text(rewrite(options.document.read_text(), block))
    print(f"Rewrote the summary in {options.document}:\n{block}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
