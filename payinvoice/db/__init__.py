"""The read model and credit ledger: SQLAlchemy 2 models and the async session factory."""
