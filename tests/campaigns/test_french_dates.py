"""Dates in templates: the first of the month as French writes it."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation


@pytest.mark.parametrize(
    ("day", "fmt", "language", "written"),
    [
        (dt.date(2026, 12, 1), "j F", "fr", "1er décembre"),
        (dt.date(2026, 12, 1), "l j F Y", "fr", "mardi 1er décembre 2026"),
        (dt.date(2026, 12, 1), "j M", "fr", "1er Déc"),
        (dt.date(2026, 12, 1), "j N", "fr", "1er déc."),
        (dt.date(2026, 11, 30), "j N", "fr", "30 nov."),
        (dt.datetime(2026, 12, 1, 1, 5), "j F, H:i", "fr", "1er décembre, 01:05"),
        (dt.date(2026, 12, 1), "j/m/Y", "fr", "1/12/2026"),
        (dt.date(2026, 12, 1), "d/m/Y", "fr", "01/12/2026"),
        (dt.date(2026, 12, 11), "j F", "fr", "11 décembre"),
        (dt.date(2026, 12, 21), "j F", "fr", "21 décembre"),
        (dt.date(2026, 12, 1), "j F", "en", "1 December"),
    ],
)
def test_the_first_of_the_month_reads_as_french_writes_it(day, fmt, language, written):
    with translation.override(language):
        assert Template(f'{{{{ day|date:"{fmt}" }}}}').render(Context({"day": day})) == written
