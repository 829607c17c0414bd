"""Business rules: plain functions over a SQLAlchemy session that know nothing of HTTP."""
