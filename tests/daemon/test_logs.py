"""The daemon's log lines as a log collector reads them: one JSON object per line with time,
level, logger and event; the ids bound where work is done on them, also on lines that
libraries write meanwhile and in threads; customer data masked wherever it turns up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tandem.connector.daemon.logs import bound, customer_data, get_logger, mask

ADDRESS = {
    "name": "Zoë Łukasiewicz",
    "address1": "12 Rue de l’Église",
    "city": "Paris",
    "zip": "75001",
    "country_code": "FR",
}


def test_a_line_has_time_level_logger_event_and_the_bound_ids(lines: Any) -> None:
    log = get_logger("tandem.jobs")
    with bound(job="dispatch"), bound(po="PO-00012", supplier="acme", order=None):
        log.info("po sent", revision=1)
        logging.getLogger("tandem.adapters.suppliers.rest").info("POST %s -> %s", "/orders", 201)
    log.info("after")

    sent, library, after = lines()
    assert sent["event"] == "po sent" and sent["level"] == "info"
    assert sent["logger"] == "tandem.jobs"
    assert sent["timestamp"].endswith("Z")
    assert {k: sent[k] for k in ("job", "po", "supplier", "revision")} == {
        "job": "dispatch",
        "po": "PO-00012",
        "supplier": "acme",
        "revision": 1,
    }
    assert "order" not in sent  # an id not known is left out, not logged as null
    assert library["event"] == "POST /orders -> 201"
    assert (library["logger"], library["po"], library["job"]) == (
        "tandem.adapters.suppliers.rest",
        "PO-00012",
        "dispatch",
    )
    assert "po" not in after and "job" not in after  # the block ended


def test_ids_follow_work_into_threads(lines: Any) -> None:
    log = get_logger("tandem.jobs")

    async def job() -> None:
        with bound(job="plan"):
            await asyncio.to_thread(log.info, "planned")

    asyncio.run(job())
    [planned] = lines()
    assert planned["job"] == "plan"


def test_customer_fields_are_masked_whatever_they_hold(lines: Any) -> None:
    log = get_logger("tandem.jobs")
    log.info("po released", po="PO-00013", ship_to=ADDRESS, email="zoe@example.fr")
    logging.getLogger("tandem.web").warning("odd order", extra={"phone": "+33 1 23 45 67 89"})

    released, odd = lines()
    assert released["ship_to"] == {
        "name": "Z** Ł**********",
        "address1": "1* R** d* l’******",
        "city": "P****",
        "zip": "7****",
        "country_code": "F*",
    }
    assert released["email"] == "z**@*******.**"
    assert released["po"] == "PO-00013"  # ids are not customer data
    assert odd["phone"] == "+** * ** ** ** **"


def test_customer_data_in_free_text_is_masked(lines: Any) -> None:
    log = get_logger("tandem.jobs")
    reply = (
        "422 from Print Partner: recipient Zoë Łukasiewicz, 12 Rue de l’Église, Paris is"
        " not deliverable; contact zoe@example.fr or +33 1 23 45 67 89"
    )
    with customer_data(["Zoë Łukasiewicz", "12 Rue de l’Église", "Paris", "FR"]):
        log.error("po not sent", po="PO-00013", error=reply)
    log.error("job failed", error="SMTP refused jo.bloggs@example.com; sent 2026-11-20")

    failed, job = lines()
    assert failed["error"] == (
        "422 from Print Partner: recipient Z** Ł**********, 1* R** d* l’******, P**** is"
        " not deliverable; contact z**@*******.** or +** * ** ** ** **"
    )
    assert job["error"] == "SMTP refused j*.******@*******.***; sent 2026-11-20"  # not a phone


def test_mask_keeps_the_first_letter_of_each_word() -> None:
    assert mask("12 Analytical Row, London") == "1* A********* R**, L*****"
    assert mask(None) == mask("") == ""
