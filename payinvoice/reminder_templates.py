"""Merchants' own reminder subjects and bodies: small Jinja2 templates, checked once when saved.

A template sees only `TEMPLATE_VARIABLES`, all plain strings, and may use a small part of the
language: `{{ variable }}`, a few filters, `{% if %}` with comparisons, `~`. Anything else (attribute
or item access, calls, loops, assignments, includes, arithmetic) is refused when the ladder is
saved, so a saved template can neither reach Python internals nor take long or much memory to
render. It renders in an `ImmutableSandboxedEnvironment` with `StrictUndefined` as a second fence,
with autoescape for the HTML part. A body is plain text: in the HTML part the merchant's own text
is escaped too, and blank lines separate paragraphs.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from payinvoice.contracts import Fee, FeeKind, InvoiceInput, InvoiceView, new_invoice_view
from payinvoice.domain.dunning import LadderError, stage_label
from payinvoice.domain.lines import Line
from payinvoice.domain.money import from_minor
from payinvoice.domain.schedule import ReminderStage

TEMPLATE_VARIABLES: dict[str, str] = {
    "invoice_number": "the invoice number, e.g. INV-000042",
    "total": "the invoice total with its currency, e.g. 119.00 EUR",
    "amount_due": "what is still to pay (fees included, credit notes deducted), with its currency",
    "fees": "the fee lines charged so far (late fees, interest), one per line: "
    "'Late fee (overdue_1): 10.00 EUR'; empty when none",
    "fees_total": "the fees charged so far in all, with its currency, e.g. 10.00 EUR (0.00 EUR when none)",
    "stage_fee": "the late fee this stage charged, with its currency; empty when none",
    "currency": "the ISO 4217 code of the invoice's currency",
    "issue_date": "the issue date, YYYY-MM-DD",
    "due_date": "the due date, YYYY-MM-DD",
    "buyer_name": "the buyer's name",
    "merchant_name": "the merchant's name",
    "payment_reference": "the RF creditor reference to quote with the transfer",
    "pay_link": "where to pay: the service's public URL (PAYINVOICE_PUBLIC_URL)",
    "stage": "the name of the ladder stage",
}
ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "truncate", "default"})
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.Filter,
    nodes.If, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.CondExpr,
    nodes.Concat, nodes.Keyword,
)
_REFUSED: dict[type[nodes.Node], str] = {
    nodes.Getattr: "attribute access (.x) is not allowed",
    nodes.Getitem: "item access ([x]) is not allowed",
    nodes.Call: "calls are not allowed",
    nodes.For: "loops are not allowed",
    nodes.Scope: "{% with %} and {% autoescape %} blocks are not allowed",
    nodes.ScopedEvalContextModifier: "{% with %} and {% autoescape %} blocks are not allowed",
}


class TemplateProblem(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sandbox(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=autoescape)
    env.globals.clear()  # no range(), dict(), lipsum(), namespace()...
    env.filters = {name: env.filters[name] for name in ALLOWED_FILTERS}
    env.tests = {}
    return env


_TEXT = _sandbox(autoescape=False)
_HTML = _sandbox(autoescape=True)


def template_variables(
    invoice: InvoiceView, *, stage: str, buyer_name: str, merchant_name: str, pay_link: str
) -> dict[str, str]:
    """What a merchant's template sees; every value is a string."""
    money = lambda minor: f"{from_minor(minor, invoice.currency)} {invoice.currency}"  # noqa: E731
    charged_here = [fee.amount for fee in invoice.fees if fee.kind == FeeKind.LATE_FEE and fee.stage == stage]
    return {
        "invoice_number": invoice.number or "",
        "total": money(invoice.total),
        "amount_due": money(invoice.amount_due()),
        "fees": "\n".join(f"{fee.description}: {money(fee.amount)}" for fee in invoice.fees),
        "fees_total": money(sum(fee.amount for fee in invoice.fees)),
        "stage_fee": money(sum(charged_here)) if charged_here else "",
        "currency": invoice.currency,
        "issue_date": invoice.issue_date or "",
        "due_date": invoice.due_date or "",
        "buyer_name": buyer_name,
        "merchant_name": merchant_name,
        "payment_reference": invoice.payment_reference or "",
        "pay_link": pay_link,
        "stage": stage,
    }


