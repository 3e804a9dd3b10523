"""The portal's forms: each posted form read into one supplier answer, or a message saying
what to fix. Nothing here touches the database; every field is bounded and checked.

Every form carries a nonce and a CSRF token: the token signs the nonce with the link it was
served under (and when), so a form works only from its own PO's page, for a day; the nonce
is the answer's key, so the same form posted twice records once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import date

from itsdangerous import BadSignature, TimestampSigner

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal.view import PortalPO
from tandem.connector.services.shipments import ShippedLine
from tandem.connector.services.supplier_answers import Action, Confirm, Refuse, Ship

FORM_SALT = "tandem.portal.form.v1"
FORM_MAX_AGE = 24 * 3600  # seconds a page's forms stay good
MAX_TRACKING = 20
MAX_TEXT = 500
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{2,63}$")
SPLIT = re.compile(r"[\s,;]+")

Form = Mapping[str, object]


class FormProblem(Exception):
    """What the supplier must fix; shown on the page as is."""


def _signer(config: TandemConfig) -> TimestampSigner:
    secret = config.portal.secret
    assert secret is not None  # the portal is mounted only with a secret
    return TimestampSigner(secret.get_secret_value(), salt=FORM_SALT, digest_method=hashlib.sha256)


def new_form(config: TandemConfig, scope: str) -> tuple[str, str]:
    """(nonce, csrf) for one form on a page served under the link `scope`."""
    nonce = secrets.token_urlsafe(18)
    signed = _signer(config).sign(f"{scope}.{nonce}").decode()
    return nonce, signed.split(".", 2)[2]  # the time and signature after "scope.nonce."


def form_nonce(config: TandemConfig, scope: str, form: Form) -> str | None:
    """The form's nonce when its CSRF token is good for this link, else None."""
    nonce, csrf = text(form, "nonce", 64), text(form, "csrf", 200)
    if not NONCE.match(nonce) or csrf.count(".") != 1:
        return None
    try:
        _signer(config).unsign(f"{scope}.{nonce}.{csrf}", max_age=FORM_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    return nonce


def text(form: Form, name: str, limit: int = MAX_TEXT) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _line_field(form: Form, prefix: str, line_id: int) -> str:
    return text(form, f"{prefix}{line_id}", 40)


def confirm(po: PortalPO, form: Form) -> Confirm:
    dates: dict[str, date] = {}
    for line in po.lines:
        given = _line_field(form, "ship_date_", line.id)
        if not given:
            continue
        try:
            dates[line.sku] = date.fromisoformat(given)
        except ValueError:
            raise FormProblem(
                f"{line.supplier_sku}: {given!r} is not a date (YYYY-MM-DD)"
            ) from None
    return Confirm(dates)


def refuse(po: PortalPO, form: Form) -> Refuse:
    reason = text(form, "reason")
    if not reason:
        raise FormProblem("Say why (for example: out of stock, discontinued).")
    if text(form, "scope", 10) == "po":
        return Refuse((), reason)
    ids = {str(line.id): line for line in po.lines if line.open}
    chosen = [ids[v].sku for v in _values(form, "line") if v in ids]
    if not chosen:
        raise FormProblem("Tick the lines you cannot supply, or refuse the whole PO.")
    return Refuse(tuple(dict.fromkeys(chosen)), reason)


def ship(po: PortalPO, form: Form) -> Ship:
    lines: list[ShippedLine] = []
    for line in po.lines:
        given = _line_field(form, "quantity_", line.id)
        if not given or given == "0":
            continue
        if not given.isdigit():
            raise FormProblem(f"{line.supplier_sku}: {given!r} is not a whole number")
        quantity = int(given)
        if quantity > line.open:
            raise FormProblem(
                f"{line.supplier_sku}: {quantity} shipped, but only {line.open} still to ship"
            )
        lines.append(ShippedLine(line.sku, quantity))
    if not lines:
        raise FormProblem("Enter how many of each line you shipped.")
    numbers = [n for n in SPLIT.split(text(form, "tracking", 2000)) if n]
    if not numbers:
        raise FormProblem("Enter at least one tracking number.")
    if len(numbers) > MAX_TRACKING:
        raise FormProblem(f"At most {MAX_TRACKING} tracking numbers per shipment.")
    bad = [n for n in numbers if not TRACKING.match(n)]
    if bad:
        raise FormProblem(f"{bad[0][:40]!r} does not look like a tracking number.")
    urls = [u for u in text(form, "tracking_urls", 4000).split() if u]
    if len(urls) > MAX_TRACKING:
        raise FormProblem(f"At most {MAX_TRACKING} tracking links per shipment.")
    for url in urls:
        if not url.startswith(("https://", "http://")) or len(url) > 500:
            raise FormProblem(f"{url[:60]!r} is not a web address (https://…).")
    carrier = text(form, "carrier", 100) or None
    return Ship(tuple(dict.fromkeys(numbers)), tuple(lines), carrier, tuple(urls))


def _values(form: Form, name: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    values = getlist(name) if getlist else [form.get(name)]
    return [v for v in values if isinstance(v, str)][:500]


def read_action(kind: str, po: PortalPO, form: Form) -> Action:
    """The answer a posted form gives (`kind`: confirm, refuse, ship)."""
    if kind == "confirm":
        return confirm(po, form)
    if kind == "refuse":
        return refuse(po, form)
    return ship(po, form)
