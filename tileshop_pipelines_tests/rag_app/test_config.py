"""Settings from environment variables: defaults, validation, errors that name the variable."""

from __future__ import annotations

import anthropic
import pytest

from rag_app.config import DEFAULT_CLAUDE_MODEL, load_settings
from tileshop_pipelines.serving.settings import SettingsError


def test_defaults_are_offline_and_valid():
    settings = load_settings({})
    assert not settings.claude_enabled
    assert settings.claude_model == DEFAULT_CLAUDE_MODEL
    assert settings.cors_origins == ()


def test_default_model_is_a_current_sonnet():
    from anthropic._data.deprecated_models import DEPRECATED_MODELS

    assert "sonnet" in DEFAULT_CLAUDE_MODEL
    assert DEFAULT_CLAUDE_MODEL not in DEPRECATED_MODELS
    assert DEFAULT_CLAUDE_MODEL in anthropic.types.ModelParam.__args__[0].__args__


def test_values_are_read():
    settings = load_settings(
        {
            "ANTHROPIC_API_KEY": "sk-ant-x",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9999/",
            "TILESHOP_CLAUDE_MODEL": "claude-haiku-5-5",
            "TILESHOP_CLAUDE_TIMEOUT_S": "2.5",
            "TILESHOP_CORS_ORIGINS": "https://tileshop.example, http://localhost:3000",
            "TILESHOP_ADMIN_TOKEN": "0123456789abcdef0123",
            "TILESHOP_RATE_LIMIT_PER_MINUTE": "600",
            "TILESHOP_MAX_IN_FLIGHT_SEARCHES": "8",
        }
    )
    assert settings.claude_enabled and settings.anthropic_base_url == "http://127.0.0.1:9999"
    assert settings.claude_model == "claude-haiku-5-5" and settings.claude_timeout_s == 2.5
    assert settings.cors_origins == ("https://tileshop.example", "http://localhost:3000")
    assert settings.rate_limit_per_minute == 600 and settings.max_in_flight_searches == 8


def test_secrets_stay_out_of_repr():
    settings = load_settings(
        {"ANTHROPIC_API_KEY": "sk-ant-secret-value", "TILESHOP_ADMIN_TOKEN": "admin-secret-value-123"}
    )
    assert "sk-ant-secret-value" not in repr(settings)
    assert "admin-secret-value-123" not in repr(settings)


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("TILESHOP_CLAUDE_TIMEOUT_S", "soon", "valid number"),
        ("TILESHOP_CLAUDE_MAX_RETRIES", "-1", "greater than or equal to 0"),
        ("TILESHOP_RATE_LIMIT_PER_MINUTE", "1.5", "valid integer"),
        ("ANTHROPIC_BASE_URL", "api.anthropic.com", "http(s) URL"),
        ("DAGSTER_GRAPHQL_URL", "ftp://x/graphql", "http(s) URL"),
        ("TILESHOP_CORS_ORIGINS", "https://ok.example,https://bad.example/path", "origins"),
        ("TILESHOP_ADMIN_TOKEN", "short", "at least 16 characters"),
        ("TILESHOP_CLAUDE_MODEL", "claude sonnet", "model id"),
        ("TILESHOP_QUERY_EMBED_BACKEND", "tensorflow", "'onnx' or 'torch'"),
        ("TILESHOP_QUERY_EMBED_GATHER_MS", "500", "less than or equal to 100"),
        ("TILESHOP_MAX_IN_FLIGHT_SEARCHES", "0", "greater than or equal to 1"),
    ],
)
def test_malformed_variables_are_named(name, value, words):
    with pytest.raises(SettingsError) as excinfo:
        load_settings({name: value})
    assert f"environment variable {name}:" in str(excinfo.value) and words in str(excinfo.value)
    secret = name == "TILESHOP_ADMIN_TOKEN"  # a secret's value is never echoed
    assert (repr(value) in str(excinfo.value)) is not secret


def test_serve_refuses_bad_configuration(monkeypatch, capsys):
    from rag_app.__main__ import main

    monkeypatch.setenv("TILESHOP_CLAUDE_TIMEOUT_S", "soon")
    assert main(["--port", "1"]) == 2
    assert "TILESHOP_CLAUDE_TIMEOUT_S" in capsys.readouterr().err
