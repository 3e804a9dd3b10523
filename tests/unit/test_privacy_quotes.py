"""Finding a person's values in free text: whole values, any case, inside JSON, weak values
only where asked, and thousands of people at once."""

from __future__ import annotations

from tandem.connector.services.privacy_quotes import ERASED, Quotes


def test_strong_values_are_erased_whole_and_in_any_case() -> None:
    quotes = Quotes(["Ann Lee", "ann@example.net"], ["Leeds"])
    text = "Parcel for ANN LEE (ann@example.net), Leeds; Annual report; Ann Leeward"
    assert quotes.erase(text, weak=False) == (
        f"Parcel for {ERASED} ({ERASED}), Leeds; Annual report; Ann Leeward"
    )
    assert quotes.erase(text, weak=True).count(ERASED) == 3


def test_json_is_walked_and_keeps_its_shape() -> None:
    quotes = Quotes(["Zoë Brontë"])
    value = {"to": ["Zoë Brontë", 3], "note": {"text": "call zoë brontë"}, "n": None}
    assert quotes.erase(value, weak=False) == {
        "to": [ERASED, 3],
        "note": {"text": f"call {ERASED}"},
        "n": None,
    }
    assert quotes.quoted([value]) and not quotes.quoted(["nothing here", None])


def test_short_values_are_not_looked_for() -> None:
    quotes = Quotes(["Al", " ", None, 12], ["N1"])
    assert not quotes
    assert quotes.erase("Al paid 12 in N1", weak=True) == "Al paid 12 in N1"


def test_many_people_at_once() -> None:
    names = [f"Customer Number{i}" for i in range(20_000)]
    quotes = Quotes(names)
    text = "shipped to customer number19999 and Customer Number7, not Customer Number200000"
    assert quotes.erase(text, weak=False) == (
        f"shipped to {ERASED} and {ERASED}, not Customer Number200000"
    )
