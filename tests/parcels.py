"""Parcel tracking numbers for tests, their check digits computed here and not by botdesk."""

from __future__ import annotations

# Written from the carriers' and GS1's descriptions rather than from botdesk.pii.shipments, so a
# wrong rule there cannot agree with itself here.

_UPS_LETTERS = {letter: (i + 2) % 10 for i, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def with_gs1(body: str) -> str:
    """`body` and its GS1 mod-10 check digit: weight 3 on the digit next to it, then 1, 3, ..."""
    total = 0
    for position_from_right, digit in enumerate(reversed(body), start=1):
        total += int(digit) * (3 if position_from_right % 2 else 1)
    return body + str((10 - total % 10) % 10)


def s10(service: str, serial: str, country: str) -> str:
    """A UPU S10 number: weights 8 6 4 2 3 5 9 7, 11 minus the sum mod 11, 10 -> 0, 11 -> 5."""
    remainder = sum(w * int(d) for w, d in zip((8, 6, 4, 2, 3, 5, 9, 7), serial, strict=True))
    check = {10: 0, 11: 5}.get(11 - remainder % 11, 11 - remainder % 11)
    return f"{service}{serial}{check}{country}"


def dhl_waybill(first_nine: str) -> str:
    """A DHL Express waybill: nine digits, then their value modulo 7."""
    return first_nine + str(int(first_nine) % 7)


def ups(after_1z: str) -> str:
    """A UPS 1Z number from the 15 characters after "1Z": odd places once, even places twice."""
    values = [int(ch) if ch.isdigit() else _UPS_LETTERS[ch] for ch in after_1z]
    total = sum(v * (1 if place % 2 else 2) for place, v in enumerate(values, start=1))
    return f"1Z{after_1z}{(10 - total % 10) % 10}"


def wrong_check(valid: str) -> str:
    """The same number with its last (check) digit changed."""
    return valid[:-1] + ("1" if valid[-1] == "0" else "0")


def luhn_valid(digits: str) -> bool:
    """Whether a number passes the Luhn check payment cards use."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# One synthetic number per shape; none is a real parcel.
POSTNORD_SE = with_gs1("37350001234567890")  # SSCC, Swedish GS1 prefix 735
POSTNORD_DK = with_gs1("05790000000012345")  # SSCC, Danish GS1 prefix 579
BRING_PACKAGE = with_gs1("37070000000012345")  # SSCC, Norwegian GS1 prefix 707
BRING_SHIPMENT = with_gs1("7070000000012345")  # 17-digit GSIN, Norwegian prefix
FINNISH_SSCC = with_gs1("36400000000012345")  # valid SSCC, GS1 Finland: no carrier's
DHL_WAYBILL = dhl_waybill("123456789")
DHL_JJD = "JJD000390000000001"
DHL_JVGL = "JVGL0599990000000001"
UPS_SAMPLE = "1Z999AA10123456784"  # the example in UPS's own documentation
MATKAHUOLTO = "MH1234567890"
JJFI = "JJFI12345678901234567"
