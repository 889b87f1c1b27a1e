"""Saying a Phrase (spaces.core.phrases) in the visitor's language: German as it was made, English from the
catalog, its values translated too."""

from flask_babel import gettext

from spaces.core.phrases import Phrase


def said(message: str) -> str:
    """`message` in the language of this request (any other text as it is)."""
    if not isinstance(message, Phrase):
        return message
    values = {name: said(value) if isinstance(value, str) else value for name, value in message.values.items()}
    return gettext(message.pattern, **values) if values else gettext(message.pattern)
