"""Published statistics: tallies cut into views, cell suppression, one store (``store``)."""
