"""`tileshop`: run the pipeline, inspect its state, parse pages, ask questions, serve the sample catalog.

One module per command family, each registering its subcommands (`register(subparsers)`); this
module holds the entry point (`main`), the logging set-up and the parser that asks each family.
"""

from __future__ import annotations

import argparse

from tileshop_pipelines.cli import assistant, catalog, db, records, run, transfer, workspace
from tileshop_pipelines.cli.common import fail

FAMILIES = (run, catalog, assistant, records, db, transfer, workspace)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tileshop", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.register(sub)
    return parser


def configure_logging() -> None:
    """Log lines (not the commands' output) to stderr in LOG_FORMAT at LOG_LEVEL, secrets masked:
    the settings' secret values when they load (a command that needs them reports a bad one)."""
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.serving import logs
    from tileshop_pipelines.serving.settings import SettingsError
    from tileshop_pipelines.settings import load_settings

    logs.configure(secrets=bootstrap.process_secrets())
    try:
        logs.register_secrets(logs.secret_values(load_settings()))
    except (SettingsError, ImportError):  # ImportError: no Dagster (the app image's export stage)
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging()
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from tileshop_pipelines.serving.settings import SettingsError
        from tileshop_pipelines.store.db import DatabaseConfigError

        if isinstance(exc, (DatabaseConfigError, SettingsError)):
            return fail(str(exc))
        raise
