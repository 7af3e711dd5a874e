"""Personal-data detection: realistic Nordic chat messages, checksums, overlaps and config."""

from __future__ import annotations

import pytest

from botdesk.pii import (
    TRACKING_FORMATS,
    Entity,
    EntityPatterns,
    EntityType,
    detect,
    entity_values,
    mask,
    redact,
)
from botdesk.pii.contacts import find_phones
from tests import parcels

NORDIC = EntityPatterns.from_config(
    {
        "order_number": r"4\d{7}",
        "tracking_numbers": ["upu_s10", "posti_jjfi"],
        "phone_regions": ["FI", "SE", "NO", "DK"],
    }
)


# --- Check-character generators, written independently of python-stdnum on purpose ----------


def luhn_digit(partial: str) -> str:
    """The Luhn check digit to append to `partial`."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def hetu(ddmmyy: str, sign: str, individual: str) -> str:
    """A Finnish HETU with the right mod-31 control character."""
    control = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(ddmmyy + individual) % 31]
    return f"{ddmmyy}{sign}{individual}{control}"


def personnummer(yymmdd: str, serial: str) -> str:
    """A Swedish YYMMDD-NNNC personnummer with the right Luhn digit."""
    return f"{yymmdd}-{serial}{luhn_digit(yymmdd + serial)}"


def fodselsnummer(ddmmyy: str, individual: str) -> str:
    """A Norwegian fødselsnummer with both mod-11 check digits."""
    base = ddmmyy + individual
    k1 = (11 - sum(w * int(d) for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), base, strict=True))) % 11
    k2 = (
        11
        - sum(
            w * int(d) for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), base + str(k1), strict=True)
        )
    ) % 11
    assert k1 < 10 and k2 < 10, "pick another individual number"
    return f"{base}{k1}{k2}"


def iban(country: str, bban: str) -> str:
    """A compact IBAN with the right mod-97 check digits."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def spaced(compact: str) -> str:
    """Print an IBAN in groups of four, as banks do."""
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def found(text: str, patterns: EntityPatterns = NORDIC) -> list[tuple[EntityType, str, str]]:
    """(type, matched text, value) per entity, checking the offsets slice the input."""
    entities = detect(text, patterns)
    for entity in entities:
        assert 0 <= entity.start < entity.end <= len(text)
    assert entities == sorted(entities, key=lambda e: e.start)
    return [(e.type, text[e.start : e.end], e.value) for e in entities]


