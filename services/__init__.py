"""Use cases between the adapters (API routes, CLI) and the workflows; free of HTTP.

Each takes typed input, reads and writes through the core's database package, drives the
workflows through `services.temporal`, and refuses with `Refusal(ErrorType, message)`.
"""
