"""Tests of the synthetic-stream generator (dougchat_sim, at the repository root)."""