# --- The bot's everyday messages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "missä on tilaukseni 40012345?",
            [(EntityType.ORDER_NUMBER, "40012345", "40012345")],
        ),
        (
            "Mitt ordernummer är 40054321 och mejl Anna.Svensson@Example.se.",
            [
                (EntityType.ORDER_NUMBER, "40054321", "40054321"),
                (EntityType.EMAIL, "Anna.Svensson@Example.se", "anna.svensson@example.se"),
            ],
        ),
        (
            "sporingsnummer JJFI12345678901234567",
            [(EntityType.TRACKING_NUMBER, "JJFI12345678901234567", "JJFI12345678901234567")],
        ),
        (
            "tracking UA123456785SE",
            [(EntityType.TRACKING_NUMBER, "UA123456785SE", "UA123456785SE")],
        ),
        (
            "där är paketet ua 123 456 785 se?",
            [(EntityType.TRACKING_NUMBER, "ua 123 456 785 se", "UA123456785SE")],
        ),
        (
            "ring meg på 412 34 567",
            [(EntityType.PHONE, "412 34 567", "+4741234567")],
        ),
        (
            "ring meg på 91234567",
            [(EntityType.PHONE, "91234567", "+4791234567")],
        ),
        (
            "puh. 040 123 4567",
            [(EntityType.PHONE, "040 123 4567", "+358401234567")],
        ),
        (
            "+46 70 123 45 67",
            [(EntityType.PHONE, "+46 70 123 45 67", "+46701234567")],
        ),
        (
            "ring mig på 0046 (0)70-123 45 67",
            [(EntityType.PHONE, "0046 (0)70-123 45 67", "+46701234567")],
        ),
        (
            "Hei! Tilasin 3.11. paidan, tilausnumero #40012345. Kiitos, puh 0401234567",
            [
                (EntityType.ORDER_NUMBER, "40012345", "40012345"),
                (EntityType.PHONE, "0401234567", "+358401234567"),
            ],
        ),
    ],
)
def test_chat_messages(text: str, expected: list[tuple[EntityType, str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Paita maksaa 49,90 €",
        "hinta 1 299,00 €",
        "koko 38/40",
        "EU 42",
        "onko kokoja 36 38 40 42 jäljellä?",
        "toimitus 2-4 arkipäivää",
        "alennuskoodi SYKSY25",
        "tuotekoodi 123-456-78",
        "12.11.2026",
        "toimitus 05.11.2026 klo 09:30",
        "leveranse 05-11-2026",
        "order 4001234",
        "50012345",
        "91234567",
        "order 4001234567",
        "where is my parcel?",
        "",
    ],
)
def test_non_personal_data_is_left_alone(text: str) -> None:
    assert detect(text, NORDIC) == []


def test_order_number_is_not_a_phone_unless_written_as_one() -> None:
    # 40012345 is also a valid Norwegian mobile number; the tenant pattern says otherwise.
    assert found("40012345 on puhelinnumeroni") == [
        (EntityType.ORDER_NUMBER, "40012345", "40012345")
    ]
    assert found("tilaus 40012345 2 kpl") == [(EntityType.ORDER_NUMBER, "40012345", "40012345")]
    assert found("ring +47 40012345") == [(EntityType.PHONE, "+47 40012345", "+4740012345")]
    # What other detectors found is never reparsed as a national-format phone number.
    assert [e.value for e in find_phones("ring 40012345", ["NO"])] == ["+4740012345"]
    assert find_phones("ring 40012345", ["NO"], protected=[(5, 13)]) == []


def test_order_numbers_typed_in_groups_are_found_whole() -> None:
    assert found("när kommer 40-056-789") == [(EntityType.ORDER_NUMBER, "40-056-789", "40056789")]
    assert found("tilaus 4001-2345, postinumero 00100") == [
        (EntityType.ORDER_NUMBER, "4001-2345", "40012345")
    ]
    # Only a whole run of groups counts, and a phone number written in groups stays one.
    assert found("koodi 12 4001 2345 99") == []
    assert found("ring meg på 412 34 567") == [(EntityType.PHONE, "412 34 567", "+4741234567")]
    assert found("4001 2345")[0][0] == EntityType.PHONE  # a Norwegian mobile, as written
    assert found("2026-12-07") == []


# --- Checksummed identifiers -------------------------------------------------------------


SE_ID = personnummer("880320", "001")
NO_ID = fodselsnummer("150385", "123")

# (as typed, normalised value): python-stdnum's compact form of each number.
VALID_IDS = [
    (hetu("131052", "-", "308"), hetu("131052", "-", "308")),
    (hetu("131052", "-", "308").lower(), hetu("131052", "-", "308")),
    (hetu("010594", "Y", "202"), hetu("010594", "Y", "202")),
    (hetu("070921", "A", "123"), hetu("070921", "A", "123")),
    (SE_ID, SE_ID),
    ("19" + SE_ID, "19" + SE_ID),
    ("19" + SE_ID.replace("-", ""), "19" + SE_ID),
    (NO_ID, NO_ID),
    (f"{NO_ID[:6]} {NO_ID[6:]}", NO_ID),
    (fodselsnummer("010190", "124"), fodselsnummer("010190", "124")),
    # Danish CPR: no check digit since 2007, so only the birth date can be verified.
    ("010190-1234", "0101901234"),
]


@pytest.mark.parametrize(("national_id", "value"), VALID_IDS)
def test_valid_national_ids(national_id: str, value: str) -> None:
    text = f"henkilötunnukseni on {national_id}, kiitos"
    assert found(text) == [(EntityType.NATIONAL_ID, national_id, value)]


def wrong_check(valid: str) -> str:
    """The same number with its last check character changed."""
    last = valid[-1]
    replacement = "0" if last != "0" else "1"
    if last.isalpha():
        replacement = "A" if last != "A" else "B"
    return valid[:-1] + replacement


@pytest.mark.parametrize(
    "invalid_id",
    [
        wrong_check(hetu("131052", "-", "308")),
        wrong_check(hetu("070921", "A", "123")),
        # Swedish dates with a year above 31 so that the string is no Danish DDMMYY either.
        wrong_check(personnummer("880320", "001")),
        wrong_check("19" + personnummer("880320", "001")),
        wrong_check(fodselsnummer("150385", "123")),
        "320190-1234",  # Danish form with an impossible date
        "311390-1234",
    ],
)
def test_national_ids_failing_their_check_are_ignored(invalid_id: str) -> None:
    assert detect(f"tunnus {invalid_id}", NORDIC) == []


def test_unseparated_ten_digit_ids_are_not_national_ids() -> None:
    # Too ambiguous without a checksum worth the name: this is also a Finnish phone number.
    kinds = [e.type for e in detect("0101901234", NORDIC)]
    assert EntityType.NATIONAL_ID not in kinds


IBANS = [
    iban("FI", "12345600000785"),
    iban("SE", "50000000058398257466"),
    iban("NO", "86011117947"),
    iban("DK", "00400440116243"),
]


@pytest.mark.parametrize("compact", IBANS)
def test_valid_ibans_compact_and_spaced(compact: str) -> None:
    for written in (compact, spaced(compact), spaced(compact).lower()):
        text = f"tilinumeroni on {written} tack"
        assert found(text) == [(EntityType.IBAN, written, compact)]


@pytest.mark.parametrize("compact", IBANS)
def test_ibans_with_wrong_check_digits_are_ignored(compact: str) -> None:
    bad_check = (int(compact[2:4]) + 1) % 97 or 2
    broken = f"{compact[:2]}{bad_check:02d}{compact[4:]}"
    kinds = [e.type for e in detect(f"IBAN {spaced(broken)}", NORDIC)]
    assert EntityType.IBAN not in kinds


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("4111 1111 1111 1111", "4111111111111111"),
        ("5555-5555-5555-4444", "5555555555554444"),
        ("3782 822463 10005", "378282246310005"),
        ("4" + "1" * 14 + luhn_digit("4" + "1" * 14), "4" + "1" * 14 + luhn_digit("4" + "1" * 14)),
    ],
)
def test_valid_card_numbers(written: str, digits: str) -> None:
    assert found(f"kortnummer {written}!") == [(EntityType.CARD, written, digits)]


