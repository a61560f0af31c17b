"""The cluster configuration: model (``model``), YAML loading and validation.

``load_config_file`` / ``load_config_text`` return every problem as a report;
``load_config`` raises ``ReportedError`` instead; ``dump_config`` writes YAML that loads
back to an equal model; ``validate_config`` checks a model however it was built.
"""

from hafailover.config.dump import dump_config
from hafailover.config.loader import (
    LoadResult,
    load_config,
    load_config_bytes,
    load_config_file,
    load_config_text,
)
from hafailover.config.validate import ConfigPaths, validate_config
from hafailover.config.values import parse_duration

__all__ = [
    "ConfigPaths",
    "LoadResult",
    "dump_config",
    "load_config",
    "load_config_bytes",
    "load_config_file",
    "load_config_text",
    "parse_duration",
    "validate_config",
]
