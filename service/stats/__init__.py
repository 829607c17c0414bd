"""Published statistics: tallies cut into views, and the cell suppression that keeps them safe."""
