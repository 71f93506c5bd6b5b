"""The operator CLI: `payinvoice <command>` (the console script) or `python -m cli`."""
