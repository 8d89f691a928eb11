"""The model stage: base model loading, LoRA training, ranking, generation, evaluation.

Pure logic: no Dagster here.  torch, transformers and peft are imported inside functions
so that importing this package (and loading the Dagster code location) stays fast.
"""
