"""Cost maths: roll-ups of the cost ledger and the projected cost per frame, as pure functions.

The ledger (an append-only table) is the truth; everything here is derived from its rows
(or from rows already summed per attribution), so every roll-up adds up to the ledger's sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_TARGET_COST_PER_FRAME = 0.50
HUMAN_STAGES = ("annotate", "review", "qa")

Frame = tuple[str, int]


@dataclass(frozen=True)
class LedgerEntry:
    """Ledger cost of one attribution (rows may already be summed per attribution)."""

    kind: str
    cost: float
    seconds: float = 0.0
    sequence_id: str | None = None
    task_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class TaskSpan:
    """The frames [first_frame, end_frame) of one task of a sequence."""

    task_id: str
    sequence_id: str
    first_frame: int
    end_frame: int

    @property
    def frames(self) -> int:
        """How many frames the task holds."""
        return self.end_frame - self.first_frame


@dataclass
class Rollup:
    """Ledger cost of one batch, summed along each axis ops asks about."""

    total: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)
    by_sequence: dict[str, float] = field(default_factory=dict)
    by_task: dict[str, float] = field(default_factory=dict)
    by_user: dict[str, float] = field(default_factory=dict)
    by_frame: dict[Frame, float] = field(default_factory=dict)
    #: Cost that no frame can carry (an entry of a sequence or task with no known frames).
    unplaced: float = 0.0


def rollup(entries: Iterable[LedgerEntry], tasks: Sequence[TaskSpan],
           sequence_frames: Mapping[str, int]) -> Rollup:
    """Sum the entries per kind, sequence, task, user and frame.

    A task's cost is spread evenly over its frames (overlap frames get a share from each
    task), a sequence-level cost (ingest, storage) over the sequence's frames, and a
    batch-level cost over every frame of the batch's tasks.
    """
    spans = {t.task_id: t for t in tasks}
    batch_frames = sorted({(t.sequence_id, i) for t in tasks
                           for i in range(t.first_frame, t.end_frame)})
    out = Rollup()
    sums: dict[str, defaultdict[str, float]] = {
        axis: defaultdict(float) for axis in ("kind", "sequence", "task", "user")}
    frames: defaultdict[Frame, float] = defaultdict(float)
    for e in entries:
        out.total += e.cost
        sums["kind"][e.kind] += e.cost
        span = spans.get(e.task_id) if e.task_id else None
        sequence = e.sequence_id or (span.sequence_id if span else None)
        if sequence:
            sums["sequence"][sequence] += e.cost
        if e.task_id:
            sums["task"][e.task_id] += e.cost
        if e.user_id:
            sums["user"][e.user_id] += e.cost
        carriers = _carriers(e, span, sequence, sequence_frames, batch_frames)
        if not carriers:
            out.unplaced += e.cost
        for frame in carriers:
            frames[frame] += e.cost / len(carriers)
    out.by_kind, out.by_sequence = dict(sums["kind"]), dict(sums["sequence"])
    out.by_task, out.by_user, out.by_frame = dict(sums["task"]), dict(sums["user"]), dict(frames)
    return out


def _carriers(e: LedgerEntry, span: TaskSpan | None, sequence: str | None,
              sequence_frames: Mapping[str, int], batch_frames: list[Frame]) -> list[Frame]:
    """The frames an entry's cost is spread over."""
    if e.task_id:
        if span is None:
            return []
        return [(span.sequence_id, i) for i in range(span.first_frame, span.end_frame)]
    if sequence:
        return [(sequence, i) for i in range(sequence_frames.get(sequence, 0))]
    return batch_frames


def cost_per_frame(cost: float, frames: int) -> float:
    """Cost divided by frames; 0 for no frames."""
    return cost / frames if frames > 0 else 0.0


@dataclass(frozen=True)
class StageWork:
    """One human stage of a batch: cost billed, frames submitted, frames still to pass."""

    cost: float
    frames_done: int
    frames_to_go: float

    @property
    def unit_cost(self) -> float | None:
        """Observed cost per frame passed through the stage; None before any was."""
        return self.cost / self.frames_done if self.frames_done > 0 else None


def frames_to_go(frames_at: Mapping[str, int], qa_sample_rate: float) -> dict[str, float]:
    """Frames that have still to pass each human stage, from the frames now at each stage.

    Review sees every frame not yet reviewed; QA sees a ``qa_sample_rate`` share of those
    not yet reviewed, plus every frame already waiting at QA.
    """
    annotate, review, qa = (frames_at.get(s, 0) for s in HUMAN_STAGES)
    return {"annotate": float(annotate), "review": float(annotate + review),
            "qa": (annotate + review) * qa_sample_rate + qa}


def projected_cost_per_frame(spent: float, stages: Mapping[str, StageWork],
                             frames_total: int) -> float:
    """Cost per frame once the batch is done, if each stage keeps its observed unit cost.

    Machine costs (ingest, pre-label, storage) are paid up front and are in ``spent``; a stage
    with no work observed yet adds nothing, so early projections are a lower bound.
    """
    ahead = sum(s.frames_to_go * (s.unit_cost or 0.0) for s in stages.values())
    return cost_per_frame(spent + ahead, frames_total)


def over_target(projected: float, target: float) -> bool:
    """Whether the projected cost per frame exceeds the target."""
    return projected > target


@dataclass(frozen=True)
class TradeoffPoint:
    """Expected outcome of one QA sampling rate."""

    rate: float
    cost_per_frame: float
    residual_error_rate: float
    #: Half-width of the 95% interval of the measured error rate (wider with fewer samples).
    error_margin: float


def qa_tradeoff(rates: Sequence[float], base_cost_per_frame: float, qa_cost_per_frame: float,
                error_rate: float, frames: int) -> list[TradeoffPoint]:
    """Cost against accuracy of QA sampling rates.

    QA checks a ``rate`` share of frames: it adds ``rate * qa_cost_per_frame`` per frame, the
    errors it finds are fixed (so ``error_rate * (1 - rate)`` slip through), and the error
    rate is measured on ``rate * frames`` frames (normal approximation of its 95% interval).
    """
    out = []
    p = min(max(error_rate, 0.0), 1.0)
    for r in rates:
        n = r * frames
        margin = 1.96 * (p * (1 - p) / n) ** 0.5 if n > 0 else 1.0
        out.append(TradeoffPoint(r, base_cost_per_frame + r * qa_cost_per_frame,
                                 p * (1 - r), min(margin, 1.0)))
    return out
