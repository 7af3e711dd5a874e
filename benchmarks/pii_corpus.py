"""Generate the labelled personal-data corpus: benchmarks/data/pii_corpus.jsonl (deterministic).

Each line: {"text", "language", "entities": [{"type", "start", "end"}]}, offsets in Python str
indices. Messages are chat sentences in fi, sv, nb, da and en built from templates written for
this corpus, filled with generated values:

- identifiers made with their real check-digit algorithms (HETU mod 31, Luhn for Swedish
  personnummer and cards, the two mod-11 digits of a Norwegian fødselsnummer, a dated Danish
  CPR, IBAN mod 97, the UPU S10 check digit), each then verified with python-stdnum; phone
  numbers in the ways people type them, each verified valid with phonenumbers;
- names and streets from lists written here. Common given names are common, so most of those
  are in the detector's lexicon too; each language also has six rarer given names that are
  not, and the benchmark reports name recall for the two groups apart. Most surnames and all
  streets are chosen without looking at the detector's lists;
- about 40 % of messages carry no personal data but plenty of digits and capitals: prices,
  sizes, dates, times, product and discount codes, EAN codes, quantities, town names, brand
  and product names (some named after people).

Limits: templates are hand-written, so the phrasing is cleaner and less varied than real chat
(few typos, no mixed-language messages). Unseparated 10-digit Swedish/Danish IDs are left out:
the detector refuses them on purpose (see identifiers.py), and a corpus of them would measure
that decision, not the code. The vocabulary, templates and generators are one file because
they change together.

Usage: .venv/bin/python benchmarks/pii_corpus.py [--seed 7] [--per-language 400]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from stdnum import iban as std_iban
from stdnum.dk import cpr
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "data" / "pii_corpus.jsonl"
LANGUAGES = ("fi", "sv", "nb", "da", "en")
PII_SHARE = 0.6
Gen = Callable[[random.Random, str], str]


# --- Check digits, implemented here from the published algorithms ---------------------------


def luhn_digit(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def birth_date(rng: random.Random, first: int = 1950, last: int = 2005) -> tuple[int, int, int]:
    return rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28)


def make_hetu(rng: random.Random) -> str:
    year, month, day = birth_date(rng)
    sign = rng.choice("-YXWVU") if year < 2000 else rng.choice("ABCDEF")
    base = f"{day:02d}{month:02d}{year % 100:02d}"
    individual = f"{rng.randint(2, 899):03d}"
    control = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(base + individual) % 31]
    return hetu.validate(f"{base}{sign}{individual}{control}")


def make_personnummer(rng: random.Random) -> str:
    year, month, day = birth_date(rng)
    body = f"{year % 100:02d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    digits = body + luhn_digit(body)
    style = rng.random()
    text = (
        f"{digits[:6]}-{digits[6:]}"
        if style < 0.6
        else f"{year // 100}{digits[:6]}-{digits[6:]}"
        if style < 0.8
        else f"{year // 100}{digits}"
    )
    personnummer.validate(text)
    return text


def make_fodselsnummer(rng: random.Random) -> str:
    while True:
        year, month, day = birth_date(rng, 1950, 1999)
        base = f"{day:02d}{month:02d}{year % 100:02d}{rng.randint(0, 499):03d}"
        w1, w2 = (3, 7, 6, 1, 8, 9, 4, 5, 2), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
        k1 = (11 - sum(w * int(d) for w, d in zip(w1, base, strict=True))) % 11
        k2 = (11 - sum(w * int(d) for w, d in zip(w2, base + str(k1 % 10), strict=True))) % 11
        if k1 < 10 and k2 < 10:
            number = f"{base}{k1}{k2}"
            fodselsnummer.validate(number)
            return number if rng.random() < 0.7 else f"{number[:6]} {number[6:]}"


def make_cpr(rng: random.Random) -> str:
    year, month, day = birth_date(rng, 1950, 1999)
    # The 7th digit with the year tells the century; 0-3 means 1900-1999 for any year.
    text = f"{day:02d}{month:02d}{year % 100:02d}-{rng.randint(0, 3)}{rng.randint(0, 999):03d}"
    cpr.validate(text)
    return text


def make_national_id(rng: random.Random, lang: str) -> str:
    maker = {"fi": make_hetu, "sv": make_personnummer, "nb": make_fodselsnummer, "da": make_cpr}
    return maker.get(lang, rng.choice(list(maker.values())))(rng)


IBAN_BBAN = {"FI": "14n", "SE": "20n", "NO": "11n", "DK": "14n", "DE": "18n", "GB": "NWBK14n"}
IBAN_HOME = {"fi": "FI", "sv": "SE", "nb": "NO", "da": "DK", "en": "GB"}


def make_iban(rng: random.Random, lang: str) -> str:
    country = IBAN_HOME[lang] if rng.random() < 0.8 else rng.choice(sorted(IBAN_BBAN))
    while True:
        shape = IBAN_BBAN[country]
        prefix, count = (
            (shape[:4], int(shape[4:-1])) if shape[0].isalpha() else ("", int(shape[:-1]))
        )
        bban = prefix + "".join(rng.choice("0123456789") for _ in range(count))
        numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
        compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
        if std_iban.is_valid(compact):  # Norway's BBAN has its own mod-11 digit; retry
            break
    if rng.random() < 0.6:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def make_card(rng: random.Random, _lang: str) -> str:
    prefix, length = rng.choice([("4", 16), ("4", 16), ("5" + rng.choice("12345"), 16),
                                 ("2" + rng.choice(["221", "300", "720"]), 16),
                                 ("3" + rng.choice("47"), 15)])  # fmt: skip
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    digits = body + luhn_digit(body)
    if length == 15:
        return f"{digits[:4]} {digits[4:10]} {digits[10:]}" if rng.random() < 0.6 else digits
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def make_order(rng: random.Random, _lang: str) -> str:
    number = f"4{rng.randint(0, 9_999_999):07d}"
    return number


def make_tracking(rng: random.Random, lang: str) -> str:
    if rng.random() < 0.4:
        return "JJFI" + "".join(rng.choice("0123456789") for _ in range(rng.randint(16, 20)))
    serial = f"{rng.randint(0, 99_999_999):08d}"
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    check = 11 - sum(w * int(d) for w, d in zip(weights, serial, strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    service = rng.choice(["RR", "RA", "CP", "LX", "EE", "UA", "RB", "CX", "LA"])
    country = rng.choice(["FI", "SE", "NO", "DK", "GB", "DE", "CN"])
    if rng.random() < 0.2:
        return f"{service} {serial[:3]} {serial[3:6]} {serial[6:]}{check} {country}"
    text = f"{service}{serial}{check}{country}"
    return text.lower() if rng.random() < 0.1 else text


# (region, digit pattern, how to write it); "#" is a random digit.
PHONE_SHAPES = {
    "fi": [("FI", "04#"+"#"*7, "{0:3} {3:3} {6:}"), ("FI", "050"+"#"*7, "{0:}"),
           ("FI", "04#"+"#"*7, "+358 {1:2} {3:3} {6:}"), ("FI", "045"+"#"*7, "{0:3}-{3:}"),
           ("FI", "09"+"#"*7, "{0:2} {2:4} {6:}")],
    "sv": [("SE", "07"+"#"*8, "{0:3}-{3:3} {6:2} {8:}"), ("SE", "07"+"#"*8, "{0:}"),
           ("SE", "07"+"#"*8, "+46 {1:2} {3:3} {6:2} {8:}"),
           ("SE", "08"+"#"*7, "{0:2}-{2:3} {5:}")],
    "nb": [("NO", "4"+"#"*7, "{0:3} {3:2} {5:}"), ("NO", "9"+"#"*7, "{0:}"),
           ("NO", "9"+"#"*7, "+47 {0:3} {3:2} {5:}"),
           ("NO", "4"+"#"*7, "{0:2} {2:2} {4:2} {6:}")],
    "da": [("DK", "2"+"#"*7, "{0:2} {2:2} {4:2} {6:}"), ("DK", "3"+"#"*7, "{0:}"),
           ("DK", "2"+"#"*7, "+45 {0:2} {2:2} {4:2} {6:}"), ("DK", "5"+"#"*7, "+45{0:}")],
    "en": [("GB", "07"+"#"*9, "{0:5} {5:}"), ("GB", "07"+"#"*9, "+44 {1:4} {5:}"),
           ("FI", "04#"+"#"*7, "+358{1:}"), ("SE", "07"+"#"*8, "+46 {1:}")],
}  # fmt: skip
_SLICE_RE = re.compile(r"\{(\d+):(\d*)\}")


def _cut(digits: str, slot: re.Match[str]) -> str:
    """The digits a "{start:length}" slot of a layout stands for."""
    start = int(slot[1])
    return digits[start : start + int(slot[2])] if slot[2] else digits[start:]


def make_phone(rng: random.Random, lang: str) -> str:
    region, pattern, layout = rng.choice(PHONE_SHAPES[lang])
    while True:
        digits = "".join(rng.choice("0123456789") if c == "#" else c for c in pattern)
        text = _SLICE_RE.sub(lambda m, d=digits: _cut(d, m), layout)
        if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
            return text


# --- Names and addresses (this corpus's own lists) ------------------------------------------

GIVEN = {
    "fi": "Tuomo Henna Lauri Sakari Veera Arttu Milla Joonas Pauliina Santeri Matti Anna Juha "
    "Laura Mikko Aino Eero Riikka Ville Sanna Iiro Vesa-Matti Kerkko Ansa Roope Hertta",
    "sv": "Ebba Hugo Alva Linus Saga Elsa Johan Vera Melker Agnes Erik Karin Lars Maja Oskar "
    "Ingela Sixten Tilde Jöns Ylva Sölve Majvor Folke Liselott Torgny Ingvor",
    "nb": "Øystein Ingrid Sindre Marte Eirik Siri Halvard Thea Jonas Kari Ola Synne Magne "
    "Ragnhild Amund Live Torstein Hedda Vetle Silje Ådne Gudrun Eilif Torill Bendik Ranveig",
    "da": "Asbjørn Freja Mikkel Ida Rasmus Lærke Jeppe Nanna Søren Astrid Emil Cecilie Anders "
    "Mette Villads Sofie Kasper Line Bo Karoline Bjarke Ditte Halfdan Vibeke Asger Lykke",
    "en": "Oliver Amelia George Isla Harry Ava Niamh Callum Priya Ethan Sarah James Chloe Liam "
    "Grace Rhys Megan Tom Emily Aidan Siobhan Declan Imogen Tariq Bronwen Lachlan",
}
FAMILY = {
    "fi": "Koivisto Lappalainen Hiltunen Räsänen Kettunen Peltonen Miettinen Vainio Pesonen "
    "Manninen Virtanen Korhonen Nieminen Heikkilä Aaltonen Kärkkäinen",
    "sv": "Wikström Lindgren Bergqvist Sundberg Hedlund Ekström Lindholm Nyberg Holmberg "
    "Sjögren Johansson Karlsson Nilsson Björklund Åström Falk",
    "nb": "Fjeld Haugland Solheim Bakke Lunde Nygård Myhre Sandvik Tveit Kvam Hansen Olsen "
    "Berg Dahle Aasen Vik",
    "da": "Krog Lindhardt Bach Holm Dam Skov Vestergaard Kjær Bech Juhl Nielsen Jensen "
    "Rasmussen Mortensen Friis Overgaard",
    "en": "O'Connor Sharma Fletcher Hughes Bennett Carter Walsh Murphy Shaw Price Smith Jones "
    "Taylor Brown Ellis Hayes",
}
STREETS = {
    "fi": "Hämeenkatu Aleksanterinkatu Rauhankatu Koivukuja Pihlajatie Satamakatu Rantatie "
    "Mäntytie Yliopistonkatu Kalevankatu Sibeliuksenkatu Tehtaankatu Ratapihantie Kirkkokatu",
    "sv": "Storgatan Drottninggatan Kungsgatan Sveavägen Vasagatan Björkvägen Götgatan "
    "Ringvägen Hantverkargatan Skolgatan Järnvägsgatan Tallvägen Linnégatan Odengatan",
    "nb": "Storgata|Kirkeveien|Bjerkeveien|Thorvald Meyers gate|Markveien|Bygdøy allé|"
    "Trondheimsveien|Sandviksveien|Kongens gate|Dronningens gate|Karl Johans gate|Skolegata",
    "da": "Vesterbrogade|Nørrebrogade|Jagtvej|Amagerbrogade|Frederiksberg Allé|Østerbrogade|"
    "Hovedgaden|Søndergade|Algade|Bredgade|Skovvej|Strandvejen|Kirkevej|Nørregade",
    "en": "Baker Street|High Street|Station Road|Church Lane|Victoria Road|Mill Lane|"
    "Park Avenue|Kings Road|Oxford Road|Green Lane|Manor Close|Albert Street",
}
TOWNS = {
    "fi": [("00100", "Helsinki"), ("33100", "Tampere"), ("20100", "Turku"), ("90100", "Oulu"),
           ("40100", "Jyväskylä"), ("02100", "Espoo"), ("15100", "Lahti")],
    "sv": [("114 51", "Stockholm"), ("411 03", "Göteborg"), ("211 22", "Malmö"),
           ("753 20", "Uppsala"), ("582 24", "Linköping"), ("903 26", "Umeå")],
    "nb": [("0154", "Oslo"), ("5003", "Bergen"), ("7011", "Trondheim"), ("4006", "Stavanger"),
           ("9008", "Tromsø"), ("3015", "Drammen")],
    "da": [("1620", "København V"), ("2200", "København N"), ("8000", "Aarhus C"),
           ("5000", "Odense C"), ("9000", "Aalborg"), ("7100", "Vejle")],
    "en": [("NW1 6XE", "London"), ("M1 1AE", "Manchester"), ("LS1 4DY", "Leeds"),
           ("BS1 5TR", "Bristol"), ("EH1 1YZ", "Edinburgh")],
}  # fmt: skip


def make_name(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(GIVEN[lang].split())} {rng.choice(FAMILY[lang].split())}"


def make_first(rng: random.Random, lang: str) -> str:
    return rng.choice(GIVEN[lang].split())


def _streets(lang: str) -> list[str]:
    return STREETS[lang].split("|") if "|" in STREETS[lang] else STREETS[lang].split()


def make_street(rng: random.Random, lang: str) -> str:
    street, number = rng.choice(_streets(lang)), rng.randint(1, 120)
    if lang == "en":
        return f"{number}{rng.choice(['', '', 'A', 'B'])} {street}"
    extra = {
        "fi": rng.choice(["", "", f" {rng.choice('ABC')} {rng.randint(1, 40)}", " as 5", "b"]),
        "sv": rng.choice(["", "", f", lgh {rng.randint(1001, 1304)}", "B"]),
        "nb": rng.choice(["", "", "B", f", H0{rng.randint(1, 4)}0{rng.randint(1, 6)}"]),
        "da": rng.choice(["", "", f", {rng.randint(1, 5)}. {rng.choice(['tv', 'th'])}", ", st."]),
    }[lang]
    return f"{street} {number}{extra}".replace(f"{number}b", f"{number}b")


def make_postcity(rng: random.Random, lang: str) -> str:
    code, town = rng.choice(TOWNS[lang])
    return f"{town} {code}" if lang == "en" else f"{code} {town}"


def make_address(rng: random.Random, lang: str) -> str:
    return f"{make_street(rng, lang)}, {make_postcity(rng, lang)}"


EMAIL_DOMAINS = {
    "fi": "gmail.com hotmail.fi kolumbus.fi outlook.com",
    "sv": "gmail.com telia.com hotmail.se bredband.net",
    "nb": "gmail.com online.no hotmail.no icloud.com",
    "da": "gmail.com mail.dk hotmail.dk jubii.dk",
    "en": "gmail.com yahoo.co.uk outlook.com btinternet.com",
}


def make_email(rng: random.Random, lang: str) -> str:
    first, last = make_name(rng, lang).lower().split(" ", 1)
    plain = str.maketrans("äöåæøé'", "aoaaoe-")
    first, last = first.translate(plain), last.translate(plain).replace("-", "")
    local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}",
                        f"{first}_{last}", f"{first}.{last}+shop"])  # fmt: skip
    domain = rng.choice(EMAIL_DOMAINS[lang].split())
    address = f"{local}@{domain}"
    return address.capitalize() if rng.random() < 0.1 else address


GENERATORS: dict[str, tuple[str, Gen]] = {
    "email": ("EMAIL", make_email),
    "phone": ("PHONE", make_phone),
    "nid": ("NATIONAL_ID", lambda rng, lang: make_national_id(rng, lang)),
    "iban": ("IBAN", make_iban),
    "card": ("CARD", make_card),
    "order": ("ORDER_NUMBER", make_order),
    "tracking": ("TRACKING_NUMBER", make_tracking),
    "name": ("PERSON_NAME", make_name),
    "first": ("PERSON_NAME", make_first),
    "address": ("ADDRESS", make_address),
    "street": ("ADDRESS", make_street),
    "postcity": ("ADDRESS", make_postcity),
}


# --- Things that are not personal data but look a little like it -----------------------------


def _amount(rng: random.Random) -> tuple[int, int]:
    return rng.choice([19, 25, 29, 35, 39, 49, 59, 79, 89, 99, 129, 149, 199, 249, 299, 1299]), (
        rng.choice([0, 0, 50, 90, 95])
    )


def make_price(rng: random.Random, lang: str) -> str:
    whole, cents = _amount(rng)
    big = f"{whole // 1000} {whole % 1000:03d}" if whole >= 1000 else str(whole)
    return rng.choice({
        "fi": [f"{big},{cents:02d} €", f"{whole}€", f"{whole} euroa", f"€ {whole},{cents:02d}"],
        "sv": [f"{big} kr", f"{whole}:-", f"SEK {whole}", f"{whole},{cents:02d} kr"],
        "nb": [f"kr {whole}", f"{whole},-", f"{big} kr", f"NOK {whole}"],
        "da": [f"{whole} kr.", f"DKK {whole}", f"{whole},{cents:02d} kr", f"kr. {big}"],
        "en": [f"£{whole}", f"€{whole}.{cents:02d}", f"${whole}", f"{whole} euros"],
    }[lang])  # fmt: skip


def make_ean(rng: random.Random, _lang: str) -> str:
    body = rng.choice(["64", "73", "70", "57", "50"]) + "".join(
        rng.choice("0123456789") for _ in range(10)
    )
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str(-total % 10)


def make_date(rng: random.Random, lang: str) -> str:
    d, m = rng.randint(1, 28), rng.randint(1, 12)
    return rng.choice({
        "fi": [f"{d}.{m}.2026", f"{d}.{m}.", f"{d:02d}.{m:02d}.2025"],
        "sv": [f"2026-{m:02d}-{d:02d}", f"{d}/{m}", f"den {d} mars"],
        "nb": [f"{d:02d}.{m:02d}.2026", f"{d}. mai", f"{d}.{m}"],
        "da": [f"{d}/{m}", f"{d:02d}.{m:02d}.26", f"den {d}. juni"],
        "en": [f"{d:02d}/{m:02d}/2026", f"March {d}", f"{d} May"],
    }[lang])  # fmt: skip


def _pick(options: str) -> Gen:
    return lambda rng, _lang: rng.choice(options.split("|"))


FILLERS: dict[str, Gen] = {
    "price": make_price,
    "date": make_date,
    "ean": make_ean,
    "time": _pick("klo 14.30|kl. 09:00|kl 16|10:45|at 5pm|klo 8-16|kl. 10-18"),
    "size": _pick("EU 42|XL|W32 L34|US 9.5|38/40|str. 44|M|S/M|size 10|koko 120|36 38 40"),
    "sku": _pick(
        "SKU-4411-BLK|art.nr 100234-05|1234-567-89|ART 998877|item 7301-22|"
        "SKU 55120-GRN|tuote 51234|varenr. 20331|PRD-2026-118"
    ),
    "code": _pick("SUMMER25|KEVÄT15|SOMMAR20|HØST30|BLACKWEEK|WELCOME10|VINTER-2026|JUL50"),
    "qty": _pick("2 kpl|3 st|4 stk|5 pcs|2 par|1 pari|10 stk|6 st"),
    "brand": _pick(
        "Hugo Boss|Helly Hansen|Fjällräven|Marimekko|Ralph Lauren|Tommy Hilfiger|"
        "Levi's|Björn Borg|Peak Performance|Norrøna|Bergans|Georg Jensen|"
        "Filippa K|Nike|Ecco|Tiger of Sweden|Calvin Klein"
    ),
    "product": _pick(
        "Aino-mekko|Kuura-takki|Emma-laukun|Olivia blouse|Oscar chinos|"
        "Merino Base Layer|Trail Runner GTX|Arctic Parka|Kånken 16|Air Max 90|"
        "Levi's 501|Storm Jacket 2.0|Ullgenser Classic"
    ),
    "measure": _pick("2,5 kg|30 x 40 cm|1000 mAh|500 ml|1,2 m|75 cm|3 kg|45 l"),
    "pct": _pick("-30 %|20%|50 %|-15%|70 prosent"),
    "year": _pick("2019|2021|2024|2025"),
    "model": _pick("iPhone 15|Galaxy S24|Pixel 8|Kindle 11|PS5"),
    "days": _pick("2-4|3\u20135|1-2|5-7|14|30|100"),
}
FILLER_CITY = {
    "fi": "Tampereelle|Ouluun|Helsinkiin|Rovaniemelle|Ahvenanmaalle|Kuopioon|Turkuun",
    "sv": "Malmö|Göteborg|Kiruna|Visby|Umeå|Åland|Stockholm",
    "nb": "Tromsø|Bergen|Svalbard|Bodø|Oslo|Ålesund|Kirkenes",
    "da": "Aarhus|Bornholm|Odense|Færøerne|Grønland|Aalborg|Esbjerg",
    "en": "Bergen|Helsinki|Reykjavik|the Åland Islands|Stockholm|Copenhagen|Oslo",
}

# --- Templates: {key} is a generated value; PII keys are labelled, filler keys are not --------

PII_TEMPLATES = {
    "fi": """Hei, missä tilaukseni {order} viipyy?
