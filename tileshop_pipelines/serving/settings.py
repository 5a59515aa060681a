"""The one shape of every process's settings: a class on `EnvSettings`, one field per environment
variable (`env("NAME", ...)` names it), loaded once with `.load()` and validated.

- A blank variable is unset (the default), surrounding spaces dropped.
- A bad value is a `SettingsError` naming the variable and the problem; a secret's value (a
  `SecretStr` field) is never echoed.
- Shared validators: `HttpUrl` (an http(s) URL, trailing "/" dropped), `OnOff` (`on`/`off` as
  well as pydantic's booleans), `Lowercase`/`Uppercase` (a choice given in any case).

docs/CONFIG.md lists every variable; tileshop_pipelines_tests/test_config_reference.py keeps it true.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A variable the process cannot start with."""


def env(name: str, *args: Any, **field_args: Any):
    """A field read from the environment variable `name` (or given by its field name)."""
    return Field(*args, validation_alias=name, **field_args)


def on_off(value):
    """`on` / `off` (any case) as a bool; anything else is left to the field's own validation."""
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower() == "on"
    return value


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


def _secret_http_url(value: SecretStr) -> SecretStr:
    http_url(value.get_secret_value())
    return value


def _case(convert):
    return BeforeValidator(lambda value: convert(value) if isinstance(value, str) else value)


OnOff = Annotated[bool, BeforeValidator(on_off)]
Lowercase = _case(str.lower)  # Annotated[Literal["a", "b"], Lowercase]: a choice in any case
Uppercase = _case(str.upper)
HttpUrl = Annotated[str, AfterValidator(http_url)]
SecretHttpUrl = Annotated[SecretStr, AfterValidator(_secret_http_url)]  # a webhook URL is its own credential


class EnvSettings(BaseSettings):
    """Base of the settings classes. `Cls.load(env)` validates `env` (default: os.environ) and
    nothing else; constructing `Cls(...)` directly also reads os.environ, as BaseSettings does."""

    model_config = SettingsConfigDict(
        extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True, env_ignore_empty=True
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values):
        if not isinstance(values, dict):
            return values
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        return {k: v for k, v in stripped.items() if v != ""}

    @classmethod
    def variables(cls) -> dict[str, str]:
        """field name -> the environment variable it is read from."""
        return {
            name: alias for name, field in cls.model_fields.items() if isinstance(alias := field.validation_alias, str)
        }  # every field's: env("NAME")

    @classmethod
    def secret_fields(cls) -> set[str]:
        return {
            name
            for name, field in cls.model_fields.items()
            if field.annotation is SecretStr or SecretStr in getattr(field.annotation, "__args__", ())
        }

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **values: Any) -> Self:
        """The settings from `env` (default: os.environ; names in any case), then `values` by field
        name. SettingsError naming the variable when one is wrong."""
        source = {name.upper(): value for name, value in (os.environ if env is None else env).items()}
        data = {variable: source[variable] for variable in cls.variables().values() if variable in source}
        data.update(values)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(cls._describe(exc)) from None

    @classmethod
    def _describe(cls, exc: ValidationError) -> str:
        variables, secrets = cls.variables(), cls.secret_fields()
        problems = []
        for error in exc.errors():
            key = error["loc"][0] if error["loc"] else None
            field = next((name for name, variable in variables.items() if key in (name, variable)), None)
            problem = error["msg"].removeprefix("Value error, ")
            if error["type"] in ("too_short", "string_too_short"):  # a SecretStr's says "items", and its length
                problem = f"must be at least {error['ctx']['min_length']} characters"
            if field is None:  # a check across fields: its message names the variables
                problems.append(problem)
            elif error["type"] == "missing":
                problems.append(f"environment variable {variables[field]} is not set")
            else:
                shown = "(secret)" if field in secrets else repr(error.get("input"))
                problems.append(f"environment variable {variables[field]}: {problem}; got {shown}")
        return "; ".join(problems)
