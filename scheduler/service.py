"""The scheduler's operations on domain values; servicers adapt them to gRPC.

Every operation is one database round trip where state changes (the functions in
migrations/0002), plus pure work (validation, QA, presigning) done around it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg

from roadlabel.labels import LabelDocument
from roadlabel.labels_json import document_from_dict, document_to_dict
from roadlabel.ontology import Ontology
from roadlabel.ontology import parse as parse_ontology
from scheduler import admin
from scheduler.auth import Caller
from scheduler.db import connection
from scheduler.errors import (
    DraftNotSaved,
    IllegalTransition,
    InvalidArgument,
    LeaseLost,
    NotFound,
    PermissionDenied,
    QARefused,
    Retryable,
    SchedulerError,
    StaleContext,
)
from scheduler.idempotency import request_digest
from scheduler.queries import q
from scheduler.validation import storage_violations, timestamp_violations, validate_document
from scheduler.workflow import (
    REQUIRED_ANNOTATIONS,
    Stage,
    Verdict,
    WorkflowConfig,
    may_see_draft,
    next_stages,
    stages_for,
    task_kind,
)


class Presigner(Protocol):
    """Makes a URL through which a client GETs one object directly."""

    def presign_get(self, key: str, ttl_s: int = ...) -> str: ...


#: Documents with at most this many boxes and lanes (all frames) are QA-checked on the event
#: loop (about 1 ms); larger ones in a worker thread.
INLINE_QA_MAX_ITEMS = 200

#: Runs QA checks on a document: returns findings as dicts with a "severity" key.
QACheck = Callable[[LabelDocument], list[dict[str, Any]]]


@dataclass
class SchedulerConfig:
    """Tunables of one scheduler replica."""

    lease_ttl_s: float = 60.0
    presign_ttl_s: int = 3600
    workflow: WorkflowConfig = field(default_factory=WorkflowConfig)
    default_deadline_s: float = 24 * 3600.0


@dataclass(frozen=True)
class _Call:
    """One submit or review call, as rl_submit identifies and checks it."""

    lease_id: str
    token: int
    key: str
    version: int
    active_s: float
    digest: str


@dataclass(frozen=True)
class Leased:
    """A granted lease with its task payload."""

    lease_id: str
    fencing_token: int
    expires_at: str
    task: dict[str, Any]
    frames: list[dict[str, Any]]
    calibration: dict[str, Any]
    deadline: str
    draft: dict[str, Any] | None
    draft_user: str | None = None


class SchedulerService:
    """Lease, heartbeat, submit, release, review and registration over one pool."""

    def __init__(self, pool: asyncpg.Pool, presigner: Presigner, cfg: SchedulerConfig,
                 qa_check: QACheck | None = None) -> None:
        self.pool = pool
        self.presigner = presigner
        self.cfg = cfg
        self.qa_check = qa_check
        # Parsed ontologies by (project, version): a cache, never needed by another replica.
        self._ontologies: dict[tuple[str, str], Ontology] = {}
        # The version of each project's ontology last seen (checked again at every submit).
        self._current: dict[str, str] = {}

    async def lease(self, who: Caller, stage: Stage | None, project: str,
                    skills: Sequence[str], request_id: str = "") -> Leased:
        """Grant the most urgent available task the caller may work on; a repeated
        ``request_id`` gets the lease its first attempt was granted, while active."""
        stages = stages_for(who.role, stage)
        if not stages:
            raise PermissionDenied(f"role '{who.role}' may not lease {stage or 'any'} tasks")
        if project and project not in who.projects:
            raise PermissionDenied(f"you are not a member of project '{project}'")
        offered = sorted(set(skills) | set(who.skills))
        async with connection(self.pool) as conn:
            row = await conn.fetchval(q("lease"), uuid.uuid4(), who.user_id, stages, project,
                                      offered, self.cfg.lease_ttl_s, request_id)
        if row is None:
            raise NotFound("no task is available for you right now; retry later")
        lease = row["lease"]
        return Leased(str(lease["lease_id"]), int(lease["fencing_token"]), lease["expires_at"],
                      row["task"], row["frames"], row["calibration"], row["deadline"],
                      row["draft"] if may_see_draft(row, who.user_id) else None,
                      row.get("draft_user"))

    def frame_url(self, key: str) -> str:
        """Presigned GET URL of a frame's chunk object."""
        return self.presigner.presign_get(key, self.cfg.presign_ttl_s)

    async def heartbeat(self, who: Caller, lease_id: str, token: int,
                        draft: LabelDocument | None, active_s: float) -> dict[str, Any]:
        """Extend a lease and save the draft.

        A draft that cannot be stored does not cost the lease: the lease is extended without
        it, then DraftNotSaved names its bad fields. Drafts are work in progress, so only
        storability is checked here; Submit checks the rest.
        """
        bad = storage_violations(draft, "draft") if draft is not None else []
        payload = document_to_dict(draft) if draft is not None and not bad else None
        async with connection(self.pool) as conn:
            result: dict[str, Any] = await conn.fetchval(
                q("heartbeat"), _uuid(lease_id), token, who.user_id, self.cfg.lease_ttl_s,
                payload, active_s)
        if bad:
            raise DraftNotSaved(bad, str(result["expires_at"]))
        return result

    async def submit(self, who: Caller, lease_id: str, token: int, key: str, version: int,
                     doc: LabelDocument, active_s: float) -> dict[str, Any]:
        """Validate, QA-check and submit annotate-stage labels (replay-safe).

        One round trip when the caller works in one project: the document is validated against
        that project's cached ontology and its own frame span, and rl_submit confirms both
        against the task under its lock. Otherwise (or when that context was stale) the task
        is looked up first and the document validated against it exactly.
        """
        if who.role in ("reviewer", "qa"):
            raise PermissionDenied(f"role '{who.role}' gives verdicts: approve or reject with "
                                   "ReviewService.SubmitReview (corrected labels go there too)")
        _require_key(key)
        body = document_to_dict(doc)
        call = _Call(lease_id, token, key, version, active_s,
                     request_digest(version, body, str(Verdict.SUBMIT), []))
        try:
            result = await self._submit_optimistic(who, call, doc, body) \
                if len(who.projects) == 1 else None
            if result is None:
                result = await self._submit_checked(who, call, doc, body)
        except LeaseLost as exc:
            raise await self._keep_late_work(who, call, body, exc) from None
        if result.get("kind") == "gold" and result.get("gold") and not result["replayed"]:
            await self._record_gold(result, who.user_id, doc)
        return result

    async def _submit_optimistic(self, who: Caller, call: _Call, doc: LabelDocument,
                                 body: dict[str, Any]) -> dict[str, Any] | None:
        """Submit validated against the caller's one project; None when the task must be read
        first: the document is invalid or refused by QA there (reported with the task known,
        so that every violation comes at once), or the context was stale."""
        project = who.projects[0]
        onto_version, onto = await self._current_ontology(project)
        if validate_document(doc, None, None, onto.classes, onto.lane_types):
            return None
        findings = await self._qa(doc)
        if any(f["severity"] == "blocking" for f in findings):
            return None
        return await self._submit_labels(who, call, doc, body, project, onto_version, findings)

    async def _submit_checked(self, who: Caller, call: _Call, doc: LabelDocument,
                              body: dict[str, Any]) -> dict[str, Any]:
        """Submit validated against the task, looked up first (a second round trip)."""
        task = await self._lease_task(call.lease_id)
        project = task["project_id"]
        onto_version, onto = await self._ontology(project, task["ontology_version"])
        violations = validate_document(doc, task["first_frame"], task["end_frame"],
                                       onto.classes, onto.lane_types,
                                       sequence_id=task["sequence_id"])
        violations += timestamp_violations(doc, _frame_times(task))
        if violations:
            raise InvalidArgument(violations)
        findings = await self._qa_ok(doc)
        result = await self._submit_labels(who, call, doc, body, project, onto_version,
                                           findings)
        if result is None:
            raise Retryable("the project's ontology changed during this submit; retry")
        return result

    async def _keep_late_work(self, who: Caller, call: _Call, body: dict[str, Any],
                              lost: LeaseLost) -> LeaseLost:
        """Labels submitted on a lapsed lease become the task's draft while nobody has leased
        it since; the error says whether they were kept and what to do."""
        async with connection(self.pool) as conn:
            kept = await conn.fetchval(q("keep_expired_work"), _uuid(call.lease_id),
                                       who.user_id, body)
        if kept is None:
            return LeaseLost(f"{lost}; Lease again for a task")
        return LeaseLost(f"{lost}; your labels were kept as the task's draft: Lease again to "
                         "resume them (whoever leases the task next starts from them)")

    async def _qa_ok(self, doc: LabelDocument) -> list[dict[str, Any]]:
        """QA findings of a document; raises QARefused when any of them blocks it."""
        findings = await self._qa(doc)
        if any(f["severity"] == "blocking" for f in findings):
            raise QARefused([f for f in findings if f["severity"] == "blocking"])
        return findings

    async def _submit_labels(self, who: Caller, call: _Call, doc: LabelDocument,
                             body: dict[str, Any], project: str, onto_version: str,
                             findings: list[dict[str, Any]]) -> dict[str, Any] | None:
        """rl_submit of a document validated for (project, ontology version, its frames);
        None when the task turns out not to match that context."""
        stored = {**body, "ontology_version": onto_version}
        nexts = next_stages(Verdict.SUBMIT, "", self.cfg.workflow)
        try:
            return await self._submit(who, call, stored, findings, nexts, Verdict.SUBMIT, [],
                                      REQUIRED_ANNOTATIONS, _context(project, onto_version, doc))
        except StaleContext:
            self._current.pop(project, None)
            return None

    async def _record_gold(self, task: dict[str, Any], user_id: str, doc: LabelDocument) -> None:
        """Score a gold submission against the known answer (the client is never told)."""
        from qa.gold import score_against_gold

        gold = document_from_dict(task["gold"])
        score = await asyncio.to_thread(score_against_gold, doc, gold)
        payload = {"user": user_id, "score": score.score, "precision": score.precision,
                   "recall": score.recall, "id_switches": score.id_switches}
        async with connection(self.pool) as conn:
            await conn.execute(q("record_event"), "gold_score", task["batch_id"],
                               task["task_id"], payload)

    async def review(self, who: Caller, lease_id: str, token: int, key: str, version: int,
                     verdict: Verdict, comments: list[str],
                     corrected: LabelDocument | None, active_s: float = 0.0,
                     sample: tuple[int, int] | None = None) -> dict[str, Any]:
        """Approve or reject a task leased at review or QA; ``sample`` is the checker's (frames
        checked, frames with errors), recorded for the batch's frame error rate."""
        if who.role not in ("reviewer", "qa", "admin"):
            raise PermissionDenied(f"role '{who.role}' may not approve or reject work")
        _require_key(key)
        comments = [c.strip() for c in comments if c.strip()]
        if verdict is Verdict.REJECT and not comments:
            raise InvalidArgument([("comments", "a rejection needs at least one comment that "
                                                "says what to fix")])
        task = await self._lease_task(lease_id)
        _check_sample(task, sample)
        body: dict[str, Any] | None = None
        findings: list[dict[str, Any]] = []
        if corrected is not None:
            _version, onto = await self._ontology(task["project_id"], task["ontology_version"])
            violations = validate_document(corrected, task["first_frame"], task["end_frame"],
                                           onto.classes, onto.lane_types, root="corrected",
                                           sequence_id=task["sequence_id"])
            violations += timestamp_violations(corrected, _frame_times(task), "corrected")
            if violations:
                raise InvalidArgument(violations)
            # A correction is new labels: the same inline QA as an annotator's submit.
            findings = await self._qa_ok(corrected)
            body = document_to_dict(corrected)
        call = _Call(lease_id, token, key, version, active_s,
                     request_digest(version, body, str(verdict), comments))
        nexts = next_stages(verdict, task["task_id"], self.cfg.workflow)
        result = await self._submit(who, call, body, findings, nexts, verdict, comments, {}, None)
        if sample is not None and not result["replayed"]:
            payload = {"user": who.user_id, "stage": task["stage"], "frames_checked": sample[0],
                       "frames_with_errors": sample[1]}
            async with connection(self.pool) as conn:
                await conn.execute(q("record_event"), "qa_sample", task["batch_id"],
                                   task["task_id"], payload)
        return result

    async def release(self, who: Caller, lease_id: str, token: int, reason: str,
                      comment: str) -> str:
        """Give a lease back; a reason makes it a skip visible to ops."""
        async with connection(self.pool) as conn:
            stage: str = await conn.fetchval(q("release"), _uuid(lease_id), token, who.user_id,
                                             reason, comment)
        return stage

    async def _submit(self, who: Caller, call: _Call, body: dict[str, Any] | None,
                      findings: list[dict[str, Any]], nexts: dict[str, str], verdict: Verdict,
                      comments: list[str], required: dict[str, int],
                      context: dict[str, Any] | None) -> dict[str, Any]:
        async with connection(self.pool) as conn:
            result: dict[str, Any] = await conn.fetchval(
                q("submit"), uuid.uuid4(), _uuid(call.lease_id), call.token, who.user_id,
                call.key, call.version, body, findings, nexts, str(verdict), comments, required,
                call.active_s, context, call.digest)
        return result

    async def _lease_task(self, lease_id: str) -> dict[str, Any]:
        async with connection(self.pool) as conn:
            row = await conn.fetchrow(q("lease_task"), _uuid(lease_id))
        if row is None:
            from scheduler.errors import LeaseLost

            raise LeaseLost(f"lease {lease_id} does not exist")
        return dict(row)

    async def _ontology(self, project_id: str, version: str) -> tuple[str, Ontology]:
        """(version, ontology): the one asked for when cached (a version never changes
        content), else the project's current one."""
        cached = self._ontologies.get((project_id, version))
        if cached is not None:
            return version, cached
        return await self._fetch_ontology(project_id)

    async def _current_ontology(self, project_id: str) -> tuple[str, Ontology]:
        """(version, ontology) of a project as last seen here; rl_submit confirms the version."""
        version = self._current.get(project_id, "")
        onto = self._ontologies.get((project_id, version))
        return (version, onto) if onto is not None else await self._fetch_ontology(project_id)

    async def _fetch_ontology(self, project_id: str) -> tuple[str, Ontology]:
        async with connection(self.pool) as conn:
            row = await conn.fetchrow(q("project_ontology"), project_id)
        if row is None:
            raise NotFound(f"project '{project_id}' does not exist")
        version = str(row["ontology_version"])
        onto = self._ontologies.get((project_id, version))
        if onto is None:
            onto = parse_ontology(row["ontology"], f"ontology of project {project_id}")
            self._ontologies[(project_id, version)] = onto
        self._current[project_id] = version
        return version, onto

    async def _qa(self, doc: LabelDocument) -> list[dict[str, Any]]:
        if self.qa_check is None:
            return []
        # Checks hold the GIL either way; a thread hop only pays off when it keeps a long
        # check (large documents: ~2 us per box-frame) from stalling the other calls.
        if sum(len(f.boxes) + len(f.lanes) for f in doc.frames) <= INLINE_QA_MAX_ITEMS:
            return self.qa_check(doc)
        return await asyncio.to_thread(self.qa_check, doc)

    # --- registration (IngestService) -------------------------------------------------

    async def create_batch(self, batch_id: str, project_id: str, deadline: datetime | None,
                           priority: int) -> bool:
        """Create a batch; False when it already existed."""
        deadline = deadline or datetime.now(UTC) + timedelta(seconds=self.cfg.default_deadline_s)
        created, _row = await admin.create_batch(self.pool, batch_id, project_id, deadline,
                                                 priority)
        return created

    async def register_sequence(self, batch_id: str, sequence_id: str, source_uri: str,
                                decoder_version: str, calibration: dict[str, Any],
                                frames: list[dict[str, Any]],
                                segments: list[tuple[int, int]], overlap: int,
                                cpu_seconds: float = 0.0,
                                gpu_seconds: float = 0.0) -> dict[str, Any]:
        """Register a sequence, its frames and one task per segment, idempotently."""
        ids = [f"{batch_id}/{sequence_id}/{a:06d}-{b:06d}" for a, b in segments]
        kinds = [task_kind(t, self.cfg.workflow) for t in ids]
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(q("batch_project"), batch_id) is None:
                raise NotFound(f"batch '{batch_id}' does not exist; create it first")
            await _same_plan(conn, batch_id, sequence_id, segments)
            created = await conn.fetchval(q("insert_sequence"), sequence_id, source_uri,
                                          decoder_version, calibration, len(frames))
            await conn.execute(
                q("insert_frames"), sequence_id, [f["frame_index"] for f in frames],
                [f["pts"] for f in frames], [f["timestamp_s"] for f in frames],
                [f["sha256"] for f in frames], [f["key"] for f in frames],
                [f["offset"] for f in frames], [f["length"] for f in frames])
            await conn.execute(q("insert_tasks"), batch_id, sequence_id, overlap, ids,
                               [a for a, _ in segments], [b for _, b in segments], kinds)
            await conn.fetchval(q("record_compute"), f"ingest:{batch_id}/{sequence_id}", batch_id,
                                sequence_id, None, "ingest", cpu_seconds, gpu_seconds,
                                len(frames), sum(f["length"] for f in frames))
        return {"frames": len(frames), "tasks": len(ids), "created": created is not None}

    async def register_prelabels(self, batch_id: str, sequence_id: str, first_frame: int,
                                 doc: LabelDocument, cpu_seconds: float = 0.0,
                                 gpu_seconds: float = 0.0) -> str:
        """Attach pre-labels to the batch's task whose segment starts at first_frame.

        The document must cover exactly the task's frames: pre-labels cut with another segment
        plan than the batch's would leave a task with labels for frames it does not show. A
        task once leased keeps its pre-labels (IllegalTransition): its annotator worked from
        them, and the lineage names their model.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            task = await conn.fetchrow(q("task_for_prelabels"), sequence_id, first_frame,
                                       batch_id)
            if task is None:
                raise NotFound(f"no task of sequence {sequence_id} in batch {batch_id} starts at "
                               f"frame {first_frame}: ingest it into that batch (--scheduler)")
            _require_task_frames(doc, sequence_id, first_frame, task["end_frame"])
            if bad := storage_violations(doc, "prelabels"):
                raise InvalidArgument(bad)
            task_id = task["task_id"]
            if task["fencing_token"] or task["document_version"]:
                raise IllegalTransition(f"task {task_id} has been leased already; its "
                                        "pre-labels are kept (annotators work from them)")
            await conn.fetchval(q("set_prelabels"), task_id, document_to_dict(doc))
            await conn.fetchval(q("record_compute"), f"prelabel:{task_id}:{doc.model_version}",
                                batch_id, sequence_id, task_id, "prelabel", cpu_seconds,
                                gpu_seconds, len(doc.frames), 0)
        return str(task_id)

    async def add_gold_task(self, accepted_task_id: str, batch_id: str) -> str:
        """Mix a copy of an accepted task, its labels as the known answer, into a batch."""
        async with connection(self.pool) as conn:
            task_id = await conn.fetchval(q("create_gold_task"), accepted_task_id, batch_id)
            if task_id is None:
                why = dict(await conn.fetchrow(q("gold_diagnosis"), accepted_task_id, batch_id))
        if task_id is not None:
            return str(task_id)
        if why["existing"]:
            return str(why["existing"])  # added before: the same answer, nothing new
        raise _gold_refusal(accepted_task_id, batch_id, why)

    async def gold_scores(self, batch_id: str) -> dict[str, tuple[float, int]]:
        """Mean gold score and number of gold tasks per annotator of a batch."""
        async with connection(self.pool) as conn:
            rows = await conn.fetch(q("gold_scores"), batch_id)
        return {r["user_id"]: (float(r["score"]), int(r["n"])) for r in rows}

    async def list_skips(self, who: Caller, project: str, limit: int) -> list[dict[str, Any]]:
        """Ambiguous and guideline-question skips awaiting a QA lead, in the caller's projects."""
        if project:
            require_project(who, project)
        projects = [project] if project else list(who.projects)
        async with connection(self.pool) as conn:
            rows = await conn.fetch(q("list_skips"), projects, who.role == "admin", limit)
        return [dict(r) for r in rows]

    async def require_batch(self, who: Caller, batch_id: str) -> str:
        """The batch's project, when the caller may see it; else PermissionDenied/NotFound."""
        async with connection(self.pool) as conn:
            project = await conn.fetchval(q("batch_project"), batch_id)
        if project is None:
            if who.role == "admin":
                raise NotFound(f"batch '{batch_id}' does not exist")
            raise PermissionDenied(f"batch '{batch_id}' is not in any of your projects")
        require_project(who, str(project))
        return str(project)

    async def sweep_expired(self) -> int:
        """End every time-expired lease; return how many."""
        async with connection(self.pool) as conn:
            n: int = await conn.fetchval(q("sweep_expired"))
        return n

    async def queue_gauges(self) -> tuple[dict[str, int], int]:
        """Waiting tasks per stage, and how many users hold an active lease."""
        async with connection(self.pool) as conn:
            rows = await conn.fetch(q("queue_depth"))
            active: int = await conn.fetchval(q("active_lease_users"))
        return {r["stage"]: int(r["n"]) for r in rows}, active

    async def batch_status(self, batch_id: str) -> dict[str, Any]:
        """Counts per stage and frame totals of a batch."""
        async with connection(self.pool) as conn:
            batch = await conn.fetchrow(q("batch_row"), batch_id)
            if batch is None:
                raise NotFound(f"batch '{batch_id}' does not exist")
            rows = await conn.fetch(q("stage_counts"), batch_id)
        stages = {r["stage"]: int(r["tasks"]) for r in rows}
        frames = {r["stage"]: int(r["frames"] or 0) for r in rows}
        return {"batch": dict(batch), "stages": stages,
                "frames_total": sum(frames.values()),
                "frames_accepted": frames.get("accepted", 0)}


