"""The container stack in docker-compose.yml validates and runs every part of the service."""

import os
import shutil
import subprocess
from pathlib import Path

from tests.utils.parts import require

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = {"postgres", "temporal", "temporal-ui", "mailcatcher", "migrate", "api", "worker", "mailer"}


def _docker_compose(*args: str) -> subprocess.CompletedProcess[str]:
    installed = shutil.which("docker-compose") is not None
    require("docker-compose", installed, "the docker-compose binary is not installed")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAYINVOICE_")}
    return subprocess.run(
        ["docker-compose", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_file_is_valid() -> None:
    result = _docker_compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_the_stack_requires_both_secrets_at_start() -> None:
    config = _docker_compose("config")
    assert config.returncode == 0, config.stderr
    assert 'PAYINVOICE_REQUIRE_SECRETS: "true"' in config.stdout


def test_compose_runs_every_part_of_the_stack() -> None:
    try:
        import yaml
    except ImportError:
        result = _docker_compose("config", "--services")
        assert result.returncode == 0, result.stderr
        services = set(result.stdout.split())
    else:
        services = set(yaml.safe_load(COMPOSE_FILE.read_text())["services"])
    assert services >= SERVICES


def test_the_mailer_takes_the_emails_and_the_worker_everything_else() -> None:
    config = _docker_compose("config")
    assert config.returncode == 0, config.stderr
    assert "PAYINVOICE_WORKER_QUEUES: invoices\n" in config.stdout
    assert "PAYINVOICE_WORKER_QUEUES: mail,notices\n" in config.stdout
