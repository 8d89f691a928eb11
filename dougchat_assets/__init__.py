"""dougchat: Twitch VODs + chat -> aligned, clean, versioned dataset -> LoRA chat model."""
