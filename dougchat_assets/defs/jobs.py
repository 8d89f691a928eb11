"""Jobs: the per-VOD pipeline the sensor, the schedule and the CLI launch."""

import dagster as dg

from dougchat_assets.defs.alignment import offset_curve
from dougchat_assets.defs.ingest import raw_chat, vod_audio
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.transcription import transcripts

# Every asset partitioned by VOD, in pipeline order; later stages append theirs here.
PER_VOD_ASSETS = [raw_chat, vod_audio, transcripts, offset_curve]

vod_pipeline = dg.define_asset_job(
    "vod_pipeline",
    selection=dg.AssetSelection.assets(*PER_VOD_ASSETS),
    partitions_def=vods,
    description="Ingest (and later transcribe, align, pair) one VOD partition.",
)
