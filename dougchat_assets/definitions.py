"""The code location: everything under ``defs/`` autoloaded, plus the executor of the profile."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from dougchat_assets.defs.automation import AUTOMATION
    from dougchat_assets.defs.executor import executor_for_profile
    from dougchat_assets.defs.tables import with_tables_and_owners
    from dougchat_assets.defs.versions import asset_code_versions

    loaded = dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
    # Autoloading sees a definition once in every module that imports it: keep each once, then
    # add column schemas, side tables and owners (defs/tables.py), code versions
    # (defs/versions.py) and automation conditions (defs/automation.py) in one place each.
    assets = list({id(a): a for a in loaded.assets or []}.values())
    sources = [a for a in assets if isinstance(a, dg.SourceAsset)]  # the per-VOD file inputs (defs/sources.py)
    resources = dict(loaded.resources or {})
    versions = asset_code_versions(resources, resources["warehouse"].layout)

    def describe(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        spec = with_tables_and_owners(spec)
        if name in versions:
            spec = spec.replace_attributes(code_version=versions[name])
        if name in AUTOMATION:
            spec = spec.replace_attributes(automation_condition=AUTOMATION[name])
        return spec

    return dg.Definitions(
        assets=[*dg.map_asset_specs(describe, [a for a in assets if a not in sources]), *sources],
        asset_checks=list({id(c): c for c in loaded.asset_checks or []}.values()),
        jobs=list({id(j): j for j in loaded.jobs or []}.values()),
        schedules=list({id(s): s for s in loaded.schedules or []}.values()),
        sensors=list({id(s): s for s in loaded.sensors or []}.values()),
        resources=loaded.resources,
        executor=executor_for_profile(),  # multiprocess, or Celery in the cluster profile (defs/executor.py)
    )
