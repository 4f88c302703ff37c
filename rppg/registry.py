"""A tiny name -> object registry, used for methods, datasets and face detectors.

DETECTORS = Registry("face detector")
@DETECTORS.register("haar")
class HaarDetector: ...
DETECTORS.get("haar")   # -> HaarDetector, or RppgError listing the known names
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from rppg.errors import RppgError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; unknown names raise a one-line :class:`RppgError`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise RppgError(f"unknown {self.kind} {name!r} (choose from: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
