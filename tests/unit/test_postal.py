"""Addresses are laid out as the destination country writes them (Google's address data)."""

from __future__ import annotations

from dataclasses import replace

from tandem.connector.channels import Party
from tandem.connector.postal import postal_lines


def test_japan_in_japanese_goes_from_the_postal_code_down_to_the_name():
    tokyo = Party(
        name="山田太郎",
        company="株式会社ヤマダ",
        address1="道玄坂1-2-3",
        address2="渋谷マークシティ5F",
        city="渋谷区",
        province="Tokyo",
        province_code="JP-13",
        zip="150-0043",
        country="Japan",
        country_code="JP",
    )
    assert postal_lines(tokyo) == [
        "〒150-0043",
        "東京都",  # the prefecture in Japanese, though Shopify gave it as "Tokyo"
        "渋谷区道玄坂1-2-3",  # the ward has no line of its own: it leads the street
        "渋谷マークシティ5F",
        "株式会社ヤマダ",
        "山田太郎",
        "JAPAN",
    ]


def test_japan_in_latin_letters_is_written_the_western_way():
    tokyo = Party(
        name="Taro Yamada",
        address1="1-2-3 Dogenzaka",
        city="Shibuya-ku",
        province="Tokyo",
        zip="150-0043",
        country_code="JP",
    )
    assert postal_lines(tokyo) == [
        "Taro Yamada",
        "1-2-3 Dogenzaka, Shibuya-ku, TOKYO",
        "150-0043",
        "JAPAN",
    ]


def test_germany_puts_the_postal_code_before_the_town_and_leaves_out_the_state():
    berlin = Party(
        name="Main warehouse",
        company="Tandem Shop",
        address1="Lagerstraße 7",
        city="Berlin",
        province="Berlin",
        zip="10115",
        country="Germany",
        country_code="DE",
        phone="+49 30 1234567",
    )
    assert postal_lines(berlin) == [
        "Main warehouse",
        "Tandem Shop",
        "Lagerstraße 7",
        "10115 BERLIN",
        "GERMANY",
    ]


def test_the_us_writes_town_state_code_and_zip_on_one_line():
    brooklyn = Party(
        name="Jane Doe",
        address1="12 Main St",
        address2="Apt 4",
        city="Brooklyn",
        province="New York",
        province_code="NY",
        zip="11201",
        country_code="US",
    )
    assert postal_lines(brooklyn) == [
        "Jane Doe",
        "12 Main St",
        "Apt 4",
        "BROOKLYN, NY 11201",
        "UNITED STATES",
    ]


def test_the_uk_gives_post_town_and_postcode_a_line_each():
    london = Party(name="Ada Lovelace", address1="10 Downing Street", city="London", zip="SW1A 2AA")
    assert postal_lines(replace(london, country_code="GB")) == [
        "Ada Lovelace",
        "10 Downing Street",
        "LONDON",
        "SW1A 2AA",
        "UNITED KINGDOM",
    ]


def test_without_a_known_country_code_every_part_is_kept_as_given():
    somewhere = Party(name="Zoë", address1="1 Rue", city="Paris", zip="75001", country="France")
    assert postal_lines(somewhere) == ["Zoë", "1 Rue", "75001 Paris", "France"]
    unknown = Party(name="Zoë", city="Paris", country_code="XX", country="Narnia")
    assert postal_lines(unknown) == ["Zoë", "Paris", "Narnia"]
