"""`python -m cli`: the operator CLI (cli/main.py); installed as the `payinvoice` console script."""

import os
import sys

from cli.main import main

status = main()
sys.stdout.flush()
sys.stderr.flush()
# The Temporal SDK can abort in interpreter teardown after all work is done (sdk-python#300).
os._exit(status)
