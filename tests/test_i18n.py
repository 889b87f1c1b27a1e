"""English as a switch: the pages in English, the choice remembered, and a complete, current catalog.

German is the source language: templates and Python mark German strings, translations/en holds the
English. See translations/README.md for updating the catalog.
"""

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask_babel import refresh
from sqlalchemy import select

from spaces.labels import period
from spaces.models import Space

pytestmark = pytest.mark.usefixtures("demo_clock")  # the demo data's dates, as seen on 23 November 2026

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
POT = TRANSLATIONS / "messages.pot"
# The keywords of the extract command in translations/README.md (pybabel's defaults and these).
EXTRA_KEYWORDS = ["_l", "lazy_gettext", "phrase"]


def get(client, url):
    """The page at `url` as text.

    The client fixture runs every request inside the one app context of its rolled-back database
    session, so all requests share flask.g, where Flask-Babel keeps the locale it chose. Forget it,
    so that each request chooses again as it does in production (one app context per request).
    """
    refresh()
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _english_map_page(page):
    assert '<html lang="en">' in page
    assert "Rooms and meeting spots in Hannover" in page
    assert '<h2 id="filter-title">Search</h2>' in page
    for legend in ("Free on", "Equipment", "Nearby", "Type"):
        assert f"<legend>{legend}</legend>" in page
    assert "step-free access" in page and "Neighbourhood" in page
    assert "Outdoor meeting spot" in page  # a kind label, translated lazily in labels.py
    assert "up to 60 people" in page
    for german in ("Suche", "Frei am", "Ausstattung", "Treffpunkt im Freien</label>", "bis 60 Personen"):
        assert german not in page


def _german_map_page(page):
    assert '<html lang="de">' in page
    assert "Räume und Treffpunkte in Hannover" in page
    assert '<h2 id="filter-title">Suche</h2>' in page and "<legend>Frei am</legend>" in page
    assert "bis 60 Personen" in page
    assert "Free on" not in page


def test_map_page_in_english(client, demo):
    page = get(client, "/?lang=en")
    _english_map_page(page)
    assert "from Sept 2027" in page and "ab Sept. 2027" not in page  # Baufeld 3's planned room


def test_map_script_gets_english_words(client, demo):
    page = get(client, "/?lang=en")
    # map.js reads options.text; the "where am I" button gets its words from finder.py too.
    assert '"persons": "up to %(n)s people"' in page
    assert '"spaces_layer": "Rooms and meeting spots"' in page
    assert '"date_locale": "en-GB"' in page
    assert '"outdoor": "O"' in page  # the marker letter of an outdoor meeting spot
    assert "Where am I?" in page and "Wo bin ich?" not in page


def test_map_script_gets_german_words_by_default(client, demo):
    page = get(client, "/")
    assert '"date_locale": "de-DE"' in page
    assert '"outdoor": "T"' in page
    assert "Wo bin ich?" in page


def test_english_is_remembered_and_german_switches_back(client, demo):
    _german_map_page(get(client, "/"))
    _english_map_page(get(client, "/?lang=en"))
    _english_map_page(get(client, "/"))  # no ?lang: the session remembers English
    _german_map_page(get(client, "/?lang=de"))
    _german_map_page(get(client, "/"))


def test_unknown_language_keeps_the_current_one(client, demo):
    get(client, "/?lang=en")
    _english_map_page(get(client, "/?lang=fr"))


def test_space_page_in_english(client, demo, session):
    space = session.scalars(select(Space).filter_by(name="Die Übersee")).one()
    page = get(client, f"/raeume/{space.id}?lang=en")
    assert '<html lang="en">' in page
    assert "<dt>Type</dt><dd>Hall</dd>" in page
    assert "<dd>60 people</dd>" in page
    for words in ("Back to the map", "Opening hours", "How to book", "What's on?", "Free and booked times"):
        assert words in page, words
    assert "Öffnungszeiten" not in page and "So buchen Sie" not in page


def test_api_labels_follow_the_language(client, demo):
    def baufeld_3(url):
        refresh()
        features = client.get(url).get_json()["features"]
        planned = "Gemeinschaftsraum Baufeld 3 (geplant)"
        return next(f["properties"] for f in features if f["properties"]["name"] == planned)

    english = baufeld_3("/api/spaces?lang=en")
    assert (english["kind_label"], english["period_label"]) == ("Room", "from Sept 2027")
    german = baufeld_3("/api/spaces?lang=de")
    assert (german["kind_label"], german["period_label"]) == ("Raum", "ab Sept. 2027")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", ["ab Sept. 2027", "bis Dez. 2026", "ab März 2027, bis Mai 2028"]),
        ("en", ["from Sept 2027", "until Dec 2026", "from Mar 2027, until May 2028"]),
    ],
)
def test_period_label(app, lang, expected):
    today = date(2026, 6, 1)
    with app.test_request_context(f"/?lang={lang}"):
        refresh()
        assert [
            period(date(2027, 9, 1), None, today),
            period(date(2025, 1, 1), date(2026, 12, 31), today),  # started already: only the end counts
            period(date(2027, 3, 15), date(2028, 5, 31), today),
        ] == expected
        assert period(None, None, today) == ""


def test_period_label_is_german_outside_a_request():
    assert period(date(2027, 9, 1), date(2028, 12, 31), date(2026, 6, 1)) == "ab Sept. 2027, bis Dez. 2028"


# --------------------------------------------------------------------------- the catalog itself


def _key(message):
    """(context, singular msgid): plural messages are keyed by their singular, as pybabel does."""
    return (message.context, message.id if isinstance(message.id, str) else message.id[0])


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def _read_po():
    with PO.open("rb") as f:
        return read_po(f)


def test_every_message_is_translated():
    catalog = _read_po()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    untranslated = [m.id for m in messages if not all(m.string if isinstance(m.string, tuple) else [m.string])]
    assert untranslated == []
    assert [m.id for m in catalog if m.fuzzy] == []
    assert not catalog.obsolete, "obsolete entries: run pybabel update (translations/README.md)"
    # Placeholders such as %(n)s must survive translation.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_committed_mo_matches_the_po(tmp_path):
    compiled = tmp_path / "messages.mo"
    with compiled.open("wb") as f:
        write_mo(f, _read_po())
    with compiled.open("rb") as f:
        expected = {_key(m): _strings(m) for m in read_mo(f) if m.id}
    with MO.open("rb") as f:
        committed = {_key(m): _strings(m) for m in read_mo(f) if m.id}
    assert committed == expected, "messages.mo is stale: run pybabel compile -d translations"


def _extracted() -> set:
    """(context, msgid) of every string marked in the sources, found as the README's pybabel extract finds them."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    tops = {pattern.split("/")[0] for pattern, _ in method_map}
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    found = set()
    for _, _, message, _, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords,
        directory_filter=lambda d: Path(d).relative_to(ROOT).parts[0] in tops,
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_catalog_is_not_stale():
    extracted = _extracted()
    assert len(extracted) > 100
    assert ("Kartenbuchstabe für Saal", "S") in extracted  # pgettext is found
    assert (None, "Treffpunkt im Freien") in extracted  # lazy_gettext via _l is found
    with POT.open("rb") as f:
        template = {_key(m) for m in read_po(f) if m.id}
    translated = {_key(m) for m in _read_po() if m.id}
    hint = "run the commands in translations/README.md (extract, update, translate, compile)"
    assert sorted(extracted - translated, key=str) == [], f"strings without an English translation: {hint}"
    assert sorted(extracted ^ template, key=str) == [], f"translations/messages.pot is stale: {hint}"
