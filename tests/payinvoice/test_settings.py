"""The settings object: production refuses to start without its secrets."""

import pytest
from pydantic import ValidationError

from payinvoice.settings import Settings

ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@pytest.fixture(autouse=True)
def no_payinvoice_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYINVOICE_ADMIN_KEY", "PAYINVOICE_ENCRYPTION_KEY", "PAYINVOICE_REQUIRE_SECRETS"):
        monkeypatch.delenv(name, raising=False)


def test_without_required_secrets_the_settings_name_both_missing_ones() -> None:
    both = "PAYINVOICE_ADMIN_KEY and PAYINVOICE_ENCRYPTION_KEY must be set"
    with pytest.raises(ValidationError, match=both):
        Settings(require_secrets=True)


def test_an_empty_secret_in_the_environment_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYINVOICE_REQUIRE_SECRETS", "true")
    monkeypatch.setenv("PAYINVOICE_ADMIN_KEY", "")
    monkeypatch.setenv("PAYINVOICE_ENCRYPTION_KEY", ENCRYPTION_KEY)
    with pytest.raises(ValidationError, match="PAYINVOICE_ADMIN_KEY must be set"):
        Settings()


def test_with_both_secrets_required_settings_load() -> None:
    settings = Settings(require_secrets=True, admin_key="admin", encryption_key=ENCRYPTION_KEY)
    assert settings.admin_key is not None and settings.admin_key.get_secret_value() == "admin"


def test_local_development_runs_without_secrets() -> None:
    assert Settings().admin_key is None
