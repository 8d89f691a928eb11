"""One partition per VOD; keys are validated VOD ids (see ``settings.validate_vod_id``)."""

import dagster as dg

vods = dg.DynamicPartitionsDefinition(name="vods")
