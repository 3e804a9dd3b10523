"""`catalogue.source`: a URL, an SFTP path or the inbox, with its bounds and schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.feeds import UrlFeed, feed_label


def config(catalogue: dict[str, Any], **top: Any) -> TandemConfig:
    supplier = {"id": "acme", "name": "Acme", "catalogue": catalogue}
    return TandemConfig.model_validate({"suppliers": [supplier], **top})


def test_a_url_feed_with_its_schedule_and_bounds() -> None:
    source = {"type": "url", "url": "https://acme.example/stock.csv?key=s3cret"}
    catalogue = config({"source": source, "every": "15m", "fail_after": "2h"}).suppliers[0]
    settings = catalogue.catalogue
    assert isinstance(settings.source, UrlFeed)
    assert settings.every == timedelta(minutes=15) and settings.fail_after == timedelta(hours=2)
    assert settings.source.max_bytes > 0 and settings.source.max_seconds > 0
    # The query string may hold a key: messages never show it.
    assert feed_label(settings.source) == "https://acme.example/stock.csv?…"


@pytest.mark.parametrize(
    ("catalogue", "top", "says"),
    [
        (
            {"path": "a.csv", "source": {"type": "url", "url": "https://a.example/f.csv"}},
            {},
            "not both",
        ),
        ({"source": {"type": "url", "url": "ftp://a.example/f.csv"}}, {}, "not a web address"),
        ({"source": {"type": "url", "url": "https://u:p@a.example/f.csv"}}, {}, "credentials"),
        ({"source": {"type": "inbox"}}, {}, "inbox: required"),
        ({"source": {"type": "sftp", "host": "h", "username": "u"}}, {}, "path"),
    ],
)
def test_a_wrong_feed_source_is_refused_naming_the_key(
    catalogue: dict[str, Any], top: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        config(catalogue, **top)
