"""Parcel carriers: identifying a tracking number, merchants' carrier names, tracking links."""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote, urlsplit

import pytest

from botdesk.orders.carriers import (
    CARRIERS,
    LANGUAGES,
    Carrier,
    carrier_named,
    identify,
    tracking_url,
)
from botdesk.pii import TRACKING_FORMATS, EntityPatterns, EntityType, detect, entity_values
from tests import parcels

# --- identify(): whose number is it? -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [
        # UPU S10: the post that issued it is in the last two letters.
        (parcels.s10("RR", "12345678", "FI"), "posti"),
        (parcels.s10("CP", "87654321", "SE"), "postnord"),
        (parcels.s10("UA", "00000001", "DK"), "postnord"),
        (parcels.s10("LX", "55555555", "NO"), "bring"),
        (parcels.JJFI, "posti"),
        (parcels.POSTNORD_SE, "postnord"),
        (f"00{parcels.POSTNORD_SE}", "postnord"),
        (parcels.POSTNORD_DK, "postnord"),
        (parcels.BRING_PACKAGE, "bring"),
        (f"00{parcels.BRING_PACKAGE}", "bring"),
        (parcels.BRING_SHIPMENT, "bring"),
        (parcels.MATKAHUOLTO, "matkahuolto"),
        # A number handed over as a tracking number needs no "DHL" beside it.
        (parcels.DHL_WAYBILL, "dhl"),
        (parcels.DHL_JJD, "dhl"),
        (parcels.DHL_JVGL, "dhl"),
        (parcels.UPS_SAMPLE, "ups"),
        (parcels.ups("12345E020527168"), "ups"),
        # Not yet compact: spaces, hyphens, brackets and case are forgiven.
        ("ua 123 456 785 se", "postnord"),
        (f"(00) {parcels.POSTNORD_SE[:9]}-{parcels.POSTNORD_SE[9:]}", "postnord"),
        ("1z 999 aa1 01 2345 678 4", "ups"),
    ],
)
def test_identify_knows_each_format(code: str, key: str) -> None:
    carrier = identify(code)
    assert carrier is not None
    assert carrier.key == key
    assert carrier is CARRIERS[key]


@pytest.mark.parametrize(
    "code",
    [
        parcels.s10("RR", "12345678", "DE"),  # valid S10 from a post not among the carriers
        parcels.s10("RR", "12345678", "GB"),
        parcels.wrong_check(parcels.s10("RR", "12345678", "FI")),
        parcels.wrong_check(parcels.POSTNORD_SE),
        parcels.wrong_check(parcels.BRING_PACKAGE),
        parcels.wrong_check(parcels.BRING_SHIPMENT),
        parcels.wrong_check(parcels.DHL_WAYBILL),
        parcels.wrong_check(parcels.UPS_SAMPLE),
        parcels.FINNISH_SSCC,  # valid SSCC, but GS1 Finland says nothing about the carrier
        parcels.with_gs1("7350000000012345"),  # a Swedish GSIN: PostNord's are not taken
        "0401234567",
        parcels.dhl_waybill("040123456"),  # passes mod 7, but a leading 0 is a phone's
        "MH123456789",  # one digit short of Matkahuolto's shape
        "40012345",
        "",
        "where is my parcel",
    ],
)
def test_identify_returns_none_for_other_numbers(code: str) -> None:
    assert identify(code) is None


def test_what_detect_finds_identify_names() -> None:
    every_format = EntityPatterns(tracking_numbers=tuple(TRACKING_FORMATS))
    text = (
        f"DHL {parcels.DHL_WAYBILL}, Posti {parcels.JJFI}, "
        f"PostNord 00{parcels.POSTNORD_SE} ja UPS {parcels.UPS_SAMPLE}"
    )
    values = entity_values(detect(text, every_format), EntityType.TRACKING_NUMBER)
    assert [getattr(identify(value), "key", None) for value in values] == [
        "dhl",
        "posti",
        "postnord",
        "ups",
    ]


# --- carrier_named(): what merchants' systems write ------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Posti", "posti"),
        ("posti.fi", "posti"),
        ("Itella", "posti"),  # WooCommerce Shipment Tracking's Finnish provider and slug
        ("itella", "posti"),
        ("Posti Oy", "posti"),
        ("PostNord", "postnord"),
        ("PostNord Sverige AB", "postnord"),
        ("postnord-sverige-ab", "postnord"),
        ("postnord-se", "postnord"),
        ("PostNord SE", "postnord"),  # Shopify
        ("PostNord DK", "postnord"),
        ("Post Danmark", "postnord"),
        ("Posten AB", "postnord"),  # PostNord Sverige's name before 2009
        ("Bring", "bring"),
        ("Bring.se", "bring"),
        ("bring-se", "bring"),
        ("Posten Norge", "bring"),
        ("Posten Norge AS", "bring"),
        ("Posten", "bring"),
        ("posten-norge-bring", "bring"),  # WooCommerce's own provider key
        ("Matkahuolto", "matkahuolto"),
        ("matkahuolto.fi", "matkahuolto"),
        ("Oy Matkahuolto Ab", "matkahuolto"),
        ("DHL", "dhl"),
        ("DHL Express", "dhl"),
        ("dhl-freight", "dhl"),
        ("DHL.se", "dhl"),
        ("dhl_ecommerce", "dhl"),
        ("DHL eCommerce", "dhl"),
        ("UPS", "ups"),
        ("ups-se", "ups"),
        ("United Parcel Service", "ups"),
        ("  united  PARCEL service ", "ups"),
        ("Budbee", "budbee"),
        ("Budbee AB", "budbee"),
        ("Instabox", "instabox"),
    ],
)
def test_carrier_named_reads_merchants_names(name: str, key: str) -> None:
    carrier = carrier_named(name)
    assert carrier is not None
    assert carrier.key == key


