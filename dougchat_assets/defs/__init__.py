"""The Dagster layer: thin assets, checks, sensors and schedules around the pure logic.

Autoloaded by ``dougchat_assets.definitions`` (``dg.load_from_defs_folder``).
"""
