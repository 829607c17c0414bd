"""Configuration: every ``DISKRET_`` variable, mapped explicitly, with its coercer.

Each variable may instead be given as ``DISKRET_<NAME>_FILE``, the path of a
file that holds the value (container secrets). Production is the default
environment, and secrets have no defaults: a missing secret stops the start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crypto
from service.core.roles import Role

PREFIX = "DISKRET_"


class ConfigError(RuntimeError):
    """Raised when the configuration is missing a required value or holds a bad one."""


def _text(value: str) -> str:
    return value.strip()


def _integer(value: str) -> int:
    return int(value.strip())


def _one_of(*choices: str) -> Callable[[str], str]:
    def coerce(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in choices:
            raise ValueError("expected one of " + ", ".join(choices))
        return lowered

    return coerce


def _roles(value: str) -> str:
    """Return a space-separated list of staff roles, refusing a name that is not a role."""
    known = sorted(role.value for role in Role)
    unknown = [name for name in value.split() if name not in known]
    if unknown:
        raise ValueError(
            f"unknown role {', '.join(map(repr, unknown))}; the roles are {', '.join(known)}"
        )
    return " ".join(value.split())


def _minutes(value: str) -> str:
    """Return a space-separated list of whole minutes (none at all is allowed)."""
    numbers = value.split()
    if not all(each.isdigit() for each in numbers):
        raise ValueError("expected whole minutes separated by spaces, such as 1440 60")
    return " ".join(numbers)


def _https_url(value: str) -> str:
    """Return an https address; anything else would leave the citizen somewhere unsafe."""
    address = value.strip()
    if not re.fullmatch(r"https://[^\s/?#]+(?:[/?#]\S*)?", address):
        raise ValueError("expected an https:// address")
    return address


@dataclass(frozen=True)
class HelpLine:
    """A line for help right now, as the help box on the citizen's pages shows it."""

    name: str
    phone: str = ""
    url: str = ""

    @property
    def phone_uri(self) -> str:
        """Return the ``tel:`` address that dials the phone number."""
        return "tel:" + "".join(self.phone.split())

    @property
    def shown_url(self) -> str:
        """Return the address as people say it: no scheme, no "www.", no trailing slash."""
        return self.url.removeprefix("https://").removeprefix("www.").rstrip("/")


def _phone(value: str) -> str:
    """Return a phone number of digits and spaces, with a leading + allowed."""
    number = " ".join(value.split())
    if not re.fullmatch(r"\+?[0-9][0-9 ]*", number):
        raise ValueError("expected a phone number of digits and spaces")
    return number


def _help_line(value: str) -> HelpLine | None:
    """Return a help line from "name | phone | https address" (phone or address may be empty).

    An empty value hides the line.
    """
    if not value.strip():
        return None
    parts = [part.strip() for part in value.split("|")]
    if len(parts) != 3 or not parts[0] or not (parts[1] or parts[2]):
        raise ValueError('expected "name | phone | https address", with a phone or an address')
    name, phone, url = parts
    return HelpLine(name, _phone(phone) if phone else "", _https_url(url) if url else "")


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


