"""Campaign care settings: locale, switching warn rules off, raising rules to block."""

from __future__ import annotations

import pytest

from scheduler.care import CarePolicy, CareSettingsError, Linter
from tests.care.helpers import lint


def policy(**rules: dict[str, str]) -> CarePolicy:
    return CarePolicy.from_settings({"locale": "en-GB", "rules": rules})


def test_a_warn_rule_can_be_switched_off_with_a_reason() -> None:
    text = "Many people with depression have comorbid anxiety."
    assert any(f.rule == "a11y-plain-language" for f in lint(text))
    quiet = policy(**{"a11y-plain-language": {"level": "off", "reason": "clinical audience"}})
    assert not any(f.rule == "a11y-plain-language" for f in lint(text, policy=quiet))


def test_a_warn_rule_can_be_raised_to_block_and_keeps_the_reason() -> None:
    strict = policy(**{"ed-diet-talk": {"level": "block", "reason": "running club audience"}})
    (finding,) = [f for f in lint("Earn your pizza tonight!", policy=strict)]
    assert finding.severity == "block"
    assert finding.reason == "running club audience"


def test_settings_objects_with_attributes_work_too() -> None:
    class Setting:
        level = "off"
        reason = "quoting a leaflet"

    class Care:
        def __init__(self) -> None:
            self.locale = "es-ES"
            self.rules = {"a11y-plain-language": Setting()}

    built = CarePolicy.from_settings(Care())
    assert built.locale == "es-ES"
    assert built.levels["a11y-plain-language"].level == "off"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"sm-method": {"level": "off", "reason": "x"}}, "cannot be set to 'off'"),
        ({"sm-no-support": {"level": "warn", "reason": "x"}}, "cannot be set to 'warn'"),
        ({"no-such-rule": {"level": "off", "reason": "x"}}, "no care rule 'no-such-rule'"),
        ({"a11y-emoji-runs": {"level": "off", "reason": "x"}}, "did you mean 'a11y-emoji-run'"),
        ({"a11y-all-caps": {"level": "off", "reason": "  "}}, "give a reason"),
    ],
)
def test_settings_the_lint_cannot_honour_are_refused(
    rules: dict[str, dict[str, str]], message: str
) -> None:
    with pytest.raises(CareSettingsError, match=message):
        Linter(policy(**rules))


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(CareSettingsError, match="not one of off, warn, block"):
        policy(**{"a11y-all-caps": {"level": "loud", "reason": "x"}})


def test_no_settings_means_defaults() -> None:
    assert CarePolicy.from_settings(None) == CarePolicy()
