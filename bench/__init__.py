"""The payinvoice benchmark: `make bench` (full) and `make bench-quick`. See bench/README.md."""
