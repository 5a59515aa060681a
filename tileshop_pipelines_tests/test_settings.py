import os
import subprocess
import sys

import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.serving.settings import SettingsError
from tileshop_pipelines.settings import load_settings
from tileshop_pipelines_tests.support.absent import without


def test_defaults_are_tileshop_politeness_and_the_real_site():
    settings = load_settings({})
    assert (
        settings.sitemap_url,
        settings.crawl_mode,
        settings.crawl_rate,
        settings.crawl_concurrency,
        settings.crawl_batch_size,
    ) == ("https://www.tileshop.com/sitemap.xml", "http", 2.0, 4, 1200)
    assert settings.automation is True and settings.max_age.days == 7


@pytest.mark.parametrize(
    ("env", "batch"),
    [
        ({"TILESHOP_CRAWL_RATE": "20"}, 10_000),  # 12,000 in ten minutes: the cap
        ({"TILESHOP_CRAWL_RATE": "0.5"}, 300),
        ({"TILESHOP_CRAWL_RATE": "0.01"}, 100),  # the floor
        ({"TILESHOP_CRAWL_RATE": "0"}, 10_000),  # no limit
        ({"TILESHOP_CRAWL_RATE": "0.5", "TILESHOP_CRAWL_BATCH_SIZE": "40"}, 40),  # set: as set
    ],
)
def test_a_crawl_run_is_ten_minutes_of_requests_unless_the_batch_is_set(env, batch):
    assert load_settings(env).crawl_batch_size == batch


def test_blank_values_count_as_unset():
    assert load_settings({"TILESHOP_CRAWL_RATE": "", "TILESHOP_SITEMAP_URL": "  "}).crawl_rate == 2.0


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("TILESHOP_CRAWL_RATE", "fast", "valid number"),
        ("TILESHOP_CRAWL_RATE", "-1", "greater than or equal to 0"),
        ("TILESHOP_CRAWL_CONCURRENCY", "0", "greater than or equal to 1"),
        ("TILESHOP_CRAWL_BATCH_SIZE", "eight", "valid integer"),
        ("TILESHOP_CRAWL_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("TILESHOP_CRAWL_MODE", "ftp", "'http', 'browser' or 'service'"),
        ("TILESHOP_EMBEDDING_BACKEND", "cuda", "'torch' or 'onnx'"),
        ("TILESHOP_VECTOR_STORE", "pinecone", "'postgres' or 'supabase'"),
        ("TILESHOP_AUTOMATION", "maybe", "valid boolean"),
        ("TILESHOP_MAX_AGE_DAYS", "0", "greater than 0"),
        ("TILESHOP_SITEMAP_CRON", "every morning", "not a cron expression"),
        ("TILESHOP_BACKUP_CRON", "nightly", "not a cron expression"),
        ("TILESHOP_BACKUP_KEEP_DAYS", "0", "greater than or equal to 1"),
        ("TILESHOP_BACKUP_PREFIX", "a/../b", "must be a folder of the bucket"),
        ("TILESHOP_BACKUP_PREFIX", "two  words", "must be a folder of the bucket"),
        ("TILESHOP_SITEMAP_CRON", "61 * * * *", "not a cron expression"),
        ("TILESHOP_GIT_URL", "https://bitbucket.org/tileshop/pipelines", "GitHub or GitLab only"),
        ("TILESHOP_GIT_URL", "git@github.com:tileshop/pipelines.git", "http"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(variable, value, said):
    with pytest.raises(SettingsError) as err:
        load_settings({variable: value})
    assert f"environment variable {variable}:" in str(err.value) and said in str(err.value)
    assert repr(value) in str(err.value)


def test_secrets_stay_out_of_reprs_and_errors():
    settings = load_settings({"CRAWLER_TOKEN": "tok-s3cret", "SUPABASE_SERVICE_KEY": "key-s3cret"})
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    assert settings.crawler_token.get_secret_value() == "tok-s3cret"


def test_the_git_url_is_the_repositorys_browsable_address():
    assert (
        load_settings({"TILESHOP_GIT_URL": "https://github.com/tileshop/pipelines.git/"}).git_url
        == "https://github.com/tileshop/pipelines"
    )
    assert load_settings({}).git_url is None


@pytest.mark.parametrize("value", ["off", "OFF", "false", "0"])
def test_automation_can_be_turned_off(value):
    assert load_settings({"TILESHOP_AUTOMATION": value}).automation is False


def test_backups_default_to_fourteen_days_under_backups():
    settings = load_settings({})
    assert (settings.backup_cron, settings.backup_prefix, settings.backup_keep_days) == ("0 5 * * *", "backups/", 14)
    assert load_settings({"TILESHOP_BACKUP_PREFIX": "/prod/db"}).backup_prefix == "prod/db/"


@pytest.mark.slow
def test_without_crawl4ai_only_the_service_mode_loads():
    """The pipeline's image has no crawl4ai (Dockerfile: the pipeline extra): its in-process modes are
    refused when the settings load, naming the variable, instead of failing at the first page."""
    script = without("crawl4ai") + (
        "from tileshop_pipelines.serving.settings import SettingsError\n"
        "from tileshop_pipelines.settings import load_settings\n"
        "for env in ({}, {'TILESHOP_CRAWL_MODE': 'browser'}, {'TILESHOP_CRAWL_MODE': 'service'}):\n"
        "    try:\n"
        "        print(load_settings(env).crawl_mode, 'loads')\n"
        "    except SettingsError as exc:\n"
        "        print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert out.returncode == 0, out.stderr
    default, browser, service = out.stdout.strip().splitlines()
    assert default.startswith("TILESHOP_CRAWL_MODE 'http' (default 'http') crawls in this process with crawl4ai")
    assert "TILESHOP_CRAWL_MODE=service and CRAWLER_URL" in default
    assert browser.startswith("TILESHOP_CRAWL_MODE 'browser'")
    assert service == "service loads"
