"""A search that finds nothing: which single change would find something, and how many spaces then.

"Nichts gefunden" is a dead end when a resident cannot tell which wish blocks. For each wish of the search
(a longer walk, anywhere in the city, another time that day, another day, smaller rooms, each access and
equipment wish, any kind, also rooms that cost) the search is asked again without it, by the same query as
the list (count_spaces), and the page offers the changes that find something, with their counts and a link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from spaces.core.errors import BadParameter
from spaces.labels import EQUIPMENT, label

MOST = 6  # changes offered at most


@dataclass(frozen=True)
class Relaxation:
    """One change to the search: what it gives up, how many spaces it finds, its query arguments."""

    text: str
    count: int
    args: MultiDict


def _without(args: MultiDict, *keys: str, **values) -> MultiDict:
    """The arguments without `keys` (and the page), with `values` set instead."""
    dropped = {*keys, *values, "page"}
    changed = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in dropped])
    for key, value in values.items():
        changed.add(key, str(value))
    return changed


def _changes(args: MultiDict, search) -> Iterator[tuple[str, MultiDict]]:
    """The changes worth trying for this search, least change first."""
    if search.near is not None:
        for minutes in (30, 60):
            if search.walk_minutes < minutes:
                yield gettext("mit %(n)s Minuten Fußweg", n=minutes), _without(args, walk=minutes)
                break
    if search.window is not None:
        yield gettext("am selben Tag zu einer anderen Zeit"), _without(args, "from", "to")
    if search.day is not None or search.window is not None:
        yield gettext("an einem anderen Tag"), _without(args, "date", "from", "to")
    if search.min_capacity:
        yield gettext("auch kleinere Räume"), _without(args, "capacity")
    if search.step_free:
        yield gettext("ohne „stufenlos“"), _without(args, "step_free")
    if search.accessible_wc:
        yield gettext("ohne „barrierefreies WC“"), _without(args, "accessible_wc")
    for code in search.equipment:
        kept = [e for e in search.equipment if e != code]
        yield (gettext("ohne „%(what)s“", what=label(EQUIPMENT, code)),
               _without(args, "equipment", **({"equipment": ",".join(kept)} if kept else {})))
    if search.kinds:
        yield gettext("jede Art von Raum"), _without(args, "kind")
    if search.free_of_charge:
        yield gettext("auch Räume, die etwas kosten"), _without(args, "free")
    if search.near is not None:
        yield gettext("in ganz Hannover"), _without(args, "quartier", "lat", "lon", "walk", "sort")


def relaxations(args: MultiDict, search, *, parse: Callable, count: Callable[..., int], now: datetime,
                most: int = MOST) -> list[Relaxation]:
    """The single changes to `search` (from request `args`) that find something, least change first.

    `parse(args)` reads a search as the page does; `count(search, now)` counts its matches as the list does.
    """
    found = []
    for text, changed in _changes(args, search):
        try:
            n = count(parse(changed), now)
        except BadParameter:
            continue
        if n:
            found.append(Relaxation(text, n, changed))
        if len(found) == most:
            break
    return found
