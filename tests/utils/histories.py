"""Recording workflow histories for the replay tests.

`PAYINVOICE_RECORD_HISTORIES=1 make test` (or pytest on tests/workflows) rewrites
tests/replay/histories/ from the lifecycle tests; otherwise recording is a no-op.
"""

import json
import os
from pathlib import Path

from temporalio.client import Client

HISTORIES = Path(__file__).resolve().parent.parent / "replay" / "histories"


async def record_history(client: Client, workflow_id: str, name: str) -> None:
    if not os.environ.get("PAYINVOICE_RECORD_HISTORIES"):
        return
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    HISTORIES.mkdir(parents=True, exist_ok=True)
    document = {"workflow_id": workflow_id, "history": json.loads(history.to_json())}
    (HISTORIES / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