def _context(project: str, onto_version: str, doc: LabelDocument) -> dict[str, Any]:
    """What a document was validated for, for rl_submit to confirm under the task's lock:
    its project and ontology, its sequence, and its frames (distinct, as validated) covering
    the task's exactly, with their frames' timestamps."""
    context: dict[str, Any] = {"project_id": project, "ontology_version": onto_version,
                               "sequence_id": doc.sequence_id}
    if doc.frames:
        indices = [f.frame_index for f in doc.frames]
        context.update(first_frame=min(indices), last_frame=max(indices), frames=len(indices),
                       times=[[f.frame_index, f.timestamp_s] for f in doc.frames])
    return context


def _frame_times(task: dict[str, Any]) -> dict[int, float]:
    """frame index -> timestamp of a task's frames, as ingest registered them."""
    return {int(i): float(ts) for i, ts in (task.get("frame_times") or {}).items()}


async def _same_plan(conn: asyncpg.Connection, batch_id: str, sequence_id: str,
                     segments: list[tuple[int, int]]) -> None:
    """A sequence re-registered in a batch must bring the segments it has: another plan would
    add overlapping tasks (frames labelled and paid for twice)."""
    rows = await conn.fetch(q("sequence_segments"), batch_id, sequence_id)
    have = [(r["first_frame"], r["end_frame"]) for r in rows]
    if have and have != sorted(segments):
        a, b = have[0]
        raise InvalidArgument([("segments", (
            f"sequence {sequence_id} is in batch {batch_id} with {len(have)} segments "
            f"({a}-{b}, ...), not these {len(segments)}; re-run with the segment length and "
            "overlap it was ingested with, or use another batch"))])


