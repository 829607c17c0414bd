"""Run the app in a process of its own: ``python -m tests.support.server PORT``.

The configuration comes from the environment (``DISKRET_*``), as in production.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from service import create_app


def main() -> None:
    """Serve the app on 127.0.0.1 at the given port until killed."""
    port = int(sys.argv[1])
    server = make_server("127.0.0.1", port, create_app(), threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