@pytest.mark.parametrize(
    "text",
    [
        "kortnummer 4111 1111 1111 1112",  # Luhn fails
        "kortnummer 5555555555554440",  # Luhn fails
        "kortnummer " + "9" * 14 + luhn_digit("9" * 14),  # Luhn passes, no card network
    ],
)
def test_invalid_card_numbers_are_ignored(text: str) -> None:
    assert detect(text, NORDIC) == []


# --- Overlaps, masking and values ----------------------------------------------------------


def test_overlaps_keep_the_longest_then_most_specific() -> None:
    # A tenant whose order numbers are 16 digits: a valid card number wins the tie on checksum.
    long_orders = EntityPatterns(order_number=r"\d{16}", phone_regions=("FI",))
    assert found("4111111111111111", long_orders) == [
        (EntityType.CARD, "4111111111111111", "4111111111111111")
    ]
    assert found("7000000000000001", long_orders) == [
        (EntityType.ORDER_NUMBER, "7000000000000001", "7000000000000001")
    ]
    # Digits inside IBANs, e-mail addresses and tracking numbers stay inside them.
    account = spaced(IBANS[0])
    assert [e.type for e in detect(f"{account} 40012345", NORDIC)] == [
        EntityType.IBAN,
        EntityType.ORDER_NUMBER,
    ]
    assert [e.type for e in detect("40012345@example.com", NORDIC)] == [EntityType.EMAIL]
    assert [e.type for e in detect("JJFI 4001234512345678", NORDIC)] == [EntityType.TRACKING_NUMBER]


