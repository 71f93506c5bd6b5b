"""The buyer's language: English and German, for emails, invoice PDFs and the hosted page.

One mechanism: templates mark their text with Jinja2's i18n extension (`{% trans %}…{% endtrans %}`
and `_("…")`), the English text being the message id. `templates/i18n/<locale>.json` maps each
English message to its translation (English needs no file). Numbers, money and dates are
formatted with babel's CLDR data for the locale. A message missing from a catalogue falls back to
English (a test keeps the German catalogue complete).
"""

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal

from payinvoice.domain.identifiers import grouped_iban
from payinvoice.domain.money import exponent, from_minor

LOCALES = ("en", "de")
DEFAULT_LOCALE = "en"
CATALOGUES_DIR = Path(__file__).resolve().parent.parent / "templates" / "i18n"

# Money: English keeps payinvoice's "1,234.50 EUR" (the ISO code after the amount, as the API
# prints it); German follows CLDR ("1.234,50 €"). The decimals are always the currency's
# exponent from payinvoice.domain.money, never babel's own idea of it.
_MONEY_PATTERNS = {"en": "#,##0{decimals} ¤¤", "de": "#,##0{decimals}\xa0¤"}


def checked_locale(value: str | None) -> str:
    """A supported locale; anything else (an old row, None) is the default."""
    return value if value in LOCALES else DEFAULT_LOCALE


def format_money(minor: int, currency: str, locale: str) -> str:
    places = exponent(currency)
    pattern = _MONEY_PATTERNS[checked_locale(locale)].format(decimals="." + "0" * places if places else "")
    return format_currency(
        Decimal(from_minor(minor, currency)), currency, format=pattern, locale=checked_locale(locale),
        currency_digits=False,
    )


def format_day(iso: str | None, locale: str) -> str:
    """A calendar date: ISO 8601 in English (unambiguous across borders), CLDR's medium form in
    German ("09.02.2025")."""
    if not iso:
        return ""
    if checked_locale(locale) == "en":
        return iso
    return babel_format_date(date.fromisoformat(iso), "medium", locale=checked_locale(locale))


def format_number(value: str | Decimal, locale: str) -> str:
    """A quantity or rate exactly as given ("1.5" → "1,5" in German), no rounding."""
    return format_decimal(Decimal(value), locale=checked_locale(locale), decimal_quantization=False)


def format_rate(value: str, locale: str) -> str:
    """A tax rate: "19%" in English, "19 %" in German."""
    sep = "" if checked_locale(locale) == "en" else "\xa0"
    return f"{format_number(value, locale)}{sep}%"


def format_country(code: str, locale: str) -> str:
    """A country's name in the buyer's language ("DE": "Germany", "Deutschland"); the code itself
    where CLDR has no name for it."""
    return Locale.parse(checked_locale(locale)).territories.get(code.upper(), code)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """English message → translation; empty for English."""
    path = CATALOGUES_DIR / f"{checked_locale(locale)}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def translations(locale: str) -> dict[str, Any]:
    """The callables the i18n extension's `{% trans %}` and `_()` look up, for one locale; passed
    in each render's context so one environment serves every language."""
    messages = catalogue(locale)

    def gettext(message: str) -> str:
        return messages.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext, "locale": checked_locale(locale)}


def install_filters(env: Any) -> None:
    """Locale-aware filters: `money(currency, locale)`, `day(locale)`, `number(locale)`, `rate(locale)`;
    and `iban`, an IBAN grouped in fours for people to read."""
    env.filters["lmoney"] = format_money
    env.filters["day"] = format_day
    env.filters["number"] = format_number
    env.filters["rate"] = format_rate
    env.filters["iban"] = grouped_iban
