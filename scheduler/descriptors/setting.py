"""What an account setting takes, as its platform declares it.

A campaign file gives an account's settings as text or numbers. The platform's descriptor
names the settings it takes (``Descriptor.settings``) and, for those that take more than any
text, a ``Setting``: a whole number in a range, one of a few words, or whatever its own
``check`` accepts. The campaign model knows no platform: it asks the descriptor, and a
refusal comes back as ``SettingRefused`` with what is wrong and what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A value as it is stored: numbers stay numbers, everything else is text.
Value = str | int


class SettingRefused(ValueError):
    """An account setting's value the platform cannot take."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _either(values: tuple[str, ...]) -> str:
    *rest, last = values
    return f"{', '.join(rest)} or {last}" if rest else last


@dataclass(frozen=True, slots=True)
class Setting:
    """One account setting that takes more than free text.

    ``number``: a whole number from ``number[0]`` to ``number[1]``. ``choices``: one of these
    words. ``check``: the platform's own rule, given the text; it returns the value as it is
    stored (e.g. without a leading "@") or raises SettingRefused.
    """

    name: str
    number: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[str], str] | None = None

    def accept(self, value: Value) -> Value:
        if self.number is not None:
            return self._number(value)
        text = str(value)
        if self.choices and text not in self.choices:
            raise SettingRefused(
                f"{text!r} is not one of the allowed values", "allowed: " + _either(self.choices)
            )
        return self.check(text) if self.check is not None else text

    def _number(self, value: Value) -> int:
        assert self.number is not None
        least, most = self.number
        text = str(value).strip()
        if isinstance(value, int) or text.isdigit():
            number = int(text)
            if least <= number <= most:
                return number
        raise SettingRefused(
            f"{self.name} takes a whole number from {least} to {most}, not {value!r}",
            f"e.g. {self.name}: {max(least, min(most, 1000))}",
        )
