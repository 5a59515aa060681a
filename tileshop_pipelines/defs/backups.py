"""The daily database backup: the whole database dumped into the object storage bucket, older
backups pruned (transfer/backups.py: names, retention, what is never left half-done). Scheduled
when a bucket is configured; `tileshop db restore --latest-backup` reads it back."""

import dagster as dg

from tileshop_pipelines import bootstrap
from tileshop_pipelines.defs.policy import BACKUP_RUN_TAGS
from tileshop_pipelines.defs.resources import BackupBucketResource, PostgresResource
from tileshop_pipelines.settings import PipelineSettings, load_settings
from tileshop_pipelines.transfer.backups import back_up


@dg.op(
    description="pg_dump of the whole database, uploaded to the bucket as backups/tileshop-<time>.dump; "
    "backups past retention deleted."
)
def back_up_database(
    context: dg.OpExecutionContext, postgres: PostgresResource, backups: BackupBucketResource
) -> dg.Output[str]:
    report = back_up(
        postgres.url(),
        backups.open(),
        backups.prefix,
        backups.keep_days,
        bootstrap.tileshop_home() / "backups",
        log=context.log.info,
    )
    return dg.Output(
        report["url"],
        metadata={
            "url": report["url"],
            "bytes": report["bytes"],
            "sha256": report["sha256"],
            "dumped_from": report["dumped_from"],
            "tables": report["tables"],
            "dump_s": report["dump_s"],
            "upload_s": report["upload_s"],
            "kept": len(report["kept"]),
            "deleted": dg.MetadataValue.json(report["deleted"]),
        },
    )


@dg.job(
    name="database_backup",
    tags=BACKUP_RUN_TAGS,
    description="The whole database to the object storage bucket; retention keeps TILESHOP_BACKUP_KEEP_DAYS days.",
)
def database_backup_job() -> None:
    back_up_database()


def database_backup_schedule(settings: PipelineSettings, bucket: bootstrap.BucketSettings) -> dg.ScheduleDefinition:
    """Daily at TILESHOP_BACKUP_CRON (UTC); running from the start when automation is on and a
    bucket is configured (without one the job would only fail)."""
    running = settings.automation and bucket.configured
    return dg.ScheduleDefinition(
        name="daily_database_backup",
        job=database_backup_job,
        cron_schedule=settings.backup_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[database_backup_job], schedules=[database_backup_schedule(load_settings(), bootstrap.bucket_settings())]
    )
