"""The citizen's domain: pathway, reservations, schedule, directory and catalogue.

Business rules as plain functions over a SQLAlchemy session that know
nothing of HTTP. Staff identity and access live in ``service.identity``;
the clock, the domain errors and the text checks in ``service.core``.
"""
