"""Staff identity and access: accounts, two-factor sign-in, API keys, actors and the audit trail.

Rules like those of ``service.booking``: plain functions over a SQLAlchemy
session that know nothing of HTTP. The citizen's domain may use them (an
``Actor``'s reach, an audit record); they never use the citizen's domain.
"""
