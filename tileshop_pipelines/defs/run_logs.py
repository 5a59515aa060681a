"""The jobs' `console` logger, silenced: run logs are printed by dagster.yaml's python_logs handler
(tileshop_pipelines.serving.logs: LOG_FORMAT, LOG_LEVEL, secrets masked), so each line appears once and in
one format. Dagster's colored console logger would print every line a second time, unmasked.

The config schema is the console logger's (`log_level`, `name`), so run configs that set it (the
local runs' `loggers.console.config.log_level`) stay valid; the level that applies is LOG_LEVEL.
"""

from __future__ import annotations

import logging

import dagster as dg


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="Prints nothing: dagster.yaml's python_logs handler prints run logs (LOG_FORMAT, LOG_LEVEL).",
)
def silent_console(init_context) -> logging.Logger:
    logger = logging.Logger(init_context.logger_config["name"])
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger
