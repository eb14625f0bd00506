from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kpa.governance.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """{{ proposal.body|markdown }}: rendered and sanitised."""
    return render_markdown(text)


@register.filter(name="ordinal")
def ordinal_filter(rank: int) -> SafeString:
    """A rank as French writes it: 1<sup>er</sup>, 2<sup>e</sup>… (English: #1, #2)."""
    if int(rank) == 1:
        return mark_safe(gettext("1<sup>er</sup>"))  # noqa: S308 - a constant of ours
    return mark_safe(gettext("%(rank)s<sup>e</sup>") % {"rank": int(rank)})  # noqa: S308