def test_phone_regions_are_tried_in_the_tenants_order() -> None:
    swedish_first = EntityPatterns(phone_regions=("SE", "FI"))
    assert entity_values(detect("070-123 45 67", swedish_first), EntityType.PHONE) == [
        "+46701234567"
    ]
    no_regions = EntityPatterns()
    assert entity_values(detect("+358 40 123 4567", no_regions), EntityType.PHONE) == [
        "+358401234567"
    ]
    assert detect("040 123 4567", no_regions) == []


def test_tracking_formats_are_per_tenant() -> None:
    s10_only = EntityPatterns(tracking_numbers=("upu_s10",))
    assert detect("JJFI12345678901234567", s10_only) == []
    assert detect("UA123456784SE", NORDIC) == []  # wrong S10 check digit
    # The S10 special cases: a computed 10 becomes 0 (serial 02000000) and 11 becomes 5.
    for special in ("RR020000000FI", "RR000000005FI"):
        assert found(special) == [(EntityType.TRACKING_NUMBER, special, special)]
    assert detect("RR020000001FI RR000000000FI", NORDIC) == []


def test_mask_and_redact_replace_spans_with_placeholders() -> None:
    text = "Tilaus 40012345, sähköposti matti@example.fi, puh. 040 123 4567."
    entities = detect(text, NORDIC)
    expected = "Tilaus <ORDER_NUMBER>, sähköposti <EMAIL>, puh. <PHONE>."
    assert mask(text, entities) == expected
    assert redact(text, entities) == expected
    assert mask(text, list(reversed(entities))) == expected
    assert mask("kiitos", []) == "kiitos"


def test_mask_rejects_overlapping_or_out_of_range_entities() -> None:
    overlapping = [
        Entity(EntityType.PHONE, 0, 8, "+4740012345"),
        Entity(EntityType.ORDER_NUMBER, 4, 8, "2345"),
    ]
    with pytest.raises(ValueError, match="overlaps"):
        mask("40012345", overlapping)
    with pytest.raises(ValueError, match="outside"):
        mask("4001", [Entity(EntityType.ORDER_NUMBER, 0, 8, "40012345")])


# --- Tenant configuration ----------------------------------------------------------------


