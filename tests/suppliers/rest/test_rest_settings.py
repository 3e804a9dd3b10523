"""A REST profile's `response_fields` and `status_map` are checked when the configuration is
read: a misspelt field or a status Tandem does not know is a problem with its file and line,
not a value silently never read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.connector.configuration import load_config
from tandem.connector.configuration.transports import RestTransport
from tandem.connector.errors import ConfigError

PROFILE = """\
suppliers:
  - id: print
    name: Print Partner
    mode: drop_ship
    transport:
      type: rest
      base_url: https://api.print.example
      create: {path: /orders}
      lookup: {method: GET, path: "/orders/@{{ po.number }}"}
      response_fields:
        order_id: result.id
        found: result.id
        status: result.status
        tracking_numbers: result.shipments.tracking_number
      status_map:
        pending: acknowledged
        fulfilled: shipped
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "tandem.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return caught.value.lines()


def test_a_profile_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(PROFILE)
    transport = load_config(path, env={}).suppliers[0].transport
    assert isinstance(transport, RestTransport)
    assert transport.response_fields.found == "result.id"
    assert transport.response_fields.tracking_numbers == "result.shipments.tracking_number"
    assert transport.response_fields.carrier is None  # not read
    assert transport.status_map == {"pending": "acknowledged", "fulfilled": "shipped"}


def test_a_misspelt_response_field_is_named_with_its_line(tmp_path: Path) -> None:
    text = PROFILE.replace("tracking_numbers:", "tracking_number:")
    [line] = problems(tmp_path, text)
    where = f"{tmp_path / 'tandem.yaml'}:14: suppliers[0].transport.response_fields"
    assert line.startswith(f"{where}.tracking_number: unknown key")


def test_the_old_name_found_when_is_not_taken_silently(tmp_path: Path) -> None:
    [line] = problems(tmp_path, PROFILE.replace("found:", "found_when:"))
    assert ":12: suppliers[0].transport.response_fields.found_when: unknown key" in line


def test_a_status_tandem_does_not_know_is_named_with_its_line(tmp_path: Path) -> None:
    [line] = problems(tmp_path, PROFILE.replace("fulfilled: shipped", "fulfilled: shiped"))
    assert line.startswith(
        f"{tmp_path / 'tandem.yaml'}:17: suppliers[0].transport.status_map.fulfilled: Input"
        " should be 'acknowledged', 'rejected', 'shipped' or 'cancelled' (got 'shiped')"
    )


def test_without_response_fields_the_id_and_status_are_read_at_the_top(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(PROFILE.split("      response_fields:", maxsplit=1)[0])
    transport = load_config(path, env={}).suppliers[0].transport
    assert isinstance(transport, RestTransport)
    assert (transport.response_fields.order_id, transport.response_fields.status) == (
        "id",
        "status",
    )
