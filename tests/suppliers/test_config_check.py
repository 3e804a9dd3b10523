"""`tandem config check` builds every supplier's channel, so settings no PO could be sent with
(a CSV column that does not exist, a template that does not compile, an SFTP file name with an
unknown placeholder) show before anything runs, each naming the supplier and the setting."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tandem.connector.cli.app import app

SETUP = """\
database_url: sqlite:///tandem.db
smtp:
  host: 127.0.0.1
  port: 2525
  from: po@shop.example
suppliers:
  - id: acme
    name: Acme
    transport:
      type: email
      to: orders@acme.example
      csv_columns: [po_number, skew, quantity]
  - id: bloom
    name: Bloom
    transport:
      type: email
      to: orders@bloom.example
      templates:
        html: bloom.html.j2
  - id: north
    name: Northwind
    transport:
      type: sftp
      host: sftp.north.example
      username: tandem
      file_name: "{number}-{date}.csv"
  - id: west
    name: Westway
    transport:
      type: email
      to: orders@west.example
"""


def check(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["config", "check", "--config", str(folder / "tandem.yaml")])
    return result.exit_code, result.output


def test_config_check_names_each_supplier_whose_channel_cannot_be_built(tmp_path: Path) -> None:
    (tmp_path / "tandem.yaml").write_text(SETUP)
    (tmp_path / "bloom.html.j2").write_text("<p>{{ po.number }</p>\n")

    code, output = check(tmp_path)

    assert code == 2
    where = f"{tmp_path / 'tandem.yaml'}: supplier"
    assert f"{where} acme: transport.csv_columns: unknown CSV column 'skew'" in output
    assert f"{where} bloom: transport.templates: {tmp_path / 'bloom.html.j2'}:1:" in output
    assert f"{where} north: transport.file_name: '{{number}}-{{date}}.csv' may only use" in output
    assert "west" not in output  # its settings are fine
    assert "3 problem(s)" in output
    assert "configuration is valid" not in output


def test_config_check_passes_once_the_settings_are_fixed(tmp_path: Path) -> None:
    fixed = SETUP.replace("skew", "sku").replace("{date}", "{kind}")
    (tmp_path / "tandem.yaml").write_text(fixed)
    (tmp_path / "bloom.html.j2").write_text("<p>{{ po.number }}</p>\n")

    code, output = check(tmp_path)

    assert code == 0, output
    assert "configuration is valid" in output
