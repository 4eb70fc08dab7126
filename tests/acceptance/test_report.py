"""`roadlabel report` writes a self-contained HTML report whose plots render in Chromium.

The batch is worked through review and QA by simulated users (scheduler calls on a real
embedded PostgreSQL), then the CLI runs as a subprocess and headless Chromium (Debian's
``chromium`` package) dumps the rendered DOM, in which the plots' data points are counted.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from roadlabel import ontology
from roadlabel.embedded import EmbeddedPostgres
from roadlabel.labels import Box3D, FrameLabels, LabelDocument
from roadlabel.segments import plan_segments
from scheduler.admin import add_user, create_project
from scheduler.auth import Caller
from scheduler.db import create_pool
from scheduler.errors import NotFound
from scheduler.migrator import migrate
from scheduler.queries import q
from scheduler.service import SchedulerConfig, SchedulerService
from scheduler.workflow import Verdict, WorkflowConfig

FRAMES, SEGMENT, OVERLAP = 40, 5, 1
USERS = {"ann-1": ("annotator", 30.0), "ann-2": ("annotator", 20.0),
         "rev-1": ("reviewer", 40.0), "qa-1": ("qa", 50.0)}


def _doc(first: int, end: int) -> LabelDocument:
    return LabelDocument("seq1", first, tuple(
        FrameLabels(i, i * 0.1, (Box3D("car-1", "car", 10.0 + i, 0.0, 0.8, 4.5, 1.9, 1.6, 0.0),))
        for i in range(first, end)))


async def _work(svc: SchedulerService, who: Caller, rng: random.Random) -> bool:
    """One lease-and-finish of whatever this user's role does; False when nothing waits."""
    try:
        leased = await svc.lease(who, None, "p1", [])
    except NotFound:
        return False
    t = leased.task
    await asyncio.sleep(0.03)  # some wall time, so that active seconds are billed
    if who.role == "annotator":
        await svc.heartbeat(who, leased.lease_id, leased.fencing_token, None, 0.02)
        await svc.submit(who, leased.lease_id, leased.fencing_token, f"k{rng.random()}",
                         t["document_version"], _doc(t["first_frame"], t["end_frame"]), 0.01)
        return True
    sloppy = t.get("annotated_by") == "ann-2" and rng.random() < 0.5
    verdict = Verdict.REJECT if sloppy and who.role == "reviewer" else Verdict.APPROVE
    await svc.review(who, leased.lease_id, leased.fencing_token, f"k{rng.random()}",
                     t["document_version"], verdict, ["boxes drift"] if sloppy else [], None, 0.02)
    return True


async def _populate(url: str) -> None:
    pool = await create_pool(url, max_size=4)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        await create_project(pool, "p1", ontology.default())
        callers = []
        for user, (role, rate) in USERS.items():
            await add_user(pool, user, role, ["p1"], hourly_rate=rate)
            callers.append(Caller(user, role, (), ("p1",)))
        svc = SchedulerService(pool, None, SchedulerConfig(  # type: ignore[arg-type]
            workflow=WorkflowConfig(qa_sample_rate=0.5)))
        await svc.create_batch("b1", "p1", datetime.now(UTC) + timedelta(minutes=2), 0)
        frames = [{"frame_index": i, "pts": i * 100, "timestamp_s": i * 0.1, "sha256": f"{i:064x}",
                   "key": "frames/seq1/chunk0", "offset": i * 10, "length": 10}
                  for i in range(FRAMES)]
        await svc.register_sequence("b1", "seq1", "file:///x.mp4", "t", {}, frames,
                                    plan_segments(FRAMES, SEGMENT, OVERLAP), OVERLAP)
        await pool.execute(q("set_rate"), "cpu", 0.1, "hour", "EUR")
        await pool.fetchval(q("record_compute"), "ingest:b1/seq1", "b1", "seq1", None, "ingest",
                            30.0, 0.0, FRAMES, 0)
        rng = random.Random(3)
        for _ in range(200):
            progress = [await _work(svc, who, rng) for who in callers]
            if not any(progress):
                break
        accepted = await pool.fetchval("SELECT count(*) FROM tasks WHERE stage <> 'accepted'")
        assert accepted == 0, "the simulated users did not finish the batch"
    finally:
        await pool.close()


class _Plots(HTMLParser):
    """Counts, per <svg data-chart>, its data points and the y value of each."""

    def __init__(self) -> None:
        super().__init__()
        self.chart: str | None = None
        self.points: dict[str, list[float]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg" and a.get("data-chart"):
            self.chart = a["data-chart"]
            self.points[self.chart] = []
        elif self.chart and a.get("class") in ("point", "bar"):
            self.points[self.chart].append(float(a.get("data-y") or "nan"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.chart = None


def _chromium_dom(page: Path, profile: Path) -> str:
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed: apt-get update && apt-get install -y chromium"
    p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", f"--user-data-dir={profile}",
                        "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def test_report_renders_every_plot_with_data_in_chromium(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pg = EmbeddedPostgres(tmp_path / "pg")
    pg.start()
    try:
        url = pg.url_for("postgres")
        asyncio.run(_populate(url))
        out = tmp_path / "report.html"
        r = cli("report", "--batch", "b1", "--out", str(out),
                env={"ROADLABEL_DATABASE_URL": url, "ROADLABEL_QA_SAMPLE_RATE": "0.5"})
        assert r.code == 0, r.err[-3000:]
        assert "wrote" in r.out and "EUR" in r.out
        missing = cli("report", "--batch", "nope", "--out", str(tmp_path / "x.html"),
                      env={"ROADLABEL_DATABASE_URL": url})
        assert missing.code == 2 and "batch 'nope' does not exist" in missing.err
        status = cli("status", "--once", env={"ROADLABEL_DATABASE_URL": url})
        assert status.code == 0, status.err[-2000:]
        assert "(no open batches)" in status.out  # b1 is done
        status = cli("status", "--once", "--batch", "b1", env={"ROADLABEL_DATABASE_URL": url})
        assert f"{FRAMES + OVERLAP * 9}/{FRAMES + OVERLAP * 9}" in status.out, status.out
        assert " done " in status.out  # a finished batch has no ETA left
        missing = cli("status", "--once", "--batch", "nope", env={"ROADLABEL_DATABASE_URL": url})
        assert missing.code == 2 and "no batch nope" in missing.err
    finally:
        pg.stop("immediate")
    html = out.read_text()
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # self-contained
    plots = _Plots()
    plots.feed(_chromium_dom(out, tmp_path / "chromium-profile"))
    p = plots.points
    assert set(p) == {"throughput", "burndown", "cost-per-frame", "annotators", "qa-tradeoff"}
    assert any(y > 0 for y in p["throughput"])
    assert len(p["burndown"]) >= 2 * 9 and min(p["burndown"]) == 0  # steps down to zero
    assert sum(p["cost-per-frame"]) == FRAMES  # every frame is in the histogram once
    assert len(p["annotators"]) == 2  # ann-1 and ann-2 have review evidence
    assert len(p["qa-tradeoff"]) == 2 * 10
    counts = Counter(y > 0 for y in p["qa-tradeoff"])
    assert counts[True] >= 10

