"""What the chat itself says when a conversation changes hands, per language.

These are stored as `system` messages (sealed like any other), so the transcript a shopper
downloads, and the one an agent reads, both show when a person joined, who took over and when
the chat ended. Form-field error messages for the pre-chat form live here too.
"""

from __future__ import annotations

NOTICES: dict[str, dict[str, str]] = {
    "queued": {
        "fi": "Olet jonossa. Asiakaspalvelija vastaa pian.",
        "sv": "Du står i kö. En kundtjänstmedarbetare svarar snart.",
        "nb": "Du står i kø. En kundebehandler svarer snart.",
        "en": "You're in the queue. A customer service agent will be with you shortly.",
    },
    # Issue #14: said by the bot as the offline message is acknowledged, so the shopper knows
    # the message is with a person and that the chat goes on with the bot meanwhile.
    "offline_acknowledged": {
        "fi": "Kiitos! Viestisi on nyt tiimillämme, ja vastaamme sähköpostitse. Sillä välin "
        "autan mielelläni muissa asioissa: kirjoita vain tähän.",
        "sv": "Tack! Ditt meddelande finns nu hos vårt team, och vi svarar via e-post. Under "
        "tiden hjälper jag gärna till med annat: skriv bara här.",
        "nb": "Takk! Meldingen din er nå hos teamet vårt, og vi svarer på e-post. I mellomtiden "
        "hjelper jeg gjerne med andre ting: bare skriv her.",
        "en": "Thanks — your message is with our team, and we'll answer by email. Meanwhile, "
        "I'm happy to help with anything else: just write here.",
    },
    "away_from_queue": {
        "fi": "Poistuit jonosta, koska olit poissa. Voit jatkaa botin kanssa kirjoittamalla tähän.",
        "sv": "Du togs bort ur kön eftersom du var borta. Skriv här för att fortsätta med boten.",
        "nb": "Du ble tatt ut av køen fordi du var borte. Skriv her for å fortsette med boten.",
        "en": "You left the queue because you were away. Write here to carry on with the bot.",
    },
    "left_queue": {
        "fi": "Poistuit jonosta. Voit jatkaa botin kanssa.",
        "sv": "Du lämnade kön. Du kan fortsätta med boten.",
        "nb": "Du forlot køen. Du kan fortsette med boten.",
        "en": "You left the queue. You can carry on with the bot.",
    },
    "joined": {
        "fi": "{name} liittyi keskusteluun.",
        "sv": "{name} anslöt till chatten.",
        "nb": "{name} ble med i chatten.",
        "en": "{name} joined the chat.",
    },
    "transferred": {
        "fi": "{name} jatkaa keskustelua kanssasi.",
        "sv": "{name} tar över chatten.",
        "nb": "{name} tar over chatten.",
        "en": "{name} has taken over the chat.",
    },
    "closed": {
        "fi": "Keskustelu on päättynyt. Kiitos!",
        "sv": "Chatten har avslutats. Tack!",
        "nb": "Chatten er avsluttet. Takk!",
        "en": "The chat has ended. Thank you!",
    },
    "answered_by_email": {
        "fi": "Vastasimme viestiisi sähköpostitse.",
        "sv": "Vi har svarat på ditt meddelande via e-post.",
        "nb": "Vi har svart på meldingen din på e-post.",
        "en": "We answered your message by email.",
    },
}

FIELD_ERRORS: dict[str, dict[str, str]] = {
    "required": {
        "fi": "Tämä tieto tarvitaan.",
        "sv": "Det här fältet behövs.",
        "nb": "Dette feltet må fylles ut.",
        "en": "This field is required.",
    },
    "email": {
        "fi": "Tarkista sähköpostiosoite, esim. nimi@esimerkki.fi.",
        "sv": "Kontrollera e-postadressen, t.ex. namn@exempel.se.",
        "nb": "Sjekk e-postadressen, f.eks. navn@eksempel.no.",
        "en": "Check the email address, e.g. name@example.com.",
    },
    "order_number": {
        "fi": "Tämä ei näytä tilausnumerolta.",
        "sv": "Det här ser inte ut som ett ordernummer.",
        "nb": "Dette ser ikke ut som et ordrenummer.",
        "en": "This doesn't look like an order number.",
    },
    "topic": {
        "fi": "Valitse aihe listalta.",
        "sv": "Välj ett ämne i listan.",
        "nb": "Velg et emne fra listen.",
        "en": "Choose a topic from the list.",
    },
    "too_long": {
        "fi": "Teksti on liian pitkä.",
        "sv": "Texten är för lång.",
        "nb": "Teksten er for lang.",
        "en": "This is too long.",
    },
    "consent": {
        "fi": "Hyväksy tietojen käsittely jatkaaksesi.",
        "sv": "Godkänn behandlingen av uppgifterna för att fortsätta.",
        "nb": "Godta behandlingen av opplysningene for å fortsette.",
        "en": "Please accept the processing of your details to continue.",
    },
}


def notice(key: str, language: str, **values: str) -> str:
    texts = NOTICES[key]
    return (texts.get(language) or texts["en"]).format(**values)


def field_error(key: str, language: str) -> str:
    texts = FIELD_ERRORS[key]
    return texts.get(language) or texts["en"]