def _check_sample(task: dict[str, Any], sample: tuple[int, int] | None) -> None:
    """A checker's frame counts must fit the task."""
    if sample is None:
        return
    checked, errors = sample
    frames = task["end_frame"] - task["first_frame"]
    if not 0 <= errors <= checked <= frames:
        raise InvalidArgument([("frames_with_errors", (
            f"{errors} of {checked} frames checked does not fit the task's {frames} frames: "
            "give 0 <= frames_with_errors <= frames_checked <= frames"))])


def _gold_refusal(task_id: str, batch_id: str, why: dict[str, Any]) -> SchedulerError:
    """The one reason a gold copy of task_id cannot go into batch_id."""
    if why["stage"] is None:
        return NotFound(f"task {task_id} does not exist")
    if why["stage"] != "accepted" or not why["has_labels"]:
        return IllegalTransition(f"task {task_id} is at stage {why['stage']}: only an accepted "
                                 "task's labels can be a known answer")
    if why["batch_project"] is None:
        return NotFound(f"batch {batch_id} does not exist; create it first")
    if why["batch_project"] != why["task_project"]:
        return InvalidArgument([("batch_id", (
            f"batch {batch_id} is in project {why['batch_project']}, task {task_id} in "
            f"{why['task_project']}: gold tasks stay within their project"))])
    return IllegalTransition(f"batch {batch_id} already has a task for these frames of "
                             f"{task_id}'s sequence (its own batch?); pick another batch")


