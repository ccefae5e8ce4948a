"""The words for "nothing chosen", one per meaning, so every select and every empty field says
the same thing: a filter left empty narrows nothing ("Any"), an optional choice left empty is
"None", and a choice still to be made asks for one ("Choose…")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ANY = "Any"
NONE = "None"
CHOOSE = "Choose…"


def any_of(choices: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A filter's choices: the empty one first, which narrows nothing."""
    return [("", ANY), *choices]