tilausnumero on #{order}, kiitos
Paketti {tracking} ei ole liikkunut {date} jälkeen
seurantakoodi {tracking} ei toimi
Voitteko lähettää kuitin osoitteeseen {email}
sähköpostini on {email} ja tilaus {order}
Soittakaa minulle numeroon {phone}
puh {phone}, tavoittaa {time}
Minut tavoittaa numerosta {phone} iltaisin
Hetuni on {nid}, tarvitsetteko sitä?
henkilötunnus {nid} jos pitää tunnistautua
Palauttakaa rahat tilille {iban}
tilinumero: {iban}
Maksoin kortilla {card} mutta veloitus tuli kahdesti
kortin numero {card}, voiko sen poistaa?
Nimeni on {name} ja tilasin {product} {date}
Tilasin lahjan nimellä {name}, onko se lähtenyt?
Terveisin\\n{name}
Kiitos avusta! t. {first}
Muutin juuri, uusi osoite on {address}
Toimitusosoite: {address}
Voiko paketin toimittaa osoitteeseen {street}?
Paketin vastaanottaja on {name}, {address}
{name} tässä, kysyisin tilauksesta {order}
Olen {first} ja tilasin {qty} {product}
Hei! Tilasin {date} {product}, tilausnumero {order}. Terveisin {name}, puh {phone}
Äitini {name} tilasi minulle lahjan, voiko sen palauttaa?
Voitteko vaihtaa tilauksen {order} sähköpostiksi {email}?
laitoin rahat {price} tilille {iban} mutta tilaus {order} on yhä auki
Postinumero ja kaupunki: {postcity}""",
    "sv": """Var är min beställning {order}?
