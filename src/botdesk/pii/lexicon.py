"""Small word lists for the name and address heuristics: names, brands, cities, stop words.

Written by hand for this project (no downloaded gazetteer): the most common given names and
surnames in Finland, Sweden, Norway, Denmark and English-speaking countries. A list is evidence,
not a gate: after a cue such as "my name is" any capitalised word is taken, so a name missing
here is still found there. Without a cue a name is only taken as a given name from this list
followed by a surname-like word, which is what keeps product and brand names out.
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


FIRST_NAMES = _words(
    """
    Aada Aake Aapo Aarne Aila Aili Aino Aki Aleksi Ali Alli Anja Anna Anne Anneli Anni Antero
    Antti Ari Arja Arto Asko Eemeli Eero Eeva Eija Eila Eino Elias Elina Elisa Ella Emilia Emma
    Erkki Esa Hanna Hannu Harri Heidi Heikki Helena Heli Helmi Henna Iida Ilkka Ilona Irja Jaana
    Janne Jari Jarmo Jenni Johanna Jouni Juha Juho Jukka Jussi Jyrki Kaarina Kai Kaija Kaisa
    Kalle Kari Karoliina Katja Kimmo Kirsi Kristiina Kyllikki Laura Leena Leevi Liisa Lotta
    Maarit Maija Marja Marjatta Marjo Markku Marko Matias Matti Merja Mervi Mika Mikko Minna
    Mirja Noora Oona Onni Outi Paavo Pasi Paula Pekka Pentti Petri Pirjo Raija Raimo Reijo
    Riikka Risto Ritva Sanna Sari Satu Seppo Siiri Sini Sirpa Taina Tapani Tapio Tarja Teemu
    Terhi Timo Tiina Tuomas Tuula Tuuli Ulla Veeti Veikko Venla Vesa Ville Väinö
    Agnes Alma Anders Annika Astrid Axel Birgitta Björn Bo Ebba Elin Elsa Erik Filip Frida
    Gunilla Gustav Göran Hampus Hugo Ingrid Isak Jan Johan Jonas Josefin Karin Kerstin Klara
    Kristina Lars Leif Lena Linnea Lisa Ludvig Magnus Maja Malin Margareta Mats Moa Nils Olle
    Olof Oskar Per Rut Sara Siv Stina Sven Sofia Ture Ulf Ulrika Viktor Vilma Wilma Åsa
    Arne Bjørn Eirik Eivind Endre Espen Geir Gunnar Guro Halvor Hege Henrik Håkon Ingeborg Ivar
    Jorunn Kjersti Kjetil Knut Kristian Lise Marit Mathias Nora Odd Ola Ole Ragnhild Randi
    Rune Sigrid Silje Solveig Stian Synnøve Terje Tone Tor Tore Torbjørn Trond Tuva Vegard Åse
    Birgit Casper Dorthe Emil Freja Frederik Ida Jens Jesper Kirsten Lone Lærke Mads Mette
    Mikkel Niels Pernille Poul Rasmus Signe Søren Tobias Trine Ulrik
    Adam Alice Amy Andrew Ben Charlotte Chris Daniel David Emily Grace Hannah Harry Helen Jack
    Jacob James Jane Jessica John Joseph Kate Liam Lucy Mark Mary Michael Noah Oliver Olivia
    Paul Peter Rachel Robert Ruby Sam Sarah Sophie Thomas Tom William
    Aapeli Aaro Aatu Anni Arttu Eelis Eetu Elli Hilla Ilmari Jaakko Janika Jenna Joel Joona
    Joonas Josefiina Kalevi Kerttu Kimi Lassi Lauri Lilja Linnea Lumi Milla Minttu Niilo Nelli
    Oskari Otto Pauliina Peppi Pihla Rasmus Reino Saana Sakari Samuli Santeri Selma Sofia Suvi
    Toni Topias Tuomo Urho Valtteri Veera Vilho Vilja Aleksanteri
    Albin Alicia Alva Alvin Arvid Bengt Caroline Dag Edvin Ellen Embla Emelie Estelle Gösta
    Hedvig Hilma Holger Ines Ingela Ingemar Jöns Kjell Lage Leo Liv Linus Lovisa Majken Melker
    Matilda Nellie Noel Ronja Rune Saga Sigge Sixten Stig Svea Tage Tilde Tyra Valter Vera
    Wilhelm Ylva Åke
    Amund Andreas Aud Audun Brage Eline Frode Gro Halvard Hedda Helge Ingvild Jostein Kristoffer
    Linn Live Magne Marte Mia Oda Ove Peder Sindre Sivert Snorre Steinar Sunniva Synne Thea
    Tiril Torstein Vebjørn Vetle Vilde Øystein Åsmund
    Anker Bente Birthe Carsten Cecilie Dorte Esben Flemming Gitte Hanne Helle Jakob Jeppe
    Kasper Karoline Lasse Line Malene Nanna Ole Palle Preben Sofie Susanne Torben Villads
    Aidan Callum Charlie Chloe Ella Ethan Evie Finn Freddie George Harriet Isla Jasmine Leo
    Megan Mia Millie Niamh Oscar Poppy Priya Rhys Rosie Seren Zoe
    """
)

SURNAMES = _words(
    """
    Ahonen Heikkilä Heikkinen Heinonen Hämäläinen Jokinen Järvinen Karjalainen Kinnunen
    Koskinen Korhonen Laaksonen Lahtinen Laine Laitinen Lehtinen Lehtonen Leinonen Mattila
    Mäkelä Mäkinen Niemi Nieminen Rantanen Saarinen Salminen Salo Salonen Savolainen Toivonen
    Tuominen Turunen Virtanen Väisänen
    Andersson Berg Bengtsson Björk Ek Engström Eriksson Forsberg Gustafsson Hansson Holm
    Jansson Johansson Jonsson Karlsson Larsson Lindberg Lindqvist Lindström Lund Nilsson
    Nyström Olsson Persson Pettersson Sandberg Sjöberg Svensson Wallin Åberg
    Aas Andreassen Bakken Dahl Eide Eriksen Haug Haugen Hagen Halvorsen Hansen Henriksen
    Jacobsen Johannessen Johansen Johnsen Karlsen Kristiansen Larsen Lie Moen Nilsen Olsen
    Pedersen Pettersen Solberg Strand Sørensen Jørgensen
    Andersen Christensen Christiansen Jensen Kristensen Madsen Mortensen Møller Nielsen
    Petersen Poulsen Rasmussen Thomsen
    Allen Baker Brown Clark Clarke Cooper Davies Davis Edwards Evans Green Hall Harris Hill
    Hughes Jackson Johnson Jones King Lee Lewis Martin Miller Moore Morgan Morris Patel
    Roberts Robinson Smith Taylor Thomas Thompson Turner Walker Ward White Williams Wilson
    Wood Wright
    """
)

# Endings that mark a capitalised word as a Nordic surname ("Virtanen", "Lindgren").
SURNAME_ENDINGS = (
    "nen", "sson", "sen", "ssen", "berg", "ström", "qvist", "kvist", "lund", "gren", "dahl",
    "holm", "gaard", "gård", "mäki", "niemi", "lahti", "rud", "stad", "vik",
)  # fmt: skip

# "Hugo Boss" is a brand, not a Mr Boss: given name + capitalised word, yet not a person.
BRANDS = frozenset(
    b.lower()
    for b in (
        "Hugo Boss",
        "Ralph Lauren",
        "Tommy Hilfiger",
        "Calvin Klein",
        "Michael Kors",
        "Ted Baker",
        "Paul Smith",
        "Tom Ford",
        "Kate Spade",
        "Karl Lagerfeld",
        "Helly Hansen",
        "Jack Wolfskin",
        "Marc O'Polo",
        "Filippa K",
        "Tiger of Sweden",
        "Anna Sui",
        "Stella McCartney",
        "Jack Jones",
        "Emma Bridgewater",
    )
)

# Towns a postcode may precede; a postcode and a town with no street is still an address.
CITIES = _words(
    """
    helsinki espoo vantaa tampere turku oulu jyväskylä lahti kuopio pori joensuu lappeenranta
    hämeenlinna vaasa seinäjoki rovaniemi mikkeli kotka salo porvoo kokkola hyvinkää lohja
    järvenpää rauma kerava savonlinna kajaani nokia tuusula kirkkonummi kangasala
    stockholm göteborg malmö uppsala västerås örebro linköping helsingborg jönköping norrköping
    lund umeå gävle borås södertälje eskilstuna halmstad växjö karlstad sundsvall luleå östersund
    oslo bergen trondheim stavanger drammen fredrikstad kristiansand sandnes tromsø sarpsborg
    skien ålesund sandefjord haugesund tønsberg moss porsgrunn bodø arendal hamar larvik halden
    lillehammer molde harstad gjøvik kongsberg
    københavn copenhagen aarhus odense aalborg esbjerg randers kolding horsens vejle roskilde
    herning silkeborg næstved fredericia viborg køge holstebro slagelse hillerød svendborg
    frederiksberg hellerup
    london manchester birmingham leeds glasgow edinburgh bristol liverpool dublin
    """
)

# Capitalised words that open sentences and sign-offs; never part of a name after a cue.
NOT_NAMES = _words(
    """
    hei moi terve moikka kiitos kiitti hyvää päivää tervehdys ja tai mutta olen on oon
    hej hallå tack tackar och eller men jag är god dag hälsningar
    hallo takk tusen og eller jeg er tak hilsen
    hi hello hey thanks thank you and or but i am im the a an dear
    mvh vh br kr nok sek eur dkk order tilaus ordre paketti paket pakke parcel
    mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday
    maanantai tiistai keskiviikko torstai perjantai lauantai sunnuntai
    måndag tisdag onsdag torsdag fredag lördag söndag mandag tirsdag lørdag søndag
    """
)
