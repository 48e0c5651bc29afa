"""Alerts that arrive once and are never lost (README: "Alerts").

Which alerts a run raises is decided in SQL (`sql/alerting/alert_candidates.sql`, against
`alert_log`, so a rerun raises nothing new). Raised alerts are stored as pending in the same
transaction that records the run; delivery then POSTs each pending alert (or hands it to a Prefect
notification block), retrying with backoff, and marks it delivered. Whatever cannot be delivered
stays pending for the next run. Nothing here can fail a run.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb

from flows.warehouse import transaction
from flows.workspace import Settings

PAYLOAD_COLUMNS = (
    "event",
    "la_code",
    "provider_code",
    "site_code",
    "month",
    "week_ending",
    "as_of",
    "planned_days",
    "mtd_days",
    "mtd_planned_days",
    "projected_days",
    "text",
    "dedup_key",
)


def should_alert(con: duckdb.DuckDBPyConnection, as_of: date, asked: bool | None) -> bool:
    """Alerts move forward in time: a run for a date before the latest alerting run stays quiet unless asked.

    Only runs dated up to today count: one run with a mistaken future as-of cannot silence the alerts.
    """
    if asked is not None:
        return asked
    latest = con.execute("select max(as_of) from alert_runs where as_of <= ?", [date.today()]).fetchone()[0]
    return latest is None or as_of >= latest


def store_new_alerts(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict]:
    """Store this run's new alerts as pending; returns their payloads."""
    with transaction(con):
        con.execute("insert into alert_runs values (?, ?)", [as_of, _now()])
        first_id = con.execute("select coalesce(max(alert_id), 0) + 1 from alert_log").fetchone()[0]
        con.execute(
            f"""
            insert into alert_log
            select {first_id} - 1 + row_number() over (order by event, dedup_key), dedup_key, event, la_code,
                   provider_code, site_code, month, week_ending, ?, planned_days, mtd_days, mtd_planned_days,
                   projected_days, text, 'pending', 0, null, null
            from alert_candidates""",
            [as_of],
        )
        return _payloads(con, "alert_id >= ?", [first_id])


def _payloads(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[dict]:
    cursor = con.execute(
        f"select alert_id, {', '.join(PAYLOAD_COLUMNS)} from alert_log where {where} order by alert_id", params
    )
    names = [d[0] for d in cursor.description]
    return [{name: _json_value(value) for name, value in zip(names, row)} for row in cursor.fetchall()]


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def deliver_pending(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """Try every pending alert, oldest first; returns counts and the last error."""
    pending = _payloads(con, "delivery_state = 'pending'", [])
    outcome = {"delivered": 0, "pending": len(pending), "error": ""}
    destination = settings.alert_notification_block or settings.alert_webhook_url
    if not pending or not destination:
        if pending:
            outcome["error"] = "no alert_webhook_url or alert_notification_block is set"
        return outcome
    send = (
        _block_sender(settings.alert_notification_block)
        if settings.alert_notification_block
        else _webhook_sender(settings.alert_webhook_url, settings.alert_timeout_seconds)
    )
    for alert in pending:
        alert_id = alert.pop("alert_id")
        attempts, error = _with_retries(send, alert, settings.alert_retries, settings.alert_backoff_seconds)
        if error is None:
            con.execute(
                "update alert_log set delivery_state = 'delivered', attempts = attempts + ?, "
                "delivered_at = ?, last_error = null where alert_id = ?",
                [attempts, _now(), alert_id],
            )
            outcome["delivered"] += 1
            outcome["pending"] -= 1
        else:
            con.execute(
                "update alert_log set attempts = attempts + ?, last_error = ? where alert_id = ?",
                [attempts, error, alert_id],
            )
            outcome["error"] = error
            break  # the destination is not answering: leave the rest pending for the next run
    return outcome


def _with_retries(send, alert: dict, tries: int, backoff: float) -> tuple[int, str | None]:
    error = None
    for attempt in range(1, max(tries, 1) + 1):
        try:
            send(alert)
            return attempt, None
        except Exception as exc:  # any failure to deliver is retried, then left pending
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempt < tries:
                time.sleep(backoff * 2 ** (attempt - 1))
    return max(tries, 1), error


def _webhook_sender(url: str, timeout: float):
    import httpx

    def send(alert: dict) -> None:
        response = httpx.post(
            url, content=json.dumps(alert), timeout=timeout, headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()

    return send


def _block_sender(block_name: str):
    from prefect.blocks.core import Block

    block = Block.load(block_name)

    def send(alert: dict) -> None:
        block.notify(body=alert["text"], subject=f"DToC {alert['event']}")

    return send


def emit_events(alerts: list[dict]) -> None:
    """The same alerts as Prefect events (dtoc.trajectory.breach, ...) for Automations to route."""
    from prefect.events import emit_event

    for alert in alerts:
        subject = alert["site_code"] or alert["provider_code"]
        emit_event(
            event=f"dtoc.{alert['event']}",
            resource={
                "prefect.resource.id": f"dtoc.{alert['la_code']}.{subject}",
                "prefect.resource.name": subject,
                "dtoc.la_code": alert["la_code"],
            },
            payload={key: value for key, value in alert.items() if key != "alert_id"},
        )
