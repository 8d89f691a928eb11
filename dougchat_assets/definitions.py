"""The code location: everything under ``defs/`` autoloaded, plus the executor."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from dougchat_assets.defs.tables import with_tables_and_owners

    loaded = dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
    # Autoloading sees a definition once in every module that imports it: keep each once, then
    # add column schemas, side tables and owners in one place (defs/tables.py), not per decorator.
    assets = list({id(a): a for a in loaded.assets or []}.values())
    return dg.Definitions(
        assets=dg.map_asset_specs(with_tables_and_owners, assets),
        asset_checks=list({id(c): c for c in loaded.asset_checks or []}.values()),
        jobs=list({id(j): j for j in loaded.jobs or []}.values()),
        schedules=list({id(s): s for s in loaded.schedules or []}.values()),
        sensors=list({id(s): s for s in loaded.sensors or []}.values()),
        resources=loaded.resources,
        executor=dg.multiprocess_executor,
    )
