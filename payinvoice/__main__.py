"""`python -m payinvoice`: the operator CLI (payinvoice/cli.py)."""

import os
import sys

from payinvoice.cli import main

status = main()
sys.stdout.flush()
sys.stderr.flush()
# The Temporal SDK can abort in interpreter teardown after all work is done (sdk-python#300).
os._exit(status)
