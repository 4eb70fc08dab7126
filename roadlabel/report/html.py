"""The batch report as one self-contained HTML page: inline CSS and SVG, no scripts."""

from __future__ import annotations

from datetime import datetime
from html import escape

from roadlabel.report import series
from roadlabel.report.data import ReportData
from roadlabel.report.svg import Series, histogram, plot

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1360px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card b { display: block; font-size: 18px; } .risk b { color: #c00; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #eee; } figcaption { padding: 4px 8px; color: #555; }
svg text { font: 11px system-ui, sans-serif; fill: #333; } svg .title { font-size: 13px; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; }
svg .mark { stroke: #c00; stroke-dasharray: 4 3; } svg .mark-label { fill: #c00; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def _hours(d: ReportData, when: datetime) -> float:
    return (when - d.figures.created_at).total_seconds() / 3600.0


def _money(d: ReportData, v: float) -> str:
    return f"{v:,.4f} {escape(d.currency)}"


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else "unknown (no throughput yet)"


def _cards(d: ReportData) -> str:
    f = d.figures
    cards = [
        ("Frames accepted", f"{f.frames_accepted:,} / {f.frames_total:,}"),
        ("Throughput", f"{f.accepted_frames_per_hour:,.0f} frames/h"),
        ("Deadline", _when(f.deadline)), ("ETA", _when(f.eta)),
        ("At risk", "yes" if f.at_risk else "no"),
        ("Spent", _money(d, f.cost_spent)), ("Cost / frame", _money(d, f.cost_per_frame)),
        ("Projected cost / frame", _money(d, f.projected_cost_per_frame)),
        ("Target cost / frame", _money(d, f.target_cost_per_frame)),
    ]
    out = []
    for label, value in cards:
        risky = (label == "At risk" and f.at_risk) or (
            label == "Projected cost / frame"
            and f.projected_cost_per_frame > f.target_cost_per_frame)
        out.append(f'<div class="card{" risk" if risky else ""}">{escape(label)}'
                   f"<b>{escape(value)}</b></div>")
    return '<div class="cards">' + "".join(out) + "</div>"


def _hour_fmt(v: float) -> str:
    return f"{v:.3g} h"


def _throughput_chart(d: ReportData) -> str:
    f = d.figures
    accepts = [(_hours(d, t), n) for t, n in d.accepts]
    end = max([_hours(d, f.now)] + [a for a, _ in accepts])
    start = _hours(d, f.started_at) if f.started_at else 0.0
    points = series.throughput(accepts, start, end)
    return plot("throughput", "Accepted frames per hour", [Series("frames/h", points)],
                "hours since the batch was created", "frames per hour", x_fmt=_hour_fmt)


def _burndown_chart(d: ReportData) -> str:
    f = d.figures
    accepts = [(_hours(d, t), n) for t, n in d.accepts]
    deadline_h, now_h = _hours(d, f.deadline), _hours(d, f.now)
    lines = [Series("remaining frames", series.burndown(accepts, f.frames_total)),
             Series("on pace for deadline", [(0.0, float(f.frames_total)), (deadline_h, 0.0)],
                    dashed=True)]
    if f.eta is not None and f.remaining_frames > 0:
        lines.append(Series("projection", [(now_h, float(f.remaining_frames)),
                                           (_hours(d, f.eta), 0.0)], dashed=True))
    return plot("burndown", "Burn-down against the deadline", lines,
                "hours since the batch was created", "frames not yet accepted",
                x_fmt=_hour_fmt, marks=[(deadline_h, "deadline"), (now_h, "now")])


def _cost_chart(d: ReportData) -> str:
    target = d.figures.target_cost_per_frame
    return histogram("cost-per-frame", f"Cost per frame ({d.currency})", d.frame_costs, 20,
                     f"cost per frame ({d.currency})", marks=[(target, "target")])


def _annotator_chart(d: ReportData) -> str:
    known = [a for a in d.annotators if a.quality is not None and a.frames > 0]
    pts = [(a.frames_per_hour, a.quality or 0.0) for a in known]
    return plot("annotators", "Annotators: speed against quality",
                [Series("annotator", pts, line=False)], "frames per active hour",
                "quality score (0-1)")


def _tradeoff_chart(d: ReportData) -> str:
    pts = [(p.rate, p.cost_per_frame) for p in d.tradeoff]
    errs = [(p.rate, p.residual_error_rate) for p in d.tradeoff]
    scale = max((c for _, c in pts), default=1.0) / max(max((e for _, e in errs), default=0), 1e-9)
    return plot("qa-tradeoff", "QA sampling rate: cost against residual errors",
                [Series(f"cost/frame ({d.currency})", pts),
                 Series(f"residual error rate x{scale:.3g}",
                        [(r, e * scale) for r, e in errs], dashed=True)],
                "QA sampling rate", "cost per frame / scaled error rate",
                marks=[(d.qa_rate, "current")])


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(
        f'<td{" class=n" if i >= numeric_from else ""}>{escape(c)}</td>'
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _tables(d: ReportData) -> str:
    kinds = _table(["kind", "cost", "share"], [
        [k, _money(d, v), f"{v / d.figures.cost_spent:.1%}" if d.figures.cost_spent else "-"]
        for k, v in sorted(d.cost_by_kind.items())])
    people = _table(["user", "tasks", "frames", "active s", "frames/h", "quality", "cost"], [
        [a.user_id, str(a.tasks_submitted), str(a.frames), f"{a.active_seconds:,.1f}",
         f"{a.frames_per_hour:,.0f}",
         "-" if a.quality is None else f"{a.quality:.2f}", _money(d, a.cost)]
        for a in d.annotators])
    trade = _table(["QA rate", "cost / frame", "residual error rate", "±95% of measured rate"], [
        [f"{p.rate:.0%}", _money(d, p.cost_per_frame), f"{p.residual_error_rate:.2%}",
         f"{p.error_margin:.2%}"] for p in d.tradeoff], numeric_from=0)
    basis = ("observed QA cost" if d.qa_cost_observed
             else "no QA observed yet: a QA check is priced like a review")
    return (f"<h2>Cost by kind</h2>{kinds}<h2>Annotators</h2>{people}"
            f"<h2>QA sampling trade-off</h2><p>Error rate {d.error_rate:.1%} (rejections at "
            f"review and QA); QA cost {_money(d, d.qa_cost_per_frame)} per frame ({basis}).</p>"
            f"{trade}")


def render(d: ReportData) -> str:
    """The whole report page."""
    f = d.figures
    charts = [
        ("Throughput over time", _throughput_chart(d)),
        ("Burn-down against the deadline", _burndown_chart(d)),
        ("Distribution of cost per frame (ledger spread over each task's frames)",
         _cost_chart(d)),
        ("Per-annotator speed against quality", _annotator_chart(d)),
        ("Cost and accuracy of the QA sampling rate", _tradeoff_chart(d)),
    ]
    figures = "".join(f"<figure>{svg}<figcaption>{escape(cap)}</figcaption></figure>"
                      for cap, svg in charts)
    events = "".join(f"<li>{escape(_when(t))}: {escape(k)}</li>" for t, k in d.events)
    quality_note = sum(1 for a in d.annotators if a.quality is None)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>roadlabel batch {escape(f.batch_id)}</title><style>{CSS}</style></head><body>"
        f"<h1>Batch {escape(f.batch_id)} <small>project {escape(f.project_id)}, "
        f"as of {escape(_when(f.now))}</small></h1>{_cards(d)}"
        f'<div class="charts">{figures}</div>'
        + (f"<p>{quality_note} user(s) without review, QA or gold evidence are not plotted."
           "</p>" if quality_note else "")
        + _tables(d)
        + (f"<h2>SLA events</h2><ul>{events}</ul>" if events else "")
        + "</body></html>\n")
