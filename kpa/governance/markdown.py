"""Texts that members write (proposals, charters, agendas, minutes) are Markdown: rendered by
markdown-it-py with raw HTML off, then sanitised by nh3 so that nothing but plain formatting
and safe links reaches a page, whatever was typed."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h2", "h3",
         "h4", "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(text: str) -> SafeString:
    html = _RENDERER.render(text or "")
    # Headings of level 1 would compete with the page's own title: shift them down one level.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
