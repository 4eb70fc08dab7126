"""After a run: compare what clients were told with what the database holds."""

from __future__ import annotations

from typing import Any

import asyncpg

# A lease is valid from its grant until it ended (submit/release) or expired, whichever first.
_VALID = "tstzrange({0}.granted_at, LEAST(COALESCE({0}.ended_at, 'infinity'), {0}.expires_at))"

LOST = """
SELECT count(*) FROM unnest($1::text[], $2::text[], $3::text[]) AS a(u, k, sid)
LEFT JOIN submissions s ON s.user_id = a.u AND s.idempotency_key = a.k
WHERE s.submission_id IS NULL OR (a.sid <> '' AND s.submission_id::text <> a.sid)
"""
DUP_KEYS = """
SELECT count(*) FROM (SELECT 1 FROM submissions GROUP BY user_id, idempotency_key
                      HAVING count(*) > 1) d
"""
DUP_LEASES = """
SELECT count(*) FROM (SELECT 1 FROM submissions GROUP BY lease_id HAVING count(*) > 1) d
"""
# Two accepted transitions out of the same (task, stage, base document version).
DUP_TRANSITIONS = """
SELECT count(*) FROM (
    SELECT 1 FROM submissions
    GROUP BY task_id, stage, document_version - (document IS NOT NULL)::int
    HAVING count(*) > 1) d
"""
OVERLAPS = f"""
SELECT count(*), COALESCE(max(EXTRACT(EPOCH FROM (
           upper({_VALID.format('a')} * {_VALID.format('b')})
         - lower({_VALID.format('a')} * {_VALID.format('b')}))) * 1000), 0)
FROM leases a JOIN leases b ON a.task_id = b.task_id AND a.fencing_token < b.fencing_token
WHERE {_VALID.format('a')} && {_VALID.format('b')}
"""
OVERLAP_EXAMPLES = f"""
SELECT a.task_id, a.state AS a_state, b.state AS b_state, a.stage AS a_stage,
       b.stage AS b_stage, a.fencing_token AS a_token, b.fencing_token AS b_token,
       round(EXTRACT(EPOCH FROM (LEAST(COALESCE(a.ended_at, 'infinity'), a.expires_at)
                                 - b.granted_at)) * 1000, 3) AS overlap_ms
FROM leases a JOIN leases b ON a.task_id = b.task_id AND a.fencing_token < b.fencing_token
WHERE {_VALID.format('a')} && {_VALID.format('b')}
ORDER BY overlap_ms DESC LIMIT 5
"""
TOKEN_ANOMALIES = """
SELECT count(*) FROM leases a JOIN leases b
  ON a.task_id = b.task_id AND a.lease_id <> b.lease_id
WHERE a.fencing_token = b.fencing_token
   OR (a.fencing_token < b.fencing_token AND a.granted_at > b.granted_at)
"""
FINAL = """
SELECT (SELECT count(*) FROM leases WHERE state = 'active') AS active_leases,
       (SELECT count(*) FROM leases) AS leases,
       (SELECT count(*) FROM submissions) AS submissions,
       (SELECT jsonb_object_agg(stage, n) FROM (
            SELECT stage, count(*) AS n FROM tasks GROUP BY stage) s) AS stages
"""


async def audit(database_url: str, acked: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Lost, duplicated and overlapping counts, plus the final state of leases and tasks."""
    conn = await asyncpg.connect(database_url)
    try:
        users, keys, sids = (list(x) for x in zip(*acked, strict=True)) if acked else ([], [], [])
        lost = await conn.fetchval(LOST, users, keys, sids)
        dups = {name: int(await conn.fetchval(sql)) for name, sql in
                (("keys", DUP_KEYS), ("leases", DUP_LEASES), ("transitions", DUP_TRANSITIONS))}
        overlaps, overlap_ms = await conn.fetchrow(OVERLAPS)
        examples = [{k: (float(v) if k == "overlap_ms" else v) for k, v in dict(r).items()}
                    for r in await conn.fetch(OVERLAP_EXAMPLES)]
        tokens = await conn.fetchval(TOKEN_ANOMALIES)
        final = await conn.fetchrow(FINAL)
    finally:
        await conn.close()
    return {
        "acknowledged": len(acked), "lost": int(lost),
        "duplicated": sum(dups.values()), "duplicated_by": dups,
        "overlapping_leases": int(overlaps), "overlap_max_ms": round(float(overlap_ms), 3),
        "overlap_examples": examples,
        "fencing_token_anomalies": int(tokens),
        "final": {"active_leases": int(final["active_leases"]), "leases": int(final["leases"]),
                  "submissions": int(final["submissions"]),
                  "task_stages": _json(final["stages"])},
    }


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value
