"""The floor beneath the three HTTP edges (``service.api``, ``service.web``, ``service.staff``).

What the edges share lives here: the transaction boundary, the error
envelope and the page error dispatch, the keyring accessor, CSRF
protection, server-side sessions, the credential parser and the presenters
used by both the API and the pages. It imports the rules and the models,
never an edge; each edge imports it, never another edge.
"""