@dataclass(frozen=True)
class Variable:
    """One configuration variable: its Flask config key, its coercer and its default."""

    key: str
    coerce: Callable[[str], Any]
    default: Any = None
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("ENVIRONMENT", _text, "production"),
    Variable("DATABASE_URL", _text),
    Variable("REDIS_URL", _text),
    Variable("SECRET_KEY", _text, secret=True),
    # Versioned HMAC keys for token and API-key digests: "1:<hex>,2:<hex>"; the
    # highest version is current, older ones still verify (key rotation).
    Variable("TOKEN_KEY", _text, secret=True),
    # PostgreSQL waits at most this long for a row lock before the request
    # fails with a retryable "busy" error instead of queueing without bound.
    Variable("LOCK_TIMEOUT_MS", _integer, 3000),
    # The session number up to which a citizen may still join a running group.
    Variable("LATE_JOIN_UNTIL_SESSION", _integer, 3),
    Variable("PROXY_COUNT", _integer, 0),
    Variable("RATELIMIT_DEFAULT", _text, "300 per minute"),
    Variable("RATELIMIT_COURSE_CREATE", _text, "20 per hour"),
    Variable("RATELIMIT_TOKEN", _text, "60 per minute"),
    # Per token (a keyed digest of it): one code cannot be hammered from many clients.
    Variable("RATELIMIT_TOKEN_DIGEST", _text, "60 per minute"),
    Variable("RATELIMIT_API_KEY", _text, "600 per minute"),
    # Per client over every route that takes an API key: each made-up key is a
    # fresh key to the per-key limit, and each costs a lookup.
    Variable("RATELIMIT_API_CLIENT", _text, "600 per minute"),
    Variable("IDEMPOTENCY_HOURS", _integer, 24),
    # An anonymous caller's answer (a new code) is replayed for a short while
    # only: long enough for a retry after a lost connection, no longer.
    Variable("IDEMPOTENCY_ANONYMOUS_MINUTES", _integer, 15),
    # Where the pages point a citizen who wants ordinary treatment (with its
    # 14-day guarantee) instead; each municipality may link its own page.
    Variable("ORDINARY_TREATMENT_URL", _text, "https://www.borger.dk/"),
    # Where the quick-exit button on every citizen page leaves for: a neutral
    # site that reveals nothing if someone looks at the screen.
    Variable("QUICK_EXIT_URL", _https_url, "https://www.dr.dk/"),
    # The help box on the citizen's pages: the emergency number, then the
    # national lines as "name | phone | https address"; an empty line is not shown.
    # Livslinien is the national anonymous line for suicide prevention;
    # Netstof.dk the national anonymous counselling about drugs online,
    # funded by Sundhedsstyrelsen.
    Variable("HELP_EMERGENCY_PHONE", _phone, "112"),
    Variable(
        "HELP_SUICIDE_LINE",
        _help_line,
        HelpLine("Livslinien", "70 201 201", "https://www.livslinien.dk/"),
    ),
    Variable("HELP_DRUGS_LINE", _help_line, HelpLine("Netstof.dk", "", "https://netstof.dk/")),
    # argon2id parameters for staff passwords: "staff" (OWASP's minimum, the
    # default) or "test" (far too cheap to protect anything; test suites only).
    Variable("PASSWORD_PROFILE", _one_of("staff", "test"), "staff"),
    # argon2id computations at once per process: each holds the profile's
    # memory (19 MiB for "staff"), so a flood of sign-ins costs a worker at
    # most this many times that (docs/performance.md, "The bound"). Keep it
    # below the request threads of a worker (`diskret serve --threads`), so
    # that a flood of sign-ins leaves a thread for the citizens.
    Variable("PASSWORD_CONCURRENCY", _integer, 1),
    # The same bound over all the workers of one `diskret serve`: however the
    # sign-ins fall on them, no more than this many hash at once, and the
    # other workers stay free for the citizens.
    Variable("PASSWORD_SERVER_CONCURRENCY", _integer, 1),
    # How long a sign-in waits for one of those slots before it is answered
    # 503 "busy": a waiting sign-in holds a request thread that citizens need,
    # so by default it does not wait at all.
    Variable("PASSWORD_WAIT_MS", _integer, 0),
    # The nice value (0-19, Linux) of the threads that compute those hashes:
    # under load every other request of the worker gets the CPU first. At the
    # lowest priority a sign-in flood kept the citizens' p99 within 1.45-1.80
    # times its unloaded value when the flood's own client was niced too, and
    # within 1.68-3.70 times when it was not (docs/performance.md, "Staff sign-in").
    Variable("PASSWORD_NICE", _integer, 19),
    # Retention (SPEC P5): days after a course ended, after an unused request,
    # and for the audit trail; `diskret purge` deletes what is older.
    Variable("PURGE_AFTER_DAYS", _integer, 90),
    Variable("PURGE_UNSTARTED_DAYS", _integer, 14),
    Variable("AUDIT_KEEP_DAYS", _integer, 365),
    Variable("RATELIMIT_LOGIN_ACCOUNT", _text, "5 per minute"),
    Variable("RATELIMIT_LOGIN_CLIENT", _text, "20 per minute;100 per hour"),
    # Wrong second-factor codes per account. Whoever gets this far knows the
    # password, so a daily cap matters more than a short window: NIST SP
    # 800-63B section 5.2.2 allows at most 100 consecutive failures.
    Variable("RATELIMIT_LOGIN_CODE", _text, "5 per minute;20 per day"),
    # Roles that must sign in with TOTP (space-separated). Administrators and
    # centre admins reach many people's data, so they need it by default.
    Variable("STAFF_TOTP_ROLES", _roles, "admin centre_admin"),
    # How long a one-time setup code opens its account (OWASP ASVS 5.0 6.4.1).
    Variable("STAFF_SETUP_CODE_HOURS", _integer, 72),
    # The largest request body in bytes; a longer one is answered 413 unread.
    # The largest request of the API or a form is a few KiB.
    Variable("MAX_CONTENT_LENGTH", _integer, 64 * 1024),
    # Reminders in every calendar event, in minutes before it: the day before
    # and an hour before. The device keeps them; no message is ever sent.
    # Empty: no reminders.
    Variable("CALENDAR_REMINDER_MINUTES", _minutes, "1440 60"),
    Variable("SQL_ECHO", _boolean, False),
    # One JSON object per log line for a collector; "text" for a person (diskret demo).
    Variable("LOG_FORMAT", _one_of("json", "text"), "json"),
)

