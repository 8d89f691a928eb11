"""The code location: everything under ``defs/`` autoloaded, plus the executor."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
    return dg.Definitions.merge(loaded, dg.Definitions(executor=dg.multiprocess_executor))
