"""Audio: streaming decode to 16 kHz mono FLAC, energy envelope, checksums."""

from dougchat_assets.audio.decode import DecodedAudio, decode_to_flac
from dougchat_assets.audio.energy import EnergyMeter

__all__ = ["DecodedAudio", "EnergyMeter", "decode_to_flac"]