ordernummer {order} har inte kommit än
Kollinumret är {tracking}, det står still sedan {date}
spårningsnummer: {tracking}
Skicka kvittot till {email} tack
min mejl är {email}
Ring mig på {phone} efter {time}
mobil {phone}
Ni når mig på {phone}
Mitt personnummer är {nid}
personnr {nid}, behöver ni det för returen?
Återbetala till kontot {iban}
IBAN: {iban}
Jag betalade med kortet {card} men fick ingen bekräftelse
kortnummer {card}
Jag heter {name} och beställde {product} {date}
Beställningen gjordes av {name} i förra veckan
Med vänlig hälsning\\n{name}
Tack för hjälpen! /{first}
Jag har flyttat, ny adress: {address}
Leveransadress {address}
Kan ni skicka paketet till {street} istället?
Mottagare: {name}, {address}
Hej, det är {first} här. Var är order {order}?
Hej! Beställde {qty} {product} med order {order}. Mvh {name}, tel {phone}
Min sambo {name} har beställt åt mig, kan jag returnera?
Kan ni byta mejladressen på order {order} till {email}?
Jag bor på {address}
Postnummer: {postcity}""",
    "nb": """Hvor er bestillingen min {order}?
ordrenummer {order}, fortsatt ikke levert
Sporingsnummeret er {tracking}, ingenting skjer siden {date}
sporing: {tracking}
Kan dere sende kvitteringen til {email}?
eposten min er {email}
Ring meg på {phone} etter {time}
mobilnummer {phone}
Dere kan nå meg på {phone}
Fødselsnummeret mitt er {nid}
fnr {nid} hvis dere trenger det
Tilbakebetal til konto {iban}
kontonummer (IBAN) {iban}
Jeg betalte med kort {card}, men ble trukket to ganger
kortnummer {card}
Jeg heter {name} og bestilte {product} {date}
Pakken er adressert til {name}
Med vennlig hilsen\\n{name}
Takk for hjelpen! Hilsen {first}
Jeg har flyttet, ny adresse er {address}
Leveringsadresse: {address}
Kan dere levere til {street} i stedet?
Mottaker: {name}, {address}
Hei, {first} her. Hvor er ordre {order}?
Hei! Bestilte {qty} {product}, ordre {order}. Mvh {name}, tlf {phone}
Kona mi {name} bestilte til meg, kan jeg returnere?
Kan dere endre e-post på ordre {order} til {email}?
Mitt navn er {name}, bor i {address}
Postnummer og sted: {postcity}""",
    "da": """Hvor er min ordre {order}?
