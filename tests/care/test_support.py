"""Support lines: recognising them in posts, suggesting confirmed ones for an audience."""

from __future__ import annotations

import pytest

from scheduler.care.support import gives_support, suggest, support_data

RECOGNISED = [
    "Samaritans: 116 123",
    "call 116123",
    "Call 116-123 any time",
    "text SHOUT to 85258",
    "Beat helpline: 0808 801 0677",
    "beateatingdisorders.org.uk",
    "Mind Infoline",
    "llama al 024",
    "appelez le 3114",
    "ffoniwch 0808 164 0123",
    "call or text 988",
    "Lifeline 13 11 14",
    "Teléfono de la Esperanza",
]
NOT_RECOGNISED = [
    "Shout out to our volunteers!",
    "Mind how you go on the ice.",
    "Beat the rush: arrive early.",
    "Doors open at 10:30.",
    "Team photo at 9am",
]


@pytest.mark.parametrize("text", RECOGNISED)
def test_support_is_recognised(text: str) -> None:
    assert gives_support([text])


@pytest.mark.parametrize("text", NOT_RECOGNISED)
def test_everyday_words_are_not_support(text: str) -> None:
    assert not gives_support([text])


@pytest.mark.parametrize(
    ("topic", "locale", "language", "first"),
    [
        ("suicide", "en-GB", "en", "samaritans-uk"),
        ("suicide", "en-GB", "cy", "samaritans-welsh"),
        ("ed", "en-GB", "en", "beat-england"),
        ("suicide", "en-IE", "en", "samaritans-ie"),
        ("suicide", "en-US", "en", "lifeline-988-us"),
        ("ed", "en-US", "en", "lifeline-988-us"),  # no US eating-disorder line is shipped
        ("suicide", "fr-CA", "fr", "helpline-988-ca"),
        ("ed", "en-AU", "en", "butterfly-au"),
        ("suicide", "es-ES", "es", "linea-024-es"),
        ("suicide", "fr-FR", "fr", "numero-3114-fr"),
        ("suicide", "en-NZ", "en", "need-to-talk-nz"),
    ],
)
def test_suggestions_fit_the_audience(topic: str, locale: str, language: str, first: str) -> None:
    assert suggest(topic, locale, language)[0].id == first


def test_nothing_is_suggested_for_an_unknown_audience() -> None:
    assert suggest("suicide", "de-DE") == []
    assert suggest("suicide", None) == []


# Numbers the care notes mark unconfirmed (or closed): they must never be suggested.
UNCONFIRMED = [
    "03001233393",
    "0800585858",
    "1890200444",
    "717003717",
    "0972394050",
    "08088010432",
    "08088010433",
    "08088010434",
    "1800247247",
    "741741",
    "0800543354",
    "0508828865",
    "18002738255",
]


def test_only_confirmed_numbers_are_shipped() -> None:
    shipped = {n for line in support_data().lines for n in line.numbers}
    texts = " ".join(line.text for line in support_data().lines).replace(" ", "")
    for number in UNCONFIRMED:
        assert number not in shipped
        assert number not in texts
