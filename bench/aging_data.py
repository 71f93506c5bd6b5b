"""A book of invoices for the aging report, generated in bulk inside PostgreSQL.

The merchants come from the API (so their keys are whatever the API makes them); two
`INSERT ... SELECT generate_series(...)` statements write the buyers and the invoices, shaped as
the read model holds them, into a database the migrations built; then VACUUM ANALYZE leaves the
tables as autovacuum would. `setseed` makes every run generate the same book.

The distributions: invoices issued over the last `days` days, evenly, and written in that order;
terms of 14, 30, 30 or 60 days; totals from 50 to 20,000 (log-uniform); buyers in EUR (80%),
USD (12%), GBP (5%) or CHF (3%).
3% declined and 0.5% waiting for review (neither issued), 2% void; of the rest, a quarter of the
invoices not yet due are paid early, and past-due ones are paid with a probability growing from
80% to 95% over their first 90 days late. Unpaid ones more than 90 days late are uncollectible
half the time, the others overdue. 15% of the unpaid ones are partly paid (20-80%).
"""

import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Date, Float, Integer, String, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@dataclass(frozen=True)
class Book:
    """The shape of the generated data. Merchant 0, the bench merchant, owns about `share` of the
    invoices, about `invoices_per_buyer` per buyer; the others share the rest. Rows are written in
    the order of their issue date, as a live table fills."""

    invoices: int
    as_of: date
    merchant_ids: tuple[str, ...]  # the bench merchant first
    share: float = 0.5
    invoices_per_buyer: int = 100
    other_buyers_per_merchant: int = 500
    days: int = 200
    seed: float = 0.42

    @property
    def bench_invoices(self) -> int:
        return int(self.invoices * self.share)

    @property
    def bench_buyers(self) -> int:
        return max(1, self.bench_invoices // self.invoices_per_buyer)

    @property
    def other_buyers(self) -> int:
        return self.other_buyers_per_merchant * (len(self.merchant_ids) - 1)

    def params(self) -> dict[str, Any]:
        return {
            "merchant_ids": list(self.merchant_ids), "merchants": len(self.merchant_ids),
            "bench_buyers": self.bench_buyers, "other_buyers": self.other_buyers,
            "invoices": self.invoices, "share": self.share, "days": self.days, "as_of": self.as_of,
        }  # fmt: skip


_MERCHANT_ID = "(:merchant_ids)[1 + ({n})]"
_BUYER_ID = "md5('aging-buyer-' || ({b}))::uuid::text"
# Buyer b's merchant and currency, the same in the buyers and the invoices statements.
_BUYER_MERCHANT = "CASE WHEN {b} < :bench_buyers THEN 0 ELSE 1 + ({b} - :bench_buyers) % (:merchants - 1) END"
_BUYER_CURRENCY = (
    "CASE WHEN {b} % 100 < 80 THEN 'EUR' WHEN {b} % 100 < 92 THEN 'USD' "
    "WHEN {b} % 100 < 97 THEN 'GBP' ELSE 'CHF' END"
)

BUYERS = f"""
INSERT INTO buyers (id, merchant_id, external_id, name, email, currency, credit_limit, exposure,
                    payment_terms_days, status, limit_source, review_all, created_at)
SELECT {_BUYER_ID.format(b="b")},
       {_MERCHANT_ID.format(n=_BUYER_MERCHANT.format(b="b"))},
       'cust-' || lpad(b::text, 7, '0'), 'Buyer ' || b || ' GmbH', 'ap' || b || '@buyer.example',
       {_BUYER_CURRENCY.format(b="b")}, 5000000 + (b % 20) * 1000000, 0,
       30, 'active', 'manual', false, now() - interval '1 year'
FROM generate_series(0, :bench_buyers + :other_buyers - 1) AS b
"""

# Innermost: the random draws, once per row (a subquery with volatile functions is not flattened).
# Then the dates and amounts, then the status, then what the status implies; OFFSET 0 keeps each
# layer a layer (flattened, every mention of a column would compute it again). The stored view
# (`document`, about 800 bytes as a real one) is put together as text: json_build_object costs
# several times as much, and the JSON column only checks that the text parses.
INVOICES = f"""
INSERT INTO invoices (id, merchant_id, buyer_id, order_id, currency, status, number, total, amount_due,
                      due_at, issue_date, due_date, final_notice_sent, suspends_buyer, document, version,
                      created_at, updated_at)
SELECT id, merchant_id, buyer_id, order_id, currency, status, number, total, amount_due,
       due_date::timestamp AT TIME ZONE 'UTC', issue_date, due_date, status = 'uncollectible', false,
       CAST('{{"invoice_id":"' || id || '","merchant_id":"' || merchant_id || '","buyer_id":"' || buyer_id
         || '","order_id":"' || order_id || '","currency":"' || currency
         || '","lines":[{{"description":"Pallet of widgets","quantity":"1","unit_price":' || net
         || ',"tax_rate":"19","net":' || net || ',"tax":' || (total - net) || ',"total":' || total
         || '}}],"subtotal":' || net || ',"tax_total":' || (total - net) || ',"total":' || total
         || ',"payment_terms_days":' || terms || ',"purchase_order":null,"created_at":"' || created_text
         || '","status":"' || status || '","decline_reason":' || CASE WHEN status = 'declined'
           THEN '"credit_limit_exceeded"' ELSE 'null' END
         || ',"number":' || coalesce('"' || number || '"', 'null')
         || ',"payment_reference":' || coalesce('"RF' || number || '"', 'null')
         || ',"issued_at":' || CASE WHEN number IS NULL THEN 'null' ELSE '"' || created_text || '"' END
         || ',"issue_date":' || coalesce('"' || issue_date || '"', 'null')
         || ',"due_at":' || coalesce('"' || due_date || 'T00:00:00+00:00"', 'null')
         || ',"due_date":' || coalesce('"' || due_date || '"', 'null')
         || ',"amount_paid":' || (total - amount_due) || ',"payments":[],"reminders":[],"next_reminder":null'
         || ',"email_failures":[],"final_notice_sent":' || (status = 'uncollectible')
         || ',"void_reason":null,"decision":{{"outcome":"' || CASE WHEN status = 'declined' THEN 'declined'
           ELSE 'approved' END || '","reason":null,"rule":"within_limit","limit":5000000,"exposure":0,'
         || '"amount":' || total || ',"policy_version":1,"evaluated_at":"' || created_text
         || '"}},"review":null,"suspends_buyer":false,"version":3}}' AS json),
       3, created_at, now()
FROM (
  SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00' AS created_text
  FROM (
    SELECT id, merchant_id, buyer_id, order_id, currency, status, terms, total, total * 100 / 119 AS net,
           CASE WHEN issued THEN number END AS number,
           CASE WHEN issued THEN issue_date END AS issue_date,
           CASE WHEN issued THEN due_date END AS due_date,
           (issue_date::timestamp + make_interval(secs => r_time * 86400)) AT TIME ZONE 'UTC' AS created_at,
           CASE WHEN status IN ('open', 'overdue', 'uncollectible') AND r_partial < 0.15
                  THEN total - greatest(1, floor(total * (0.2 + 0.6 * r_part)))::bigint
                WHEN status IN ('open', 'overdue', 'uncollectible', 'pending_review') THEN total
                ELSE 0 END AS amount_due
    FROM (
      SELECT *, status NOT IN ('declined', 'pending_review') AS issued
      FROM (
        SELECT *,
               CASE WHEN r_status < 0.03 THEN 'declined'
                    WHEN r_status < 0.035 THEN 'pending_review'
                    WHEN r_status < 0.055 THEN 'void'
                    WHEN late <= 0 THEN CASE WHEN r_paid < 0.25 THEN 'paid' ELSE 'open' END
                    WHEN r_paid < 0.80 + 0.15 * least(late, 90) / 90.0 THEN 'paid'
                    WHEN late > 90 AND r_bad < 0.5 THEN 'uncollectible'
                    ELSE 'overdue' END AS status
        FROM (
          SELECT *, CAST(:as_of AS date) - due_date AS late
          FROM (
            SELECT md5('aging-invoice-' || g)::uuid::text AS id,
                   {_MERCHANT_ID.format(n=_BUYER_MERCHANT.format(b="b"))} AS merchant_id,
                   {_BUYER_ID.format(b="b")} AS buyer_id, 'order-' || g AS order_id,
                   'INV-' || lpad(g::text, 8, '0') AS number, {_BUYER_CURRENCY.format(b="b")} AS currency,
                   CAST(:as_of AS date) - :days + 1 + day AS issue_date,
                   CAST(:as_of AS date) - :days + 1 + day + terms AS due_date, terms,
                   round(5000 * exp(r_total * ln(400)))::bigint AS total,
                   r_status, r_paid, r_bad, r_partial, r_part, r_time
            FROM (
              SELECT g, CAST(CAST(g AS bigint) * :days / :invoices AS int) AS day,
                     CASE WHEN random() < :share THEN floor(random() * :bench_buyers)::int
                          ELSE :bench_buyers + floor(random() * :other_buyers)::int END AS b,
                     (ARRAY[14, 30, 30, 60])[1 + floor(random() * 4)::int] AS terms,
                     random() AS r_total, random() AS r_status, random() AS r_paid,
                     random() AS r_bad, random() AS r_partial, random() AS r_part, random() AS r_time
              FROM generate_series(0, :invoices - 1) AS g
              OFFSET 0
            ) AS draws
            OFFSET 0
          ) AS drawn
          OFFSET 0
        ) AS dated
        OFFSET 0
      ) AS decided
      OFFSET 0
    ) AS issued
    OFFSET 0
  ) AS booked
  OFFSET 0
) AS book
"""
# `text()` takes ":name" for a parameter: escape the colons of the JSON and of the times (a colon
# after a quote, a letter or a digit; no parameter here follows one).
INVOICES = re.sub(r'(?<=["\w]):(?=\w)', r"\:", INVOICES)


def _typed(statement: str, params: dict[str, Any]) -> TextClause:
    """The statement with typed parameters, so that asyncpg is told each one's type."""
    kinds = {int: Integer(), float: Float(), date: Date(), str: String(), list: ARRAY(String())}
    clause = text(statement)
    used = [name for name in params if f":{name}" in statement]
    binds = [bindparam(name, params[name], type_=kinds[type(params[name])]) for name in used]
    return clause.bindparams(*binds)


async def _without_keys(conn: AsyncConnection, table: str) -> list[str]:
    """Drop the table's indexes and key constraints; the statements that put them back as the
    migrations made them. Building an index once over sorted rows beats updating it per row, and
    adding a foreign key back checks every row in one join instead of one lookup per row."""
    constraints = (await conn.execute(text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype = 'f', conname"
    ), {"table": table})).all()  # fmt: skip
    indexes = (await conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :table "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"
    ), {"table": table})).all()  # fmt: skip
    for name, _ in reversed(constraints):
        await conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    return [
        *(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints),
        *(definition for _, definition in indexes),
    ]