ordrenummer {order} er ikke kommet
Trackingnummeret er {tracking}, der er ikke sket noget siden {date}
pakkenummer: {tracking}
Send kvitteringen til {email}
min mail er {email}
Ring til mig på {phone} efter {time}
mobil {phone}
I kan fange mig på {phone}
Mit CPR-nummer er {nid}
cpr {nid}, skal I bruge det?
Pengene bedes overført til {iban}
IBAN {iban}
Jeg betalte med kort {card}, men beløbet blev trukket to gange
kortnummer {card}
Jeg hedder {name} og bestilte {product} {date}
Ordren er bestilt af {name}
Med venlig hilsen\\n{name}
Tak for hjælpen! Hilsen {first}
Jeg er flyttet, ny adresse: {address}
Leveringsadresse {address}
Kan pakken leveres til {street} i stedet?
Modtager: {name}, {address}
Hej, det er {first}. Hvor er ordre {order}?
Hej! Bestilte {qty} {product}, ordre {order}. Mvh {name}, tlf {phone}
Min kæreste {name} har bestilt til mig, kan jeg returnere?
Kan I ændre mailen på ordre {order} til {email}?
Mit navn er {name} og jeg bor på {address}
Postnr. og by: {postcity}""",
    "en": """Where is my order {order}?
