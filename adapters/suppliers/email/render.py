"""The words of a PO email: subject, HTML and plain-text bodies rendered with Jinja2.

The packaged templates (`templates/po.html.j2`, `templates/po.txt.j2`) cover every document
kind; a supplier may replace either with its own file and the subject with a Jinja2 string.
Every template sees the same context (see `context`). Undefined names are errors, not blanks:
a PO with a silently empty quantity is worse than one that is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from tandem.adapters.suppliers.email.errors import EmailSetupError
from tandem.adapters.suppliers.money import money
from tandem.connector.channels import PurchaseOrderDocument
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import EmailTemplates

DEFAULT_SUBJECTS = {
    "order": "Purchase order {{ po.number }} from {{ buyer_name }}",
    "change": "Change to purchase order {{ po.number }} (revision {{ po.revision }})",
    "cancel": "Cancellation of purchase order {{ po.number }}",
    "test": "Test message from Tandem — please ignore",
}
TEST_MARK = "[TEST] "


def context(
    document: PurchaseOrderDocument,
    supplier: SupplierConfig,
    *,
    attachments: list[str],
    reply_to: str | None,
) -> dict[str, Any]:
    """What every template (subject, HTML, text) can use."""
    blind = document.blind_ship  # no prices anywhere on the paperwork
    return {
        "po": document,
        "kind": document.kind,
        "supplier": supplier,
        "buyer": document.buyer,
        "buyer_name": document.buyer.company or document.buyer.name,
        "ship_to": document.ship_to,
        "drop_ship": document.mode == "drop_ship",
        "lines": document.lines,
        "changes": document.changes,
        "total": None if blind else document.total,
        "currency": document.currency,
        "blind_ship": blind,
        "order_names": document.order_names,
        "attachments": attachments,
        "reply_to": reply_to,
        # The supplier portal's page for this PO, when the supplier is on the portal.
        "portal_url": document.portal_url,
    }


@dataclass(frozen=True)
class _Template:
    where: str  # the file (or "templates.subject") named in error messages
    template: jinja2.Template

    def render(self, values: dict[str, Any]) -> str:
        try:
            return self.template.render(values)
        except jinja2.TemplateError as exc:
            raise EmailSetupError(f"{self.where}: cannot render: {exc}") from None


def _environment(*, html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tandem.adapters.suppliers.email", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    return env


def _compile(env: jinja2.Environment, source: str, where: str) -> _Template:
    try:
        return _Template(where, env.from_string(source))
    except jinja2.TemplateSyntaxError as exc:
        raise EmailSetupError(f"{where}:{exc.lineno}: {exc.message}") from None


def _load(env: jinja2.Environment, override: Path | None, default: str) -> _Template:
    if override is None:
        try:
            return _Template(default, env.get_template(default))
        except jinja2.TemplateError as exc:  # a broken installation, not a user's mistake
            raise EmailSetupError(f"packaged template {default}: {exc}") from None
    try:
        source = override.read_text(encoding="utf-8")
    except OSError as exc:
        raise EmailSetupError(f"cannot read template {override}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EmailSetupError(f"template {override} is not UTF-8 text") from None
    return _compile(env, source, str(override))


class Renderer:
    """The compiled templates of one supplier, made with its channel: a template that is
    missing or does not compile shows in `tandem config check`, and stops that supplier's
    POs with an exception rather than failing each send."""

    def __init__(self, templates: EmailTemplates) -> None:
        html_env = _environment(html=True)
        text_env = _environment(html=False)
        self._html = _load(html_env, templates.html, "po.html.j2")
        self._text = _load(text_env, templates.text, "po.txt.j2")
        self._subject_override = (
            _compile(text_env, templates.subject, "templates.subject")
            if templates.subject
            else None
        )
        self._subjects = {
            kind: _compile(text_env, source, "default subject")
            for kind, source in DEFAULT_SUBJECTS.items()
        }

    def subject(self, values: dict[str, Any]) -> str:
        kind = values["kind"]
        template = self._subject_override or self._subjects[kind]
        subject = " ".join(template.render(values).split())  # one line, whatever the template
        if kind == "test" and self._subject_override and "test" not in subject.lower():
            subject = TEST_MARK + subject
        return subject

    def html(self, values: dict[str, Any]) -> str:
        return self._html.render(values)

    def text(self, values: dict[str, Any]) -> str:
        return self._text.render(values)
