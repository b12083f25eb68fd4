"""scripts/bench_report.py: the summary table of docs/performance.md, from what benches print."""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_report.py"
spec = importlib.util.spec_from_file_location("bench_report", SCRIPT)
bench_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_report)

HISTORY = "## Chart PDF rendering\n\n| date | ratio |\n| --- | --- |\n| 2026-11-25 | 0.71 |\n"


def logs(folder: Path) -> list[Path]:
    load = folder / "load.log"
    load.write_text(
        "Load: 6 tablets x 2 intakes, SQLite\n"
        "figure: load, SQLite: throughput = 138.3 intakes/min\n"
        "  figure: load, SQLite: sign and submit p50 / p95 = 1914 / 3447 ms\n"
        "not a figure: x = 1\n"
    )
    quiet = folder / "dashboard.log"
    quiet.write_text("Dashboard: 10000 rows in 0.2 s\n")
    return [load, quiet]


def run(document: Path, folder: Path, *arguments: str) -> str:
    command = [sys.executable, str(SCRIPT), "--document", str(document), *arguments]
    result = subprocess.run([*command, *map(str, logs(folder))], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return document.read_text()


def test_the_summary_is_added_after_the_title_once_and_then_rewritten(tmp_path):
    document = tmp_path / "performance.md"
    document.write_text("# Performance\n\n" + HISTORY)
    text = run(document, tmp_path, "--args=--short")
    assert text.startswith("# Performance\n\n## Summary\n")
    assert text.endswith(HISTORY)
    assert "| load | load, SQLite: throughput | 138.3 intakes/min |" in text
    assert "| load | load, SQLite: sign and submit p50 / p95 | 1914 / 3447 ms |" in text
    assert "| dashboard | (printed no `figure:` line) | |" in text
    assert "arguments `--short`" in text and "not a figure" not in text

    (tmp_path / "load.log").unlink()
    again = run(document, tmp_path)
    assert again.count(bench_report.BEGIN) == again.count(bench_report.END) == 1
    assert again.count("138.3 intakes/min") == 1 and again.endswith(HISTORY)
    assert "arguments" not in again


def test_figure_lines_are_read_with_their_units():
    assert bench_report.FIGURE.match("figure: a = b = 3 s").group("what", "value") == (
        "a",
        "b = 3 s",
    )