async def _fill(conn: AsyncConnection, book: Book) -> None:
    await conn.execute(text("SET synchronous_commit = off"))  # a throwaway database
    await conn.execute(text("SET maintenance_work_mem = '256MB'"))
    await conn.execute(text("SELECT setseed(:seed)"), {"seed": book.seed})
    await conn.execute(_typed(BUYERS, book.params()))
    restore = await _without_keys(conn, "invoices")
    # A throwaway table need not survive a crash: without WAL the load writes half as much.
    # Reads of an unlogged table are the same as of a logged one.
    await conn.execute(text("ALTER TABLE invoices SET UNLOGGED"))
    await conn.execute(_typed(INVOICES, book.params()))
    for statement in restore:
        await conn.execute(text(statement))


async def generate(engine: AsyncEngine, book: Book) -> dict[str, float]:
    """Write the book and VACUUM ANALYZE it; how long each part took."""
    began = time.perf_counter()
    async with engine.begin() as conn:
        await _fill(conn, book)
    inserted = time.perf_counter()
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("merchants", "buyers", "invoices"):
            await conn.execute(text(f"VACUUM ANALYZE {table}"))
    done = time.perf_counter()
    return {"insert_s": round(inserted - began, 1), "vacuum_analyze_s": round(done - inserted, 1)}
