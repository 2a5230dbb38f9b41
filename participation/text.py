"""Markdown for what the campaign team writes (news, pages, events, projects).

Raw HTML is escaped and links may only go to http(s), mail or the site itself, so a
pasted script or a javascript: link shows as text instead of running."""

import re

import markdown

SAFE_HREF = re.compile(r"^(https?://|mailto:|/|#)", re.IGNORECASE)
HREF = re.compile(r'(href|src)="([^"]*)"')


def render(text):
    escaped = (text or "").replace("&", "&amp;").replace("<", "&lt;")
    html = markdown.markdown(escaped, extensions=["sane_lists", "nl2br"], output_format="html")
    return HREF.sub(lambda m: f'{m.group(1)}="{m.group(2) if SAFE_HREF.match(m.group(2)) else "#"}"', html)
