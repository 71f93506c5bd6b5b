"""`make run` (dev/stack.py): the commands it starts and the demo variables it writes."""

import subprocess

from dev.stack import API_PORT, TEMPORAL_UI_PORT, demo_env, temporal_command, temporal_ui_command
from payinvoice.settings import Settings


def test_the_dev_server_ui_sits_behind_the_proxy_with_the_codec_endpoint() -> None:
    command = temporal_command(ui_port=45678)

    assert command[1:3] == ["server", "start-dev"]
    assert command[command.index("--ui-port") + 1] == "45678"
    assert command[command.index("--ui-codec-endpoint") + 1] == f"http://localhost:{API_PORT}/codec"
    proxy = temporal_ui_command()
    assert "dev.temporal_ui:from_environment" in proxy
    assert proxy[proxy.index("--port") + 1] == str(TEMPORAL_UI_PORT)


def test_demo_env_sets_the_variables_the_readme_uses_when_sourced() -> None:
    text = demo_env({"api_key": "pk_demo'x", "merchant_id": "m1", "buyer_id": "b1"})

    shown = subprocess.run(
        ["bash", "-c", 'source /dev/stdin; printf "%s|%s|%s" "$KEY" "$BUYER" "$API"'],
        input=text, capture_output=True, text=True, check=True,
    ).stdout

    assert shown == f"pk_demo'x|b1|http://localhost:{API_PORT}"


def test_the_codec_allows_the_ui_of_make_run_by_default() -> None:
    origins = Settings.model_fields["codec_cors_origins"].default.split(",")

    assert f"http://localhost:{TEMPORAL_UI_PORT}" in origins
