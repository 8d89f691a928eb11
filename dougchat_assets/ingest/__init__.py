"""Ingest: turn a VOD folder (audio + chat export + optional vod.json) into warehouse rows.

No Dagster here: the assets, the CLI and the benchmarks all call these functions.
"""