order #{order} still hasn't arrived
Tracking number {tracking} hasn't moved since {date}
my tracking code is {tracking}
Please send the receipt to {email}
you can email me at {email}
Call me on {phone} after {time}
phone: {phone}
You can reach me at {phone}
My personal ID is {nid} if you need it
national id {nid}
Please refund to {iban}
IBAN {iban}
I paid with card {card} but was charged twice
card number {card}
My name is {name} and I ordered {product} on {date}
The order was placed by {name} last week
Kind regards,\\n{name}
Thanks for the help! {first}
I've moved, my new address is {address}
Delivery address: {address}
Could you deliver to {street} instead?
Recipient: {name}, {address}
Hi, {first} here. Where is order {order}?
Hi! Ordered {qty} {product}, order {order}. Regards, {name}, tel {phone}
My wife {name} ordered it for me, can I return it?
Can you change the email on order {order} to {email}?
I'm {first}, I live at {address}
Postcode: {postcity}""",
}

NON_PII_TEMPLATES = {
    "fi": """Paljonko toimitus maksaa {city}?
Paita maksaa {price}, onko siitä muita värejä?
Onko {product} kokoa {size} varastossa?
Alennuskoodi {code} ei toimi kassalla
tuotekoodi {sku}, milloin tulee lisää?
Tilasin {qty}, mutta yksi puuttui
Toimitusaika on {days} arkipäivää?
Oletteko auki {time}?
Onko {brand} -merkin tuotteita alessa {pct}?
Paketti painaa {measure}, mahtuuko se automaattiin?
Kauppa on ollut meillä suosikki vuodesta {year}
Anna palautusohjeet, kiitos
Toimitatteko {city} {date} mennessä?
EAN {ean} - onko tämä sama tuote?
Toimiiko laturi {model}-puhelimeen?
Kuinka kauan palautusoikeus on voimassa, {days} päivää?
Hei! Voinko maksaa Klarnalla?
Tuleeko {product} uudestaan myyntiin {date}?
{brand} {product} kokoa {size} hintaan {price}?
Onko {product} pestävissä 40 asteessa?""",
    "sv": """Vad kostar frakten till {city}?
