"""One account of a campaign: its platform, and the settings that platform's descriptor
declares, checked there (the model names no platform)."""

from __future__ import annotations

from pydantic import ConfigDict, field_validator
from pydantic import model_validator as _model_validator

from scheduler import descriptors
from scheduler.accounts import AccountSpec
from scheduler.campaign.fields import Strict, _either, names
from scheduler.campaign.problems import did_you_mean, problem
from scheduler.descriptors import Descriptor, SettingRefused


class Account(Strict):
    """One account the campaign posts to. Credentials are never here (see credentials.py).

    Besides ``platform`` (and ``as_platform`` for an account standing in for another), the
    settings are the platform's own: its descriptor names them and says what each takes, so
    they arrive as extra keys and are checked against it below."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    platform: str
    as_platform: str | None = None

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, v: str) -> str:
        if descriptors.find(v) is None:
            raise problem(f"{v!r} is not one of the allowed values", "allowed: " + _either(names()))
        return v

    @field_validator("as_platform")
    @classmethod
    def _known_stand_in(cls, v: str | None) -> str | None:
        others = [d.name for d in descriptors.descriptors() if not d.stands_in]
        if v is not None and v not in others:
            raise problem(f"{v!r} is not one of the allowed values", "allowed: " + _either(others))
        return v

    @_model_validator(mode="after")
    def _settings_fit_platform(self) -> Account:
        descriptor = descriptors.get(self.platform)
        extra = self.model_extra if self.model_extra is not None else {}
        fields = list(type(self).model_fields)
        declared = {s for d in descriptors.descriptors() for s in d.settings}
        known = [*fields, *sorted(declared - set(fields))]
        for name, value in extra.items():
            if name not in known:
                hint = did_you_mean(name, known) or "allowed keys: " + ", ".join(known)
                raise problem(f"unknown key {name!r}", hint, key=name)
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise problem(f"{name!r} takes text or a number", None, key=name)
        for name in (self.model_fields_set | set(extra)) - {"platform"}:
            if name not in descriptor.settings:
                takes = ", ".join(descriptor.settings) or "no settings"
                raise problem(
                    f"{name!r} is not a setting of a {self.platform} account",
                    f"a {self.platform} account takes: {takes}",
                )
        for name, example in descriptor.required:
            if self.setting(name) is None:
                raise problem(f"a {self.platform} account needs {name!r}", example)
        for name, value in list(extra.items()):
            if value is None:
                continue
            try:
                extra[name] = descriptor.accept(name, value)
            except SettingRefused as exc:
                raise problem(exc.message, exc.hint, key=name) from None
        return self

    def setting(self, name: str) -> str | None:
        """One setting as text; None when the account does not give it."""
        value = getattr(self, name, None) if name in type(self).model_fields else None
        if value is None:
            value = (self.model_extra or {}).get(name)
        return None if value is None else str(value)

    @property
    def settings(self) -> dict[str, str]:
        """The non-secret settings as strings, for publishers."""
        given = {name: self.setting(name) for name in descriptors.get(self.platform).settings}
        return {name: value for name, value in given.items() if value is not None}

    @property
    def descriptor(self) -> Descriptor:
        """The platform whose rules apply (a sandbox account may stand in for another)."""
        own = descriptors.get(self.platform)
        if own.stands_in and self.as_platform:
            return descriptors.get(self.as_platform)
        return own

    @property
    def rules(self) -> Descriptor:
        """``descriptor`` with the account's own character limit, where it gives one."""
        return descriptors.rules_of(self.spec(""))

    @property
    def text_platform(self) -> str:
        return self.descriptor.name

    def spec(self, name: str) -> AccountSpec:
        return AccountSpec(name=name, platform=self.platform, settings=self.settings)
