"""Help right now, on every citizen page: the help box's lines and the quick exit.

The numbers and addresses are configuration (``service.config``), so an
operator can follow a line that moves; the words around them are the pages'
own, in the citizen's language.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def help_context() -> dict[str, Any]:
    """Return what the help box and the quick-exit button of ``base.html`` show."""
    config = current_app.config
    return {
        "quick_exit_url": config["QUICK_EXIT_URL"],
        "emergency_phone": config["HELP_EMERGENCY_PHONE"],
        "suicide_line": config["HELP_SUICIDE_LINE"],
        "drugs_line": config["HELP_DRUGS_LINE"],
    }