REQUIRED_SECRETS = ("SECRET_KEY", "TOKEN_KEY", "DATABASE_URL")


def _raw(name: str, environ: Mapping[str, str]) -> str | None:
    direct = environ.get(PREFIX + name)
    from_file = environ.get(PREFIX + name + "_FILE")
    if direct is not None and from_file is not None:
        raise ConfigError(f"set {PREFIX}{name} or {PREFIX}{name}_FILE, not both")
    if from_file is not None:
        try:
            return Path(from_file).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{PREFIX}{name}_FILE cannot be read: {error.strerror}") from None
    return direct


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every known ``DISKRET_`` variable into a dict of Flask config keys."""
    source = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for variable in VARIABLES:
        raw = _raw(variable.key, source)
        if raw is None:
            config[variable.key] = variable.default
            continue
        try:
            config[variable.key] = variable.coerce(raw)
        except ValueError as error:
            # The value itself is never echoed: it may be a secret.
            raise ConfigError(f"{PREFIX}{variable.key} is not valid: {error}") from None
    return config


def check_complete(config: Mapping[str, Any]) -> None:
    """Refuse to run without the secrets and the database that production needs."""
    missing = [PREFIX + key for key in REQUIRED_SECRETS if not config.get(key)]
    if missing:
        raise ConfigError("missing configuration: " + ", ".join(missing))
    _check_strength(config)


# Shortest secrets accepted at start: 256 bits of key, and as many characters
# of Flask's secret key (which signs every cookie).
SHORTEST_SECRET = 32


def _check_strength(config: Mapping[str, Any]) -> None:
    # The reason names the setting, never the value.
    why = crypto.secret_weakness(str(config["SECRET_KEY"]).encode(), shortest=SHORTEST_SECRET)
    if why is not None:
        raise ConfigError(f"{PREFIX}SECRET_KEY is too weak: {why}")
    try:
        weak = crypto.Keyring.parse(str(config["TOKEN_KEY"])).weaknesses(shortest=SHORTEST_SECRET)
    except crypto.KeyringError as error:
        raise ConfigError(f"{PREFIX}TOKEN_KEY is not valid: {error}") from None
    if weak:
        version, reason = min(weak.items())
        raise ConfigError(f"{PREFIX}TOKEN_KEY version {version} is too weak: {reason}")
