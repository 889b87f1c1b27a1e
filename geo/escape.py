"""Escaping for text that ends up in HTML built by JavaScript template literals (Folium)."""

from markupsafe import escape

# Folium puts popup and tooltip HTML into a JavaScript template literal (`...`), where a
# backtick ends the string, `${` starts an expression and a backslash escapes. HTML entities
# neutralise all of them, and the browser shows them as the original characters.
_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def for_map(text: object) -> str:
    """User text made safe for a Folium popup, tooltip or any HTML string: HTML and template-literal escaped."""
    return str(escape("" if text is None else str(text))).translate(_TEMPLATE_LITERAL)