Tröjan kostar {price}, finns den i fler färger?
Finns {product} i storlek {size}?
Rabattkoden {code} fungerar inte
artikelnummer {sku}, när kommer fler?
Jag beställde {qty} men en saknades
Är leveranstiden {days} vardagar?
Har ni öppet {time}?
Är {brand} på rea {pct}?
Paketet väger {measure}, går det till ett paketskåp?
Jag har handlat hos er sedan {year}
Per styck eller per par?
Levererar ni till {city} före {date}?
EAN {ean}: är det samma produkt?
Passar skalet till {model}?
Hur många dagar öppet köp, {days}?
Hej! Kan jag betala med Swish?
Kommer {product} tillbaka {date}?
{brand} {product} i {size} för {price}?
Tål {product} tvätt i 60 grader?""",
    "nb": """Hva koster frakt til {city}?
Genseren koster {price}, finnes den i flere farger?
Har dere {product} i størrelse {size}?
Rabattkoden {code} virker ikke
varenummer {sku}, når kommer det flere?
Jeg bestilte {qty}, men en manglet
Er leveringstiden {days} virkedager?
Har dere åpent {time}?
Er {brand} på salg {pct}?
Pakken veier {measure}, kan den sendes til pakkeautomat?
Har handlet hos dere siden {year}
Tor det være mulig å bytte størrelse?
Leverer dere til {city} innen {date}?
EAN {ean} - er det samme vare?
Passer dekselet til {model}?
Hvor mange dager er åpent kjøp, {days}?
Hei! Kan jeg betale med Vipps?
Kommer {product} tilbake {date}?
{brand} {product} i {size} til {price}?
Tåler {product} vask på 40 grader?""",
    "da": """Hvad koster fragt til {city}?
