"""Where the aging report's time goes in PostgreSQL: its own statement, caught as SQLAlchemy sends
it, run again under EXPLAIN (ANALYZE, BUFFERS), boiled down to a few figures for the JSON."""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def summarise(explained: dict[str, Any]) -> dict[str, Any]:
    root = explained["Plan"]
    scans = [
        n for n in _nodes(root)
        if n.get("Relation Name") == "invoices" or "invoices" in n.get("Index Name", "")
    ]  # fmt: skip
    jit = explained.get("JIT", {}).get("Timing", {}).get("Total")
    return {
        "execution_ms": round(explained["Execution Time"], 1),
        "planning_ms": round(explained["Planning Time"], 1),
        "jit_ms": round(jit, 1) if jit is not None else None,
        "invoices_scans": [f"{n['Node Type']} on {n.get('Index Name', 'invoices')}" for n in scans],
        "workers_launched": max((n.get("Workers Launched", 0) for n in _nodes(root)), default=0),
        "shared_hit_blocks": root.get("Shared Hit Blocks"),
        "shared_read_blocks": root.get("Shared Read Blocks"),
        "temp_written_blocks": root.get("Temp Written Blocks"),
    }


async def explain(engine: AsyncEngine, run_report: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the statement that `run_report` sends which reads the invoices."""
    caught: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "FROM invoices" in statement:
            caught.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", catch)
    try:
        await run_report()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", catch)
    if not caught:
        return {"error": "no statement on invoices was seen"}
    statement, parameters = caught[0]
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", tuple(parameters)
        )
        plan = result.scalar_one()
    return summarise(plan[0])
