"""Jobs: the per-VOD pipeline (sensor, schedule, CLI) and the cross-VOD dataset/model pipeline."""

import dagster as dg

from dougchat_assets.defs.alignment import offset_curve
from dougchat_assets.defs.dataset import clean_pairs, train_split
from dougchat_assets.defs.ingest import raw_chat, vod_audio
from dougchat_assets.defs.model import eval_report, lora_adapter
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.transcription import transcripts

# Every asset partitioned by VOD, in pipeline order.
PER_VOD_ASSETS = [raw_chat, vod_audio, transcripts, offset_curve, clean_pairs]
# Those every added VOD must have (the daily backfill's notion of missing); a VOD whose
# alignment checks fail never gets clean_pairs, so it cannot count as "missing" there.
MUST_EXIST_ASSETS = [raw_chat, vod_audio, transcripts, offset_curve]
# Assets over all VODs, in pipeline order.
CROSS_VOD_ASSETS = [train_split, lora_adapter, eval_report]

vod_pipeline = dg.define_asset_job(
    "vod_pipeline",
    selection=dg.AssetSelection.assets(*PER_VOD_ASSETS),
    partitions_def=vods,
    description="Ingest, transcribe, align and pair one VOD partition.",
)

dataset_and_model = dg.define_asset_job(
    "dataset_and_model",
    selection=dg.AssetSelection.assets(*CROSS_VOD_ASSETS),
    description="Split every VOD's pairs by stream, train the LoRA adapter, evaluate it on held-out VODs.",
)
