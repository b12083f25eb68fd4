"""The render process: killed when a render runs too long, replaced on the next render."""

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.chart.job import RenderJob
from intake.chart.worker import RenderTimeout, _child_environment, renderer

JOB = RenderJob(
    html="<p>Short document</p>",
    attachment=b"{}",
    attachment_name="record.json",
    attachment_description="",
    created=datetime(2026, 11, 3, tzinfo=UTC),
)


def test_a_render_past_its_time_limit_is_killed_and_the_next_starts_afresh():
    renderer.render(JOB, timeout=60)
    runaway = renderer.pid
    with pytest.raises(RenderTimeout, match="longer than 0.001 seconds"):
        renderer.render(JOB, timeout=0.001)
    assert renderer.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(runaway, 0)  # killed and reaped, not left running
    assert renderer.render(JOB, timeout=60).pdf.startswith(b"%PDF-")
    assert renderer.pid not in (None, runaway)


def test_the_render_process_gets_no_secrets(monkeypatch):
    monkeypatch.setenv("INTAKE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql://user:password@db/intake")
    monkeypatch.setenv("FONTCONFIG_PATH", "/etc/fonts")
    environment = _child_environment()
    assert not any(name.startswith("INTAKE_") for name in environment)
    assert environment["FONTCONFIG_PATH"] == "/etc/fonts"
    checkout = str(Path(__file__).resolve().parents[1])
    assert environment["PYTHONPATH"].split(os.pathsep)[0] == checkout


def test_the_render_process_gives_back_each_renders_memory():
    # The render process runs with the collector off during a render and collects after
    # each one: many renders must not add up.
    rows = "".join(f"<tr><th>Question {n}</th><td>{'Answer. ' * 40}</td></tr>" for n in range(60))
    job = dataclasses.replace(JOB, html=f"<p>Long document</p><table>{rows}</table>")
    renderer.render(job, timeout=120)
    renderer.render(job, timeout=120)
    settled = _resident_mb(renderer.pid)
    for _ in range(8):
        assert renderer.render(job, timeout=120).pdf.startswith(b"%PDF-")
    assert _resident_mb(renderer.pid) - settled < 15  # about 3 MB a render if never collected


def _resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kilobytes) / 1024