def _require_key(key: str) -> None:
    if not key:
        raise InvalidArgument([("idempotency_key", "required: a fresh key per submission")])
    if "\x00" in key:
        raise InvalidArgument([("idempotency_key", "must not contain NUL characters")])


def require_project(who: Caller, project: str) -> None:
    """Admins see every project; everyone else only the projects they are members of."""
    if who.role != "admin" and project not in who.projects:
        raise PermissionDenied(f"you are not a member of project '{project}'")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument([("lease_id", f"'{value}' is not a lease id")]) from None


def load_document(body: dict[str, Any] | None) -> LabelDocument | None:
    """Domain document from its stored JSON, if any."""
    return document_from_dict(body) if body else None


class OpsQueries:
    """Read-only roll-ups for OpsService."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def throughput(self, batch_id: str, window_s: float) -> tuple[float, float]:
        """Accepted (tasks, frames) per hour over the last window_s seconds."""
        async with connection(self.pool) as conn:
            row = await conn.fetchrow(q("accepted_since"), batch_id, window_s)
        per_hour = 3600.0 / window_s
        return float(row["tasks"]) * per_hour, float(row["frames"]) * per_hour

    async def cost(self, batch_id: str) -> list[dict[str, Any]]:
        """Ledger sums per kind of activity."""
        async with connection(self.pool) as conn:
            return [dict(r) for r in await conn.fetch(q("cost_by_kind"), batch_id)]

    async def annotators(self, batch_id: str) -> list[dict[str, Any]]:
        """Per-user submissions, frames, active seconds and cost."""
        async with connection(self.pool) as conn:
            return [dict(r) for r in await conn.fetch(q("annotator_stats"), batch_id)]


def _require_task_frames(doc: LabelDocument, sequence_id: str, first: int, end: int) -> None:
    got = [f.frame_index for f in doc.frames]
    if got != list(range(first, end)):
        covered = f"{got[0]}..{got[-1]}" if got else "no frames"
        raise InvalidArgument([("prelabels.frames", (
            f"the task of sequence {sequence_id} at frame {first} spans frames {first}..{end - 1}"
            f", the pre-labels {covered}: cut pre-labels with the batch's segment plan"))])
