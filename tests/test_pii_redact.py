"""Redaction of personal data: names, addresses, and the `botdesk pii redact` CLI contract."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from botdesk.pii import EntityPatterns, EntityType, detect, find_personal_data, redact_personal
from tests.cli import BOTDESK, cli_environment, run
from tests.conftest import BACKENDS

DEMO = EntityPatterns.from_config(
    {
        "order_number": r"4\d{7}",
        "tracking_numbers": ["upu_s10", "posti_jjfi"],
        "phone_regions": ["FI", "SE", "NO", "DK"],
    }
)


def found(text: str) -> list[tuple[EntityType, str]]:
    entities = find_personal_data(text, DEMO)
    for entity in entities:
        assert 0 <= entity.start < entity.end <= len(text)
    return [(e.type, text[e.start : e.end]) for e in entities]


NAME, ADDRESS = EntityType.PERSON_NAME, EntityType.ADDRESS


# --- Person names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hei, nimeni on Matti Virtanen ja tilaus ei tullut", "Matti Virtanen"),
        ("nimeni on matti virtanen", "matti virtanen"),
        ("Jag heter Ebba Wikström och undrar över min retur", "Ebba Wikström"),
        ("Mitt navn er Øystein Fjeld", "Øystein Fjeld"),
        ("Jeg hedder Asbjørn Krog", "Asbjørn Krog"),
        ("My name is Niamh O'Connor, I ordered boots", "Niamh O'Connor"),
        ("Olen Tuomo ja tilasin takin", "Tuomo"),
        ("I'm Sarah and my parcel is late", "Sarah"),
        ("Kiitos avusta!\nTerveisin\nAnna-Liisa Kärkkäinen", "Anna-Liisa Kärkkäinen"),
        ("Mvh Ingela Holmberg, tel 070-123 45 67", "Ingela Holmberg"),
        ("Tack för hjälpen! /Vera", "Vera"),
        ("Joonas Miettinen tässä, kysyisin tilauksesta", "Joonas Miettinen"),
        ("Hei, Ingrid her. Hvor er pakken?", "Ingrid"),
        ("Min sambo Ylva Lindholm har beställt åt mig", "Ylva Lindholm"),
        ("Emma Lindgren beställde två tröjor", "Emma Lindgren"),
        ("c/o Virtanen", "Virtanen"),
    ],
)
def test_person_names_are_found(text: str, name: str) -> None:
    assert (NAME, name) in found(text)


# --- Street addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "uusi osoite on Mannerheimintie 12 B 34, 00100 Helsinki.",
            "Mannerheimintie 12 B 34, 00100 Helsinki",
        ),
        ("mannerheimintie 12 b 34 00100 helsinki", "mannerheimintie 12 b 34 00100 helsinki"),
        ("Ny adress: Storgatan 5, lgh 1102, 114 51 Stockholm",
         "Storgatan 5, lgh 1102, 114 51 Stockholm"),
        ("Send til Karl Johans gate 1, 0154 Oslo takk", "Karl Johans gate 1, 0154 Oslo"),
        ("Leveringsadresse Vesterbrogade 10, 3. tv, 1620 København V",
         "Vesterbrogade 10, 3. tv, 1620 København V"),
        ("I live at 221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
        ("kan ni skicka till Drottninggatan 71 i stället?", "Drottninggatan 71"),
        ("osoitteeni on Pohjoisesplanadi 3", "Pohjoisesplanadi 3"),
        ("postinumero 33100 Tampere", "33100 Tampere"),
    ],
)  # fmt: skip
def test_street_addresses_are_found(text: str, address: str) -> None:
    assert (ADDRESS, address) in found(text)


def test_a_street_named_after_a_person_is_one_address() -> None:
    assert found("Mottaker: Kari Nordmann, Karl Johans gate 1, 0154 Oslo") == [
        (NAME, "Kari Nordmann"),
        (ADDRESS, "Karl Johans gate 1, 0154 Oslo"),
    ]


# --- What is not personal data --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Paita maksaa 49,90 € ja koko on EU 42",
        "Tröjan kostar 299 kr, finns den i XL?",
        "kr 299 Oslo",
        "Alennuskoodi SUMMER25 ei toimi, tuotekoodi SKU-4411-BLK",
        "toimitus 12.3.2026 klo 14.30",
        "Levererar ni till Malmö före 2026-03-12?",
        "Do you ship to Bergen?",
        "Hugo Boss -paita kokoa M",
        "Helly Hansen Olivia blouse kokoa 36 38 40",
        "Ralph Lauren polo, W32 L34",
        "Onko Aino-mekkoa kokoa 38/40?",
        "Anna palautusohjeet, kiitos",
        "Olen Helsingistä ja tilasin 2 kpl",
        "I'm Looking for a Merino Base Layer",
        "Kiitos, Tilaus tuli perille",
        "Thanks, Great service!",
        "Storm Jacket 2.0 2026-11-12",
        "EAN 6411234567895 - onko sama tuote?",
        "Toimitatteko Ahvenanmaalle 17.4.2026 mennessä?",
        "Pakken veier 2,5 kg og er 30 x 40 cm",
    ],
)
def test_prices_sizes_dates_codes_and_brands_are_left_alone(text: str) -> None:
    assert find_personal_data(text, DEMO) == []
    assert redact_personal(text, DEMO) == (text, [])


def test_redact_personal_replaces_every_kind_with_its_placeholder() -> None:
    text = "Terveisin Matti Virtanen, Rauhankatu 5 A 3, puh 040 123 4567, tilaus 40012345"
    redacted, entities = redact_personal(text, DEMO)
    assert redacted == "Terveisin <PERSON_NAME>, <ADDRESS>, puh <PHONE>, tilaus <ORDER_NUMBER>"
    assert [e.type for e in entities] == [
        NAME,
        ADDRESS,
        EntityType.PHONE,
        EntityType.ORDER_NUMBER,
    ]


def test_redaction_reads_foreign_phone_numbers_the_bot_does_not_need() -> None:
    text = "You can reach me at 07912 345678"
    assert found(text) == [(EntityType.PHONE, "07912 345678")]
    # The bot's own detect() keeps to the tenant's regions; redaction tries more.
    assert redact_personal(text, EntityPatterns())[0] == "You can reach me at <PHONE>"


# --- Disguised emails, network identifiers, secrets, the 5+ digit default ------------------

NO_SHAPES = EntityPatterns()


@pytest.mark.parametrize(
    ("text", "kind", "span", "value"),
    [
        ("my email is maija (at) example (dot) com", EntityType.EMAIL,
         "maija (at) example (dot) com", "maija@example.com"),
        ("maija[at]example.fi", EntityType.EMAIL, "maija[at]example.fi", "maija@example.fi"),
        ("info (at) acme (dot) co (dot) uk", EntityType.EMAIL, "info (at) acme (dot) co (dot) uk",
         "info@acme.co.uk"),
        ("maija.v at gmail.com", EntityType.EMAIL, "maija.v at gmail.com", "maija.v@gmail.com"),
        ("sähköposti maija ät example piste fi", EntityType.EMAIL, "maija ät example piste fi",
         "maija@example.fi"),
        ("maija snabel-a example punkt se", EntityType.EMAIL, "maija snabel-a example punkt se",
         "maija@example.se"),
        ("error from 192.168.1.10.", EntityType.IP_ADDRESS, "192.168.1.10", "192.168.1.10"),
        ("proxy 10.0.0.1:8080 blocks", EntityType.IP_ADDRESS, "10.0.0.1:8080", "10.0.0.1"),
        ("ip fe80::1ff:fe23:4567:890a", EntityType.IP_ADDRESS, "fe80::1ff:fe23:4567:890a",
         "fe80::1ff:fe23:4567:890a"),
        ("see https://shop.example/t?o=1&e=x.", EntityType.URL,
         "https://shop.example/t?o=1&e=x", "https://shop.example/t?o=1&e=x"),
        ("www.shop.example/cart#session-abc", EntityType.URL,
         "www.shop.example/cart#session-abc", "www.shop.example/cart#session-abc"),
        ("my password is Kissa123, I can't log in", EntityType.SECRET, "Kissa123", "Kissa123"),
        ("salasanani on kissa koira", EntityType.SECRET, "kissa koira", "kissa koira"),
        ("lösenordet: Sommar2024!", EntityType.SECRET, "Sommar2024!", "Sommar2024!"),
        ("passordet mitt er hemmelig", EntityType.SECRET, "hemmelig", "hemmelig"),
        ("pwd hunter2 ei toimi", EntityType.SECRET, "hunter2", "hunter2"),
        ('my passcode "open sesame"', EntityType.SECRET, '"open sesame"', '"open sesame"'),
        ("tunnussana Kalakukko", EntityType.SECRET, "Kalakukko", "Kalakukko"),
        ("PIN-koodi on 4321", EntityType.SECRET, "4321", "4321"),
        ("where is my order 7712345?", EntityType.NUMBER, "7712345", "7712345"),
        ("asiakasnumero AB123456", EntityType.NUMBER, "123456", "123456"),
    ],
)  # fmt: skip
def test_redaction_finds_what_detect_does_not(
    text: str, kind: EntityType, span: str, value: str
) -> None:
    entities = find_personal_data(text, NO_SHAPES)
    assert [(e.type, text[e.start : e.end], e.value) for e in entities] == [(kind, span, value)]


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my password, how do I reset it?",
        "password reset link doesn't work",
        "Salasana ei toimi",
        "lösenordet är fel",
        "Jeg har glemt passordet mitt",
        "PIN-koodi unohtui",
        "meet at 12:30:45",
        "version 2.0.1 of the app",
        "look at verkkokauppa.com",
        "https://shop.example/products/storm-jacket",
        "toimitus 12.11.2026",
        "order 1234",
    ],
)
def test_cues_and_shapes_without_personal_data_are_left_alone(text: str) -> None:
    assert find_personal_data(text, NO_SHAPES) == []


def test_the_digit_default_is_for_redaction_and_the_index_not_for_slot_filling() -> None:
    text = "where is my order 7712345? call me on 040 123 4567"
    finnish = EntityPatterns(phone_regions=("FI",))
    # The bot reads no order number it was not told the shape of...
    assert [e.type for e in detect(text, finnish)] == [EntityType.PHONE]
    # ...redaction masks the run, a phone number stays a phone number...
    redacted, _ = redact_personal(text, finnish)
    assert redacted == "where is my order <NUMBER>? call me on <PHONE>"
    # ...and a shop that declared its shape gets exactly that, no default.
    assert redact_personal("order 7712345", DEMO)[0] == "order 7712345"
    assert redact_personal("order 47712345", DEMO)[0] == "order <ORDER_NUMBER>"


# --- The CLI ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def demo_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, empty_database: object
) -> Iterator[dict[str, str]]:
    """A database with the demo tenant (content loaded) and a tenant with no content."""
    env = cli_environment(
        empty_database(request.param),  # type: ignore[operator]
        tmp_path_factory.mktemp("var"),
    )
    for args in (("migrate",), ("demo",), ("tenant", "create", "bare", "--name", "Bare")):
        done = run(env, *args)
        assert done.returncode == 0, done.stderr
    yield env


def redact_lines(env: dict[str, str], tenant: str, *lines: str) -> subprocess.CompletedProcess[str]:
    return run(env, "pii", "redact", "--tenant", tenant, stdin="".join(f"{x}\n" for x in lines))


def test_cli_redacts_in_order_with_offsets_into_the_input(demo_env: dict[str, str]) -> None:
    texts = [
        "Hyvää päivää! Nimeni on Äinö Mäkelä, tilaus 40012345 🙂",
        "Paketti JJFI12345678901234567 ja mejl anna.svensson@example.se",
        "Paljonko toimitus maksaa Tampereelle? 4,90 €",
        "Bor på Storgatan 5, 114 51 Stockholm",
    ]
    done = redact_lines(demo_env, "demo", *(json.dumps({"text": t}) for t in texts))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(texts)
    spans = [
        [(e["type"], t[e["start"] : e["end"]]) for e in r["entities"]]
        for t, r in zip(texts, rows, strict=True)
    ]
    assert spans == [
        [("PERSON_NAME", "Äinö Mäkelä"), ("ORDER_NUMBER", "40012345")],
        [("TRACKING_NUMBER", "JJFI12345678901234567"), ("EMAIL", "anna.svensson@example.se")],
        [],
        [("ADDRESS", "Storgatan 5, 114 51 Stockholm")],
    ]  # fmt: skip
    assert [r["text"] for r in rows] == [
        "Hyvää päivää! Nimeni on <PERSON_NAME>, tilaus <ORDER_NUMBER> 🙂",
        "Paketti <TRACKING_NUMBER> ja mejl <EMAIL>",
        texts[2],
        "Bor på <ADDRESS>",
    ]


def test_cli_reports_bad_lines_in_place_without_echoing_them(demo_env: dict[str, str]) -> None:
    secret = "matti.virtanen@example.fi"
    lines = [
        json.dumps({"text": "tilaus 40012345"}),
        f"not json {secret}",
        json.dumps([secret]),
        json.dumps({"body": secret}),
        json.dumps({"text": 40012345}),
        "",
        json.dumps({"text": f"mail {secret}"}),
    ]
    done = redact_lines(demo_env, "demo", *lines)
    assert done.returncode == 1
    out = done.stdout.split("\n")
    assert out[-1] == "" and len(out) - 1 == len(lines)
    assert json.loads(out[0])["text"] == "tilaus <ORDER_NUMBER>"
    assert [json.loads(line) for line in out[1:5]] == [
        {"error": "line is not valid JSON"},
        {"error": 'expected a JSON object with a string "text"'},
        {"error": 'expected a JSON object with a string "text"'},
        {"error": 'expected a JSON object with a string "text"'},
    ]
    assert out[5] == ""  # a blank line stays a blank line
    assert json.loads(out[6])["text"] == "mail <EMAIL>"
    assert "4 line(s)" in done.stderr
    assert secret not in done.stderr and secret not in "".join(out[1:6])


def test_cli_uses_the_tenants_own_patterns(demo_env: dict[str, str]) -> None:
    line = json.dumps({"text": "tilaus 40012345, paketti JJFI12345678901234567"})
    demo = json.loads(redact_lines(demo_env, "demo", line).stdout)
    assert demo["text"] == "tilaus <ORDER_NUMBER>, paketti <TRACKING_NUMBER>"
    bare = redact_lines(demo_env, "bare", line)
    assert bare.returncode == 0
    # No declared shapes: the conservative default masks every run of 5+ digits instead.
    assert json.loads(bare.stdout)["text"] == "tilaus <NUMBER>, paketti JJFI<NUMBER>"
    assert "has no bot content" in bare.stderr


def test_cli_unknown_tenant_is_one_clear_line(demo_env: dict[str, str]) -> None:
    done = redact_lines(demo_env, "nope", json.dumps({"text": "hei"}))
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no tenant 'nope'"
    assert done.stdout == ""


def test_cli_streams_each_line_before_reading_the_next(demo_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [*BOTDESK, "pii", "redact", "--tenant", "demo"],
        env=demo_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps({"text": "tilaus 40012345"}) + "\n")
        process.stdin.flush()
        # stdin is still open: the answer must come now, not when the input ends.
        assert json.loads(process.stdout.readline())["text"] == "tilaus <ORDER_NUMBER>"
        process.stdin.write(json.dumps({"text": "hei"}) + "\n")
        process.stdin.close()
        assert json.loads(process.stdout.readline())["text"] == "hei"
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()


def test_cli_handles_ten_thousand_lines(demo_env: dict[str, str], tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"tilaus 4{i:07d}, kiitos"}) for i in range(10_000)]
    done = redact_lines(demo_env, "demo", *lines)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert len(out) == 10_000
    assert all(json.loads(line)["text"] == "tilaus <ORDER_NUMBER>, kiitos" for line in out)
    assert json.loads(out[-1])["entities"] == [{"type": "ORDER_NUMBER", "start": 7, "end": 15}]