def test_from_config_builds_validated_patterns() -> None:
    patterns = EntityPatterns.from_config(
        {"order_number": "4\\d{7}", "tracking_numbers": ("upu_s10",), "phone_regions": ["fi"]}
    )
    assert patterns == EntityPatterns(r"4\d{7}", ("upu_s10",), ("FI",))
    assert EntityPatterns.from_config({}) == EntityPatterns()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"order_number": r"4\d{7}("}, "order_number: invalid regular expression"),
        ({"order_number": r"\d*"}, "matches the empty string"),
        ({"order_number": r"^4\d{7}$"}, "anchored"),
        ({"order_number": ""}, "empty"),
        ({"order_number": 40012345}, "order_number: expected a regular expression"),
        ({"tracking_numbers": ["dhl_express"]}, "unknown format.*'dhl_express'.*upu_s10"),
        ({"tracking_numbers": "upu_s10"}, "tracking_numbers: expected a list"),
        ({"tracking_numbers": [1]}, "tracking_numbers: expected a list of strings"),
        ({"phone_regions": ["XX"]}, "phone_regions: unknown region"),
        ({"order_numbers": r"4\d{7}"}, "unknown entity pattern setting.*'order_numbers'"),
    ],
)
def test_from_config_rejects_bad_settings(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EntityPatterns.from_config(config)


# --- Digits that only look like phone or card numbers; numbers from abroad ------------------


def test_a_version_number_before_a_date_is_no_phone() -> None:
    assert detect("Storm Jacket 2.0 2026-11-12", NORDIC) == []
    assert found("Jacket 2.0, ring 040 123 4567") == [
        (EntityType.PHONE, "040 123 4567", "+358401234567")
    ]


def test_an_ean_barcode_is_no_card_but_a_13_digit_grouped_card_still_is() -> None:
    barcode = "6411234567895"  # valid EAN-13, and Luhn-valid with a Maestro-like prefix
    assert detect(f"EAN {barcode} - sama tuote?", NORDIC) == []
    visa13 = "4" + "00000000000" + luhn_digit("400000000000")
    assert found(f"kortti {visa13[:4]} {visa13[4:8]} {visa13[8:12]} {visa13[12:]}")[0][0] is (
        EntityType.CARD
    )


def test_reach_me_words_make_a_bare_number_a_phone() -> None:
    assert found("Dere kan nå meg på 91234567") == [(EntityType.PHONE, "91234567", "+4791234567")]
    assert found("I kan fange mig på 20 12 34 56") == [
        (EntityType.PHONE, "20 12 34 56", "+4520123456")
    ]


def test_the_region_that_reads_the_whole_number_wins() -> None:
    # Finland's rules read a prefix of this British number; Britain's read all of it.
    british = EntityPatterns(phone_regions=("FI", "GB"))
    assert found("call 07912 345678", british) == [
        (EntityType.PHONE, "07912 345678", "+447912345678")
    ]


# --- Carriers' tracking numbers (the formats behind botdesk.orders.carriers) ----------------


EVERY_FORMAT = EntityPatterns(
    order_number=r"4\d{7}",
    tracking_numbers=tuple(TRACKING_FORMATS),
    phone_regions=("FI", "SE", "NO", "DK"),
)


def _grouped(digits: str, size: int, separator: str = " ") -> str:
    return separator.join(digits[i : i + size] for i in range(0, len(digits), size))


# Phone numbers that are also 10 digits passing DHL's mod-7 check: 040 ... and +47 9...
_FI_MOBILE_MOD7 = parcels.dhl_waybill("040123456")
_NO_MOBILE_MOD7 = parcels.dhl_waybill("479123456")
PN_SE, PN_DK = parcels.POSTNORD_SE, parcels.POSTNORD_DK
BRING_PACKAGE, BRING_SHIPMENT = parcels.BRING_PACKAGE, parcels.BRING_SHIPMENT
WAYBILL, UPS = parcels.DHL_WAYBILL, parcels.UPS_SAMPLE

# (format, message, the number as written in it, its value): the ways shoppers paste or type.
CARRIER_NUMBERS = [
    ("postnord", f"var är paketet {PN_SE}?", PN_SE, PN_SE),
    ("postnord", f"kolli-id 00{PN_SE} tack", f"00{PN_SE}", f"00{PN_SE}"),
    ("postnord", f"se (00) {PN_SE}.", f"(00) {PN_SE}", f"00{PN_SE}"),
    ("postnord", f"nr {_grouped(PN_SE, 4)} ok", _grouped(PN_SE, 4), PN_SE),
    ("postnord", f"pakke {PN_DK}", PN_DK, PN_DK),
    ("bring", f"sporing {BRING_PACKAGE}!", BRING_PACKAGE, BRING_PACKAGE),
    (
        "bring",
        f"pakke {_grouped(BRING_PACKAGE, 3, '-')}",
        _grouped(BRING_PACKAGE, 3, "-"),
        BRING_PACKAGE,
    ),
    ("bring", f"sendingsnummer {BRING_SHIPMENT}", BRING_SHIPMENT, BRING_SHIPMENT),
    (
        "matkahuolto",
        f"seurantakoodi {parcels.MATKAHUOLTO}",
        parcels.MATKAHUOLTO,
        parcels.MATKAHUOLTO,
    ),
    ("matkahuolto", "koodi mh 1234567890 ei toimi", "mh 1234567890", parcels.MATKAHUOLTO),
    ("dhl", f"DHL-lähetys {WAYBILL} ei liiku", WAYBILL, WAYBILL),
    (
        "dhl",
        f"dhl:n rahtikirja {WAYBILL[:2]} {WAYBILL[2:6]} {WAYBILL[6:]}",
        f"{WAYBILL[:2]} {WAYBILL[2:6]} {WAYBILL[6:]}",
        WAYBILL,
    ),
    ("dhl", f"pakke {parcels.DHL_JJD} fra Tyskland", parcels.DHL_JJD, parcels.DHL_JJD),
    ("dhl", "paket jvgl 0599 9900 0000 0001 idag", "jvgl 0599 9900 0000 0001", parcels.DHL_JVGL),
    ("ups", f"tracking {UPS}", UPS, UPS),
    ("ups", "UPS: 1z 999 aa1 01 2345 678 4", "1z 999 aa1 01 2345 678 4", UPS),
]


@pytest.mark.parametrize(("name", "text", "written", "value"), CARRIER_NUMBERS)
def test_carrier_tracking_numbers_as_typed(name: str, text: str, written: str, value: str) -> None:
    assert found(text, EVERY_FORMAT) == [(EntityType.TRACKING_NUMBER, written, value)]
    # The named format finds it, and no other format would have.
    assert found(text, EntityPatterns(tracking_numbers=(name,))) == found(text, EVERY_FORMAT)
    others = tuple(other for other in TRACKING_FORMATS if other != name)
    assert detect(text, EntityPatterns(tracking_numbers=others)) == []


def test_carrier_numbers_cover_every_format() -> None:
    tested = {name for name, *_ in CARRIER_NUMBERS} | {"upu_s10", "posti_jjfi"}
    assert tested == set(TRACKING_FORMATS)


@pytest.mark.parametrize(
    "text",
    [
        f"paket {parcels.wrong_check(parcels.POSTNORD_SE)}",
        f"paket 00{parcels.wrong_check(parcels.POSTNORD_DK)}",
        f"pakke {parcels.wrong_check(parcels.BRING_PACKAGE)}",
        f"sendingsnummer {parcels.wrong_check(parcels.BRING_SHIPMENT)}",
        f"DHL {parcels.wrong_check(parcels.DHL_WAYBILL)}",
        f"UPS {parcels.wrong_check(parcels.UPS_SAMPLE)}",
        # Valid GS1 numbers whose prefix is nobody's here: Finland (640-649) and Germany (400).
        f"kolli {parcels.FINNISH_SSCC}",
        f"kolli {parcels.with_gs1('34000000000012345')}",
        f"sendingsnummer {parcels.with_gs1('4000000000012345')}",
        # The right check digit, but not as labels print it (see the order and phone below).
        f"kolli {parcels.POSTNORD_SE[:8]} {parcels.POSTNORD_SE[8:11]} {parcels.POSTNORD_SE[11:]}",
        # Mod 7 passes, but a leading 0 is a phone's trunk prefix and "+" an international one.
        f"DHL {_FI_MOBILE_MOD7}",
        f"DHL +{_NO_MOBILE_MOD7}",
        f"DHL +{WAYBILL}",  # no valid phone number, but written as one
        "MH 123456789",  # too short for the Matkahuolto shape
    ],
)
def test_carrier_numbers_failing_their_check_or_shape_are_ignored(text: str) -> None:
    kinds = [e.type for e in detect(text, EVERY_FORMAT)]
    assert EntityType.TRACKING_NUMBER not in kinds


def test_a_bare_dhl_waybill_needs_dhl_in_the_message() -> None:
    waybill = parcels.DHL_WAYBILL
    assert detect(f"lähetys {waybill} ei liiku", EVERY_FORMAT) == []
    for text in (f"DHL {waybill}", f"{waybill} (dhl)", f"Dhl:llä tuli {waybill}"):
        assert entity_values(detect(text, EVERY_FORMAT), EntityType.TRACKING_NUMBER) == [waybill]
    # "DHL" inside another word is no mention of DHL.
    assert detect(f"ADHLX {waybill}", EVERY_FORMAT) == []
    # DHL's lettered piece IDs need no mention.
    assert entity_values(
        detect(f"paketti {parcels.DHL_JJD}", EVERY_FORMAT), EntityType.TRACKING_NUMBER
    ) == [parcels.DHL_JJD]


# An order number and a Finnish mobile number side by side whose 18 digits happen to be a
# valid Norwegian-prefixed SSCC: two things, not one parcel.
_ORDER = "47030535"
_MOBILE = parcels.with_gs1(_ORDER + "040123456")[8:]
_MOBILE_WRITTEN = f"{_MOBILE[:3]} {_MOBILE[3:6]} {_MOBILE[6:]}"
PHONE, ORDER, IBAN, CARD = (
    EntityType.PHONE,
    EntityType.ORDER_NUMBER,
    EntityType.IBAN,
    EntityType.CARD,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DHL soittaa numeroon 040 123 4567", [(PHONE, "040 123 4567")]),
        ("DHL: 0401234567", [(PHONE, "0401234567")]),
        (f"DHL: {_FI_MOBILE_MOD7}", [(PHONE, _FI_MOBILE_MOD7)]),
        (f"DHL: +{_NO_MOBILE_MOD7}", [(PHONE, f"+{_NO_MOBILE_MOD7}")]),
        ("DHL +358 40 123 4567", [(PHONE, "+358 40 123 4567")]),
        ("DHL, puh 09 1234 5678", [(PHONE, "09 1234 5678")]),
        ("DHL ring 070-123 45 67", [(PHONE, "070-123 45 67")]),
        ("DHL ring 0701234567", [(PHONE, "0701234567")]),
        ("DHL +46 70 123 45 67", [(PHONE, "+46 70 123 45 67")]),
        ("DHL ring meg på 912 34 567", [(PHONE, "912 34 567")]),
        ("DHL +47 912 34 567", [(PHONE, "+47 912 34 567")]),
        ("DHL tilaus 40012345", [(ORDER, "40012345")]),
        (
            "DHL 40012345 40054321 40099999",
            [(ORDER, "40012345"), (ORDER, "40054321"), (ORDER, "40099999")],
        ),
        (f"DHL tilaus {_ORDER} {_MOBILE_WRITTEN}", [(ORDER, _ORDER), (PHONE, _MOBILE_WRITTEN)]),
        *[(f"DHL, tilille {spaced(account)}", [(IBAN, spaced(account))]) for account in IBANS],
        *[(f"DHL, konto {account}", [(IBAN, account)]) for account in IBANS],
        ("DHL kortti 4111 1111 1111 1111", [(CARD, "4111 1111 1111 1111")]),
    ],
)
def test_phones_orders_ibans_and_cards_are_no_tracking_numbers(
    text: str, expected: list[tuple[EntityType, str]]
) -> None:
    assert [(kind, written) for kind, written, _value in found(text, EVERY_FORMAT)] == expected


def test_an_sscc_starting_37_is_no_american_express_card() -> None:
    # American Express numbers have 15 digits; a Bring SSCC is 18 and can pass Luhn as well.
    sscc = next(
        code
        for serial in range(1000)
        if parcels.luhn_valid(code := parcels.with_gs1(f"3707000000000{serial:04d}"))
    )
    assert found(f"kolli {sscc}", EntityPatterns(tracking_numbers=("bring",))) == [
        (EntityType.TRACKING_NUMBER, sscc, sscc)
    ]
    assert detect(f"kolli {sscc}", NORDIC) == []
