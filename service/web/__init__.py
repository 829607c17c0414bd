"""The citizen's web pages: book anonymously, in Danish or English, with JavaScript off.

Server-rendered with Jinja, no third-party resource, every form behind a
CSRF token, and the same business rules as the JSON API (``service.booking``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_babel import Babel, get_locale

from service.http.csrf import csrf
from service.http.errors import register_pages
from service.web import book, course, feed, next_steps, pages
from service.web.common import LANGUAGE_COOKIE, LANGUAGES
from service.web.help import help_context


def _locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else "da"


def init_app(app: Flask) -> None:
    """Serve the pages at /, with sessions, translations and CSRF protection."""
    app.config.update(
        SESSION_COOKIE_NAME="__Host-session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        # Idle sessions lapse: the signed cookie carries its time, refreshed on every page.
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
        SESSION_REFRESH_EACH_REQUEST=True,
        # The pages send no Referer (Referrer-Policy: no-referrer), so the
        # token and the SameSite=Strict cookie carry the CSRF defence.
        WTF_CSRF_SSL_STRICT=False,
        # Checked by the pages' own blueprints (below); the JSON API takes
        # bearer headers, never cookies, and needs no CSRF token.
        WTF_CSRF_CHECK_DEFAULT=False,
        BABEL_DEFAULT_LOCALE="da",
        BABEL_DEFAULT_TIMEZONE="Europe/Copenhagen",
        BABEL_TRANSLATION_DIRECTORIES="web/translations",
    )
    Babel(app, locale_selector=_locale)
    app.context_processor(lambda: {"get_locale": get_locale})
    app.context_processor(help_context)
    csrf.init_app(app)
    next_steps.init_app(app)
    for blueprint in (pages.blp, book.blp, course.blp, feed.blp):
        app.register_blueprint(blueprint)
    register_pages(app, "/", pages.error_page)
