"""A campaign's care settings: the audience's locale and per-rule levels, each with a reason.

The campaign file says, for example::

    care:
      locale: en-GB
      rules:
        a11y-plain-language: {level: "off", reason: "quotes a clinical leaflet verbatim"}
        ed-diet-talk: {level: block, reason: "running club audience; zero tolerance"}

A warn rule may be switched off or raised to block. A rule that can block may only be
raised: the way past one of its findings is a per-post override, recorded by someone other
than the post's author, never a line in the campaign file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.campaign.problems import did_you_mean
from scheduler.care.base import CareSettingsError, Level, RuleInfo

LEVELS: tuple[str, ...] = ("off", "warn", "block")


@dataclass(frozen=True)
class RuleLevel:
    level: Level
    reason: str


@dataclass(frozen=True)
class SettingProblem:
    """A care setting the lint cannot honour, at ``loc`` in the campaign header."""

    loc: tuple[str, ...]
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{'.'.join(self.loc)}: {self.message} ({self.hint})"


@dataclass(frozen=True)
class CarePolicy:
    locale: str | None = None
    levels: Mapping[str, RuleLevel] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: object | None) -> CarePolicy:
        """Build from a campaign's ``care`` settings (the campaign model or a plain mapping)."""
        if settings is None:
            return cls()
        locale = _get(settings, "locale")
        rules = _get(settings, "rules") or {}
        if not isinstance(rules, Mapping):
            raise CareSettingsError("care.rules must be a mapping of rule id to level and reason")
        levels: dict[str, RuleLevel] = {}
        for rule_id, setting in rules.items():
            level = _get(setting, "level")
            reason = _get(setting, "reason")
            if level not in LEVELS:
                raise CareSettingsError(
                    f"care.rules.{rule_id}.level: {level!r} is not one of off, warn, block"
                )
            levels[str(rule_id)] = RuleLevel(level=level, reason=str(reason or "").strip())
        return cls(locale=str(locale) if locale else None, levels=levels)

    def problems(self, rules: Mapping[str, RuleInfo]) -> list[SettingProblem]:
        """Every setting the lint cannot honour, each with its place under ``care``."""
        found: list[SettingProblem] = []
        for rule_id, setting in self.levels.items():
            info = rules.get(rule_id)
            loc = ("care", "rules", rule_id)
            if info is None:
                found.append(
                    SettingProblem(
                        loc,
                        f"no care rule {rule_id!r}",
                        did_you_mean(rule_id, rules)
                        or "`scheduler lint --json` names each finding's rule; the README's "
                        "care section lists them all",
                    )
                )
                continue
            if not setting.reason:
                found.append(
                    SettingProblem(
                        loc,
                        "give a reason for changing this rule's level",
                        f'write {{level: "{setting.level}", reason: "why this campaign needs it"}}',
                    )
                )
            if setting.level != "block" and not info.adjustable:
                found.append(
                    SettingProblem(
                        (*loc, "level"),
                        f"{rule_id} blocks approval by design and cannot be set to "
                        f"{setting.level!r} in the campaign file",
                        "fix the wording, or have someone other than the author record "
                        "`scheduler override` for that post",
                    )
                )
        return found

    def validate(self, rules: Mapping[str, RuleInfo]) -> None:
        """Raise CareSettingsError listing every setting the lint cannot honour."""
        found = self.problems(rules)
        if found:
            raise CareSettingsError(
                "; ".join(str(problem) for problem in found),
                hint="see the care section of the README for the rules",
            )

    def level_of(self, rule_id: str) -> RuleLevel | None:
        return self.levels.get(rule_id)


def _get(obj: object, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
