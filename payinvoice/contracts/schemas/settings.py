"""A merchant's settings: credit policy, external credit check, reminder ladder, late interest."""

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from payinvoice.contracts.schemas.base import OPTIONAL_CURRENCIES, Strict, http_url

# Credit policy


class GrowthIO(Strict):
    after_on_time_payments: int = Field(ge=1, le=1000)
    step: str = Field(max_length=40)
    cap: str = Field(max_length=40)


class ReductionIO(Strict):
    on_days_late_over: int = Field(ge=0, le=3650)
    factor: str = Field(max_length=12, examples=["0.5"])


class CreditPolicyIn(Strict):
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, json_schema_extra=OPTIONAL_CURRENCIES
    )
    new_buyer_limit: str = Field(max_length=40)
    max_limit: str = Field(max_length=40)
    auto_approve_up_to: str | None = Field(default=None, max_length=40)
    max_total_exposure: str | None = Field(default=None, max_length=40)
    growth: GrowthIO | None = None
    reduction: ReductionIO | None = None
    suspend_after_days_overdue: int | None = Field(default=None, ge=1, le=3650)
    review_days: int = Field(default=2, ge=1, le=365)


class CreditPolicyOut(BaseModel):
    version: int
    currency: str
    new_buyer_limit: str
    max_limit: str
    auto_approve_up_to: str | None
    max_total_exposure: str | None
    growth: GrowthIO | None
    reduction: ReductionIO | None
    suspend_after_days_overdue: int | None
    review_days: int


# External credit check


class CreditCheckSettingsIn(Strict):
    url: str = Field(max_length=2000, examples=["https://scoring.example.com/check"])
    secret: str = Field(min_length=16, max_length=200, description="Signs each request; never shown again.")
    timeout_ms: int = Field(ge=50, le=30000)
    cache_days: int = Field(ge=0, le=3650)
    on_error: Literal["approve_within_limit", "review", "decline"]

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class CreditCheckSettingsOut(BaseModel):
    url: str
    timeout_ms: int
    cache_days: int
    on_error: str
    secret_set: bool


# Reminder ladders (the rules are payinvoice.domain.dunning's; these only bound request sizes)


class LateFeeIO(Strict):
    fixed: str | None = Field(default=None, max_length=40, examples=["10.00"])
    percent: str | None = Field(default=None, max_length=40, examples=["1.5"])
    cap: str | None = Field(default=None, max_length=40, examples=["50.00"])


class DunningStageIO(Strict):
    name: str = Field(max_length=100, examples=["overdue_1"])
    offset_days: int = Field(strict=True, description="Days relative to the due date; negative is before.")
    subject: str | None = Field(default=None, max_length=2000, description="Jinja2 template.")
    body: str | None = Field(default=None, max_length=20000, description="Jinja2 template, plain text.")
    late_fee: LateFeeIO | None = Field(default=None, description="Charged as a fee line at the stage.")
    suspend_credit: bool = False
    mark_uncollectible: bool = False


class DunningLadderIO(Strict):
    stages: list[DunningStageIO] = Field(max_length=100)


class DunningLadderOut(DunningLadderIO):
    version: int = Field(description="0 is the default ladder.")

class LateInterestIn(Strict):
    mode: Literal["off", "fixed", "statutory_eu"]
    annual_rate: str | None = Field(
        default=None, max_length=12, description='fixed: percent a year, e.g. "9.5"'
    )
    reference_rate: str | None = Field(
        default=None, max_length=12, description="statutory_eu: the central bank's reference rate, percent"
    )
    margin_points: str | None = Field(default=None, max_length=12, description='statutory_eu: e.g. "8"')
    compensation: str | None = Field(
        default=None, max_length=24, description='statutory_eu: once per late invoice; EUR default "40.00"'
    )


class LateInterestOut(BaseModel):
    mode: Literal["off", "fixed", "statutory_eu"]
    annual_rate: str
    reference_rate: str | None = None
    margin_points: str | None = None
    compensation: str
