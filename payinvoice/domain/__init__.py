"""Pure domain rules: money, invoice totals, terms, reminder ladders, references. No I/O, no clock."""
