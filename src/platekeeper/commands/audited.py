"""Audit entries for administrative commands run at the command line.

Changes that fit one transaction (a camera, a key, an account) are written
with their entry by the services. Long jobs — master key rotation, a
retention run, provisioning a whole camera network — span many transactions,
so they write an entry before they start and one with the outcome: when the
first cannot be written the job does not run (the log fails closed), and a
job that dies midway leaves a start without an end, which an auditor sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from platekeeper.auth.trail import JsonScalar
from platekeeper.commands.context import fail
from platekeeper.commands.webstack import cli_actor, open_audit_log, open_database
from platekeeper.config import Settings


def record(
    settings: Settings,
    action: str,
    *,
    outcome: str = "ok",
    target: str | None = None,
    details: dict[str, JsonScalar] | None = None,
) -> None:
    """Append one entry by the operator at the command line; exit when it cannot be written."""
    db = open_database(settings)
    try:
        with db.write() as session:
            open_audit_log(settings).record(
                session, action, outcome=outcome, actor=cli_actor(), target=target, details=details
            )
    except (SQLAlchemyError, OSError, ValueError) as exc:
        what = "so nothing was done" if outcome == "started" else "after the work was done"
        fail(f"the audit log cannot be written ({type(exc).__name__}), {what}")
    finally:
        db.dispose()


@contextmanager
def audited_job(
    settings: Settings, action: str, *, target: str | None = None
) -> Iterator[dict[str, JsonScalar]]:
    """Record ``action`` as started, run the block, then record its outcome
    with the details the block put in the yielded dict."""
    record(settings, action, outcome="started", target=target)
    details: dict[str, JsonScalar] = {}
    try:
        yield details
    except BaseException as exc:
        # typer.Exit is how a command reports a refusal: that too is a failure.
        details["error"] = type(exc).__name__
        record(settings, action, outcome="failed", target=target, details=details)
        raise
    record(settings, action, target=target, details=details)