Trøjen koster {price}, findes den i flere farver?
Har I {product} i størrelse {size}?
Rabatkoden {code} virker ikke
varenummer {sku}, hvornår kommer der flere?
Jeg bestilte {qty}, men en manglede
Er leveringstiden {days} hverdage?
Har I åbent {time}?
Er {brand} på udsalg {pct}?
Pakken vejer {measure}, kan den sendes til pakkeshop?
Har handlet hos jer siden {year}
Kan man bytte til en anden størrelse?
Leverer I til {city} inden {date}?
EAN {ean} - er det samme vare?
Passer coveret til {model}?
Hvor mange dages returret, {days}?
Hej! Kan jeg betale med MobilePay?
Kommer {product} tilbage {date}?
{brand} {product} i {size} til {price}?
Kan {product} vaskes ved 40 grader?""",
    "en": """How much is shipping to {city}?
The jumper is {price}, does it come in other colours?
Do you have {product} in size {size}?
Discount code {code} doesn't work
product code {sku}, when will it be back?
I ordered {qty} but one was missing
Is delivery {days} working days?
Are you open {time}?
Is {brand} on sale {pct}?
The parcel weighs {measure}, can it go to a parcel locker?
Been a customer since {year}
Will Grace Period apply to returns?
Do you deliver to {city} by {date}?
EAN {ean} - is that the same item?
Does the case fit the {model}?
How many days is the return window, {days}?
Hi! Can I pay with Klarna?
Will {product} be back on {date}?
{brand} {product} in {size} for {price}?
Can {product} be washed at 40 degrees?""",
}
_KEY_RE = re.compile(r"\{(\w+)\}")


def fill(template: str, lang: str, rng: random.Random) -> tuple[str, list[dict[str, object]]]:
    """The message and its labelled entities (filler values are not labelled)."""
    text, entities, position = "", [], 0
    template = template.replace("\\n", "\n")
    for match in _KEY_RE.finditer(template):
        text += template[position : match.start()]
        key = match[1]
        if key in GENERATORS:
            kind, generate = GENERATORS[key]
            value = generate(rng, lang)
            entities.append({"type": kind, "start": len(text), "end": len(text) + len(value)})
        elif key == "city":
            value = rng.choice(FILLER_CITY[lang].split("|"))
        else:
            value = FILLERS[key](rng, lang)
        text += value
        position = match.end()
    return text + template[position:], entities


def build(seed: int, per_language: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for lang in LANGUAGES:
        with_pii = PII_TEMPLATES[lang].splitlines()
        without = NON_PII_TEMPLATES[lang].splitlines()
        for index in range(per_language):
            # Cycle through the templates so each is used about equally; values are random.
            pool = with_pii if rng.random() < PII_SHARE else without
            template = pool[index % len(pool)] if rng.random() < 0.5 else rng.choice(pool)
            text, entities = fill(template, lang, rng)
            rows.append({"text": text, "language": lang, "entities": entities})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-language", type=int, default=400)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = build(args.seed, args.per_language)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    clean = sum(not row["entities"] for row in rows)
    print(f"wrote {len(rows)} messages ({clean} without personal data) to {args.out}")


if __name__ == "__main__":
    main()
