"""Bank statements: reading ISO 20022 camt.053 files (`camt053.py`) and matching their credit
entries to invoices (`matching.py`). Pure: no I/O, no clock; the API does the storing."""
