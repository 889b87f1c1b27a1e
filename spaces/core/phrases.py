"""German sentences that remember how they were made, so a page in English can say them in English.

The service speaks German first: a Phrase *is* the German text (a str), and everything that reads it as text
(the API's JSON, logs, tests) sees German. It also keeps its pattern and values, so the web layer can look the
pattern up in the visitor's language and fill in the values, translated too when they are Phrases themselves
(spaces.labels.said). The patterns are marked for pybabel by the keyword `phrase` (translations/README.md).
"""

from __future__ import annotations

from typing import Self

__all__ = ["Phrase", "phrase"]


class Phrase(str):
    """A German sentence made of a pattern with %(name)s placeholders and its values."""

    pattern: str
    values: dict[str, object]

    def __new__(cls, pattern: str, **values: object) -> Self:
        text = pattern % {k: str(v) for k, v in values.items()} if values else pattern
        made = super().__new__(cls, text)
        made.pattern = pattern
        made.values = values
        return made

    def __reduce__(self) -> tuple[object, tuple[str, dict[str, object]]]:
        return (_rebuild, (self.pattern, self.values))  # a copy (pickle, deepcopy) is a Phrase again


def _rebuild(pattern: str, values: dict[str, object]) -> Phrase:
    return Phrase(pattern, **values)


def phrase(pattern: str, **values: object) -> Phrase:
    """The German sentence `pattern % values`, which keeps `pattern` and `values` for translation."""
    return Phrase(pattern, **values)
