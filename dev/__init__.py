"""Dev-only tooling the runtime never imports: the stack behind `make run`, the SMTP sink, ports."""