def _sample_variables(stage: str) -> dict[str, str]:
    invoice = new_invoice_view(
        InvoiceInput(
            invoice_id="sample", merchant_id="sample", buyer_id="sample", order_id="SO-1001",
            currency="EUR", lines=[Line("Widget", "2", 5000, "19")], payment_terms_days=30,
            created_at=datetime(2026, 1, 5, tzinfo=UTC), request_id="sample",
        )
    )
    invoice.number, invoice.payment_reference = "INV-000042", "RF18INV000042"
    invoice.issue_date, invoice.due_date = "2026-01-05", "2026-02-04"
    late = datetime(2026, 2, 5, tzinfo=UTC)
    invoice.fees = [Fee(FeeKind.LATE_FEE, f"Late fee ({stage})", 1000, late, stage)]
    return template_variables(
        invoice, stage=stage, buyer_name="Acme AG", merchant_name="Widgets GmbH",
        pay_link="https://pay.example",
    )


def _refusal(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        return f"filter {node.name!r} is not allowed (allowed: {', '.join(sorted(ALLOWED_FILTERS))})"
    if isinstance(node, _ALLOWED_NODES):
        return None
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
        return "arithmetic is not allowed"
    return _REFUSED.get(type(node), f"{type(node).__name__.lower()} is not allowed")


@lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> Template:
    """Parse, refuse what the template language here does not allow, and compile."""
    try:
        return _checked_template(source, html)
    except RecursionError:  # Jinja's parser and compiler recurse on nesting
        raise TemplateProblem("is nested too deeply") from None


def _checked_template(source: str, html: bool) -> Template:
    env = _HTML if html else _TEXT
    try:
        tree = env.parse(source)
    except TemplateError as error:
        where = f" on line {error.lineno}" if isinstance(error, TemplateSyntaxError) else ""
        raise TemplateProblem(f"has a syntax error{where}: {error.message}") from None
    for node in [tree, *tree.find_all(nodes.Node)]:
        refusal = _refusal(node)
        if refusal:
            raise TemplateProblem(refusal)
    unknown = sorted(meta.find_undeclared_variables(tree) - TEMPLATE_VARIABLES.keys())
    if unknown:
        raise TemplateProblem(f"unknown variable {unknown[0]!r} (known: {', '.join(TEMPLATE_VARIABLES)})")
    if html:
        # The merchant's own text is escaped like the variables: the body is text, not HTML.
        for output in tree.find_all(nodes.Output):
            output.nodes = [
                nodes.Const(child.data) if isinstance(child, nodes.TemplateData) else child
                for child in output.nodes
            ]
    return env.from_string(tree)


def render_subject(source: str, variables: dict[str, str]) -> str:
    """One header line: whitespace (newlines included) collapses to single spaces."""
    return " ".join(_compile(source, html=False).render(variables).split())


def render_body_text(source: str, variables: dict[str, str]) -> str:
    return _compile(source, html=False).render(variables).strip()


def render_body_html(source: str, variables: dict[str, str]) -> list[Markup]:
    """The body's paragraphs as escaped HTML, line breaks as <br>."""
    # Everything in the rendered text is escaped, so cutting it at newlines keeps it safe.
    rendered = str(_compile(source, html=True).render(variables)).strip()
    paragraphs = [p.strip() for p in rendered.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return [Markup("<br>\n").join(Markup(line) for line in p.split("\n")) for p in paragraphs]


def check_template(source: str, stage: str) -> None:
    """Refuse a template that could fail or misbehave later: compile it and render it once,
    as text and as HTML, against a sample invoice."""
    variables = _sample_variables(stage)
    try:
        render_body_text(source, variables)
        render_body_html(source, variables)
    except TemplateProblem:
        raise
    except (TemplateError, TypeError, ValueError) as error:
        raise TemplateProblem(f"does not render: {error}") from None


def check_ladder_templates(ladder: Sequence[ReminderStage]) -> None:
    """Every stage's own subject and body, checked; the error names the stage and the field."""
    for index, stage in enumerate(ladder):
        for field, source in (("subject", stage.subject), ("body", stage.body)):
            if source is None:
                continue
            try:
                check_template(source, stage.name)
            except TemplateProblem as problem:
                raise LadderError(f"{stage_label(index, stage.name)}: {field} {problem.message}") from None
