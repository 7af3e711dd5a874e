"""Detection, masking and redaction of personal data and shop identifiers in chat text."""

# Design: each detector module (contacts, identifiers, shipments) turns text into candidate
# Entity spans with a normalised value: a precompiled regex proposes, a validator confirms
# (phonenumbers' ranges, python-stdnum's checksums, the S10 check digit, the tenant's regex).
# detect() pools the candidates and keeps the longest span where they overlap, so one piece of
# text is one entity. Everything tenant-specific lives in EntityPatterns, validated once when a
# tenant's config is loaded; detection itself is a pure function, so the bot (slot filling,
# masking before intent classification) and privacy tooling (redacting logs and question
# samples) share one implementation.
#
# Person names and street addresses (names.py, addresses.py) are heuristic: cue words,
# capitalisation, a small lexicon and per-country address shapes. They are left out of detect(),
# whose exact identifiers the bot relies on, and added by find_personal_data()/redact_personal()
# (personal.py), which redaction of logs, question samples and `botdesk pii redact` use; so are
# disguised emails, IP addresses, URLs with parameters, secrets after "password" and kin
# (network.py, credentials.py), and the 5+ digit default for a tenant that declared no
# order-number shape (numbers.py). Question samples go further (redact_sample): the shop's own
# contact details pass (business.py), and a text the redactor is unsure of is dropped (doubts.py).

from botdesk.pii.business import BusinessContacts
from botdesk.pii.detector import detect, entity_values
from botdesk.pii.doubts import doubts
from botdesk.pii.entities import Entity, EntityType, mask, redact
from botdesk.pii.patterns import EntityPatterns
from botdesk.pii.personal import (
    find_personal_data,
    redact_personal,
    redact_sample,
    subject_identifiers,
)
from botdesk.pii.postcodes import find_postcodes, normalise_postcode
from botdesk.pii.shipments import TRACKING_FORMATS

__all__ = [
    "TRACKING_FORMATS",
    "BusinessContacts",
    "Entity",
    "EntityPatterns",
    "EntityType",
    "detect",
    "doubts",
    "entity_values",
    "find_personal_data",
    "find_postcodes",
    "mask",
    "normalise_postcode",
    "redact",
    "redact_personal",
    "redact_sample",
    "subject_identifiers",
]
