"""Reports over a merchant's book, one module each (credit, aging, DSO), and their CSV output.

Each builds its numbers in SQL aggregates over the invoice read model; `api.routes.reports` serves
them as JSON or, with `Accept: text/csv`, as CSV.
"""
