"""bootstrap: the object storage bucket's settings, and the Dagster instance it configures: the
runs' stdout/stderr in the bucket when one is configured, under DAGSTER_HOME otherwise."""

from __future__ import annotations

import os

import dagster as dg
import pytest
import yaml

from tileshop_pipelines import bootstrap
from tileshop_pipelines.bootstrap import BucketSettings
from tileshop_pipelines.serving.settings import SettingsError

from .support.s3_server import SECRET_ACCESS_KEY
from .support.sample_site import environment

TIGRIS = {
    "BUCKET_NAME": "tileshop-prod",
    "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev",
    "AWS_REGION": "auto",
    "AWS_ACCESS_KEY_ID": "tid_x",
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
}


def test_the_compute_logs_block_is_kept_only_with_a_bucket():
    with_bucket = bootstrap.instance_config(BucketSettings.load(TIGRIS))
    assert with_bucket["compute_logs"] == {
        "module": "dagster_aws.s3.compute_log_manager",
        "class": "S3ComputeLogManager",
        "config": {
            "bucket": {"env": "BUCKET_NAME"},
            "endpoint_url": {"env": "AWS_ENDPOINT_URL_S3"},
            "prefix": "dagster/compute-logs",
            "skip_empty_files": True,
            "upload_interval": 30,
        },
    }
    without = bootstrap.instance_config(BucketSettings.load({}))
    assert "compute_logs" not in without
    assert {k: v for k, v in with_bucket.items() if k != "compute_logs"} == without


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"BUCKET_NAME": "tileshop-prod"}, "BUCKET_NAME is set but AWS_ENDPOINT_URL_S3 is not"),
        (
            {"BUCKET_NAME": "Tileshop_Prod", "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev"},
            "not a bucket name",
        ),
        ({"BUCKET_NAME": "tileshop-prod", "AWS_ENDPOINT_URL_S3": "fly.storage.tigris.dev"}, "must be an http(s) URL"),
    ],
)
def test_a_bad_bucket_setting_names_the_variable(env, said):
    with pytest.raises(SettingsError, match=said.replace("(", r"\(").replace(")", r"\)")):
        BucketSettings.load(env)


def test_the_bucket_keys_are_masked_in_every_log_line():
    with environment({"DATABASE_URL": "postgresql://u:pg-s3cret@db:5432/x", **TIGRIS}):
        secrets = bootstrap.process_secrets()
    assert {"pg-s3cret", SECRET_ACCESS_KEY, "tid_x"} <= set(secrets)
    assert SECRET_ACCESS_KEY not in repr(BucketSettings.load(TIGRIS))


def test_the_aws_config_asks_for_virtual_hosted_addressing_and_the_region():
    assert bootstrap.aws_config_text(BucketSettings.load(TIGRIS)).splitlines()[1:] == [
        "[default]",
        "region = auto",
        "s3 =",
        "    addressing_style = virtual",
    ]
    assert "region" not in bootstrap.aws_config_text(BucketSettings.load({**TIGRIS, "AWS_REGION": ""}))


@pytest.mark.parametrize("bucket", [True, False])
def test_configure_environment_gives_dagster_the_compute_log_manager(bucket, make_database, tmp_path, monkeypatch):
    """DAGSTER_HOME's dagster.yaml, as Dagster's instance loads it: S3's manager at the endpoint
    with a bucket (its boto3 client virtual-hosted, in AWS_REGION, from the AWS config written
    beside it), the local one without."""
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # the manager's session reads the config anew
    url = make_database()
    env = {"TILESHOP_HOME": str(tmp_path), **(TIGRIS if bucket else {})}
    with environment(env):
        for name in ("DAGSTER_HOME", "DAGSTER_PG_URL", "AWS_CONFIG_FILE", *(() if bucket else TIGRIS)):
            os.environ.pop(name, None)
        values = bootstrap.configure_environment(url)
        assert values.get("AWS_CONFIG_FILE") == (str(tmp_path / "aws" / "config") if bucket else None)
        written = yaml.safe_load((tmp_path / "dagster" / "dagster.yaml").read_text())
        assert written == bootstrap.instance_config()
        with dg.DagsterInstance.get() as instance:
            manager = instance.compute_log_manager
            if bucket:
                assert type(manager).__name__ == "S3ComputeLogManager"
                assert (manager._s3_bucket, manager._s3_prefix) == ("tileshop-prod", "dagster/compute-logs")
                assert manager._s3_session.meta.endpoint_url == "https://fly.storage.tigris.dev"
                assert manager._s3_session.meta.region_name == "auto"
                assert manager._s3_session.meta.config.s3 == {"addressing_style": "virtual"}
            else:
                assert type(manager).__name__ == "LocalComputeLogManager"
                assert manager._base_dir.startswith(values["DAGSTER_HOME"])


def test_an_aws_config_file_already_set_is_kept(tmp_path):
    own = tmp_path / "own-aws-config"
    with environment({"TILESHOP_HOME": str(tmp_path / "home"), "AWS_CONFIG_FILE": str(own), **TIGRIS}):
        for name in ("DAGSTER_HOME", "DAGSTER_PG_URL"):
            os.environ.pop(name, None)
        values = bootstrap.configure_environment("postgresql://u@127.0.0.1:1/x")
    assert values["AWS_CONFIG_FILE"] == str(own)
    assert not own.exists() and not (tmp_path / "home" / "aws").exists()