@pytest.mark.parametrize(
    "name", ["", "GLS", "DB Schenker", "Postiljooni", "Upsala Kurir", "Bringo", "Deutsche Post"]
)
def test_carrier_named_returns_none_for_unknown_names(name: str) -> None:
    assert carrier_named(name) is None


# --- tracking_url(): the carrier's page in the shopper's language ---------------------------

CODE = "JJFI12345678901234567"


@pytest.mark.parametrize(
    ("key", "language", "url"),
    [
        ("posti", "fi", f"https://www.posti.fi/fi/seuranta#/lahetys/{CODE}"),
        ("posti", "sv", f"https://www.posti.fi/sv/uppfoljning#/lahetys/{CODE}"),
        ("posti", "en", f"https://www.posti.fi/en/tracking#/lahetys/{CODE}"),
        ("posti", "nb", f"https://www.posti.fi/en/tracking#/lahetys/{CODE}"),  # no Norwegian
        ("postnord", "fi", f"https://tracking.postnord.com/fi/?id={CODE}"),
        ("postnord", "sv", f"https://tracking.postnord.com/se/?id={CODE}"),
        ("postnord", "nb", f"https://tracking.postnord.com/no/?id={CODE}"),
        ("postnord", "en", f"https://tracking.postnord.com/en/?id={CODE}"),
        ("bring", "nb", f"https://sporing.bring.no/sporing/{CODE}"),
        ("bring", "sv", f"https://tracking.bring.se/tracking/{CODE}"),
        ("bring", "en", f"https://tracking.bring.com/tracking/{CODE}"),
        ("bring", "fi", f"https://tracking.bring.com/tracking/{CODE}"),  # no Finnish
        ("matkahuolto", "fi", f"https://www.matkahuolto.fi/seuranta?parcelNumber={CODE}"),
        ("matkahuolto", "en", f"https://www.matkahuolto.fi/seuranta?parcelNumber={CODE}"),
        (
            "dhl",
            "fi",
            f"https://www.dhl.com/fi-fi/home/tracking.html?tracking-id={CODE}&submit=1",
        ),
        (
            "dhl",
            "sv",
            f"https://www.dhl.com/se-sv/home/tracking.html?tracking-id={CODE}&submit=1",
        ),
        (
            "dhl",
            "en",
            f"https://www.dhl.com/global-en/home/tracking.html?tracking-id={CODE}&submit=1",
        ),
        ("ups", "fi", f"https://www.ups.com/track?loc=fi_FI&tracknum={CODE}"),
        ("ups", "sv", f"https://www.ups.com/track?loc=sv_SE&tracknum={CODE}"),
        ("ups", "en", f"https://www.ups.com/track?loc=en_US&tracknum={CODE}"),
    ],
)
def test_tracking_url_per_language(key: str, language: str, url: str) -> None:
    assert tracking_url(CARRIERS[key], CODE, language) == url


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv-FI", "sv"), ("FI", "fi"), ("no", "nb"), ("nn", "nb"), ("nb_NO", "nb"), ("da", "en")],
)
def test_tracking_url_reads_language_tags(language: str, expected: str) -> None:
    postnord = CARRIERS["postnord"]
    assert tracking_url(postnord, CODE, language) == tracking_url(postnord, CODE, expected)
    assert len({tracking_url(postnord, CODE, other) for other in LANGUAGES}) == len(LANGUAGES)


@pytest.mark.parametrize("key", ["budbee", "instabox"])
def test_link_only_carriers_have_no_url_from_a_number(key: str) -> None:
    carrier = CARRIERS[key]
    assert carrier.link_only
    assert all(tracking_url(carrier, "12345", language) is None for language in LANGUAGES)


@pytest.mark.parametrize("key", sorted(set(CARRIERS) - {"budbee", "instabox"}))
def test_tracking_url_quotes_the_code(key: str) -> None:
    # Quoted whole, so a code can't leave the path or parameter it belongs in; only the blanks
    # around it go.
    code = "AB/1?x=2&y#z ä"
    url, plain = (
        tracking_url(CARRIERS[key], f"  {code} ", "fi"),
        tracking_url(CARRIERS[key], "X", "fi"),
    )
    assert url is not None and plain is not None
    assert url == plain.replace("X", "AB%2F1%3Fx%3D2%26y%23z%20%C3%A4")
    assert code in unquote(url)


def test_every_carrier_page_is_https_and_complete() -> None:
    # A registry test: a new carrier row must give every language (or none) and one {code}.
    assert set(CARRIERS) == {
        "posti",
        "postnord",
        "bring",
        "matkahuolto",
        "dhl",
        "ups",
        "budbee",
        "instabox",
    }
    for key, carrier in CARRIERS.items():
        assert carrier.key == key
        assert set(carrier.pages) in (set(), set(LANGUAGES))
        for template in carrier.pages.values():
            assert urlsplit(template).scheme == "https"
            assert template.count("{code}") == 1
    assert [c.name for c in CARRIERS.values()] == [
        "Posti",
        "PostNord",
        "Bring",
        "Matkahuolto",
        "DHL",
        "UPS",
        "Budbee",
        "Instabox",
    ]


def test_carriers_are_frozen_and_hashable() -> None:
    posti = CARRIERS["posti"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        posti.name = "Itella"  # type: ignore[misc]
    assert {posti, identify(parcels.JJFI)} == {posti}
    assert isinstance(posti, Carrier)
