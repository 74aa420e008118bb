"""Arabic done right (issue 15 item 6): data text isolated for bidirectional display, the
French fallbacks marked ``lang="fr"``, working translations said so, the arrows of date
ranges pointing the reading way, the dirham's word in the page's language, and the
bundled Arabic font served and referenced."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import trans_real

from artisanat.models import Filiere, Organisation
from artisanat.templatetags.artisanat_format import money, money_millions
from artisanat.templatetags.portal import date_range, render_data_text
from contracts.models import ContratProgramme
from strategy.models import Axis, Indicator, Programme

FONTS = ("fonts/noto-naskh-arabic-arabic-400-normal.woff2", "fonts/noto-naskh-arabic-arabic-700-normal.woff2")


def render(source, **context):
    return Template("{% load portal artisanat_format %}" + source).render(Context(context))


# --- data text ---------------------------------------------------------------------------


def test_french_fallback_in_an_arabic_page_is_isolated_and_marked_french():
    axis = Axis(number=1, title="Structuration et accompagnement des acteurs")
    with translation.override("ar"):
        html = render('{% data_text axis "title" number=axis.number %}', axis=axis)
    # The number travels inside the isolation: "1." cannot end up after the French text.
    assert html == '<bdi lang="fr">1. Structuration et accompagnement des acteurs</bdi>'


def test_arabic_text_in_an_arabic_page_has_no_french_mark():
    axis = Axis(number=3, title="Valorisation de l'humain", title_ar="تثمين العنصر البشري")
    with translation.override("ar"):
        assert render('{{ axis|data_text:"title" }}', axis=axis) == "<bdi>تثمين العنصر البشري</bdi>"
    with translation.override("fr"):
        assert render('{{ axis|data_text:"title" }}', axis=axis) == "<bdi>Valorisation de l&#x27;humain</bdi>"
    with translation.override("en"):
        assert render('{{ axis|data_text:"title" }}', axis=axis) == (
            '<bdi lang="fr">Valorisation de l&#x27;humain</bdi>'
        )


def test_data_text_is_escaped():
    filiere = Filiere(code="x", name='<script>alert("x")</script>')
    html = str(render_data_text(filiere))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_working_translation_is_said_so_in_arabic_pages_only():
    filiere = Filiere(code="bois", name="Bois", name_ar="الخشب", arabic_is_working_translation=True)
    with translation.override("ar"):
        html = render("{{ f|data_text }}", f=filiere)
    assert html.startswith('<bdi>الخشب</bdi> <small class="working-translation">(')
    with translation.override("fr"):
        assert render("{{ f|data_text }}", f=filiere) == "<bdi>Bois</bdi>"
    official = Filiere(code="bois", name="Bois", name_ar="الخشب")
    with translation.override("ar"):
        assert "working-translation" not in render("{{ f|data_text }}", f=official)


def test_empty_text_renders_nothing_so_that_default_applies():
    indicator = Indicator(code="X", name="X", definition="")
    assert render('{{ i|data_text:"definition"|default:"—" }}', i=indicator) == "—"


def test_models_display_name_follows_the_language():
    axis = Axis(number=2, title="Modernisation des filières artisanales", title_ar="تحديث الشعب الحرفية")
    programme = Programme(code="P2.1", title="Relance", title_ar="إنعاش")
    assert str(axis) == "2. Modernisation des filières artisanales"
    with translation.override("ar"):
        assert str(axis) == "2. تحديث الشعب الحرفية"
        assert str(programme) == "P2.1 — إنعاش"
        assert str(Filiere(name="Vannerie")) == "Vannerie"  # no Arabic: the French name


# --- arrows and dates --------------------------------------------------------------------


def test_date_range_arrow_points_the_reading_way():
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
    with translation.override("fr"):
        assert date_range(start, end) == '<bdi dir="ltr">01/01/2025</bdi> → <bdi dir="ltr">31/03/2025</bdi>'
    with translation.override("ar"):
        assert date_range(start, end) == '<bdi dir="ltr">01/01/2025</bdi> ← <bdi dir="ltr">31/03/2025</bdi>'
        assert render("{% arrow %}|{% arrow back=True %}") == "←|→"
    with translation.override("fr"):
        assert render("{% arrow %}|{% arrow back=True %}") == "→|←"


# --- money -------------------------------------------------------------------------------


@pytest.fixture
def arabic_currency():
    """The Arabic catalogue's entries for the currency, as the lead's catalogue will
    hold them; removed afterwards."""
    catalog = trans_real.translation("ar")._catalog
    entries = {"currency\x04DH": "درهم", "currency\x04M DH": "مليون درهم"}
    saved = {key: catalog.get(key) for key in entries}
    for key, value in entries.items():
        catalog[key] = value
    yield
    for key, value in saved.items():
        if value is None:
            for part in catalog._catalogs:
                part.pop(key, None)
        else:
            catalog[key] = value


def test_money_reads_the_currency_from_the_catalogue(arabic_currency):
    with translation.override("ar"):
        assert money(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50\u00a0درهم"
        assert money_millions(Decimal("1234500000")) == "1\u00a0234,5\u00a0مليون\u00a0درهم"
    with translation.override("fr"):
        assert money(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50\u00a0DH"
        assert money_millions(Decimal("1234500000")) == "1\u00a0234,5\u00a0M\u00a0DH"
    assert money(None) == "—" and money_millions("") == "—"


def test_arabic_catalogue_translates_the_currency():
    """The compiled Arabic catalogue holds "DH" → "درهم" and "M DH" → "مليون درهم" in the
    context "currency" (the words of the millions joined by no-break spaces)."""
    with translation.override("ar"):
        assert money(Decimal("10")).endswith("درهم")
        assert money_millions(Decimal("10000000")).endswith("مليون\u00a0درهم")


# --- the working-translation rule (clean() and the database) --------------------------------


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Filiere, {"code": "bois", "name": "Bois"}),
        (Organisation, {"acronym": "X", "name": "X", "kind": "autre"}),
    ],
)
def test_working_translation_needs_arabic_text(db, model, values):
    row = model(**values, arabic_is_working_translation=True)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "arabic_is_working_translation" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**values, arabic_is_working_translation=True)
    model.objects.create(**values, name_ar="نص", arabic_is_working_translation=True)


def test_working_translation_rule_on_strategy_and_contracts(db, axis, programme, make_indicator, contract_fields):
    for row, field in ((axis, "title_ar"), (programme, "title_ar"), (make_indicator(), "name_ar")):
        row.arabic_is_working_translation = True
        with pytest.raises(ValidationError) as error:
            row.full_clean()
        assert "arabic_is_working_translation" in error.value.message_dict
        with pytest.raises(IntegrityError), transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(arabic_is_working_translation=True)
        setattr(row, field, "نص")
        row.full_clean()
    contract = ContratProgramme(**contract_fields, arabic_is_working_translation=True)
    with pytest.raises(ValidationError) as error:
        contract.full_clean()
    assert "arabic_is_working_translation" in error.value.message_dict


# --- the bundled font ----------------------------------------------------------------------


def test_bundled_arabic_font_is_found_and_referenced(client):
    css = Path(finders.find("css/portal.css")).read_text(encoding="utf-8")
    for name in FONTS:
        path = finders.find(name)
        assert path, name
        assert Path(path).read_bytes()[:4] == b"wOF2"
        assert f'url("../{name}")' in css
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:4] == b"wOF2"
    assert '"Noto Naskh Arabic"' in css.split(":lang(ar)", 1)[1].split("}", 1)[0]
    licence = Path(finders.find("fonts/LICENSE-noto-naskh-arabic.txt")).read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in licence
    readme = Path(finders.find("fonts/README.md")).read_text(encoding="utf-8")
    assert "@fontsource/noto-naskh-arabic 5.3.0" in readme
