"""The dataset stage (pure logic): chat filters, (context -> reply) pairs, splits, manifests.

A VOD's ``raw_chat`` passes the filters (:mod:`.filters`: system rows, moderation, bots,
commands, copypasta, rate limits, emotes, length, toxicity; text rules in :mod:`.normalize`,
near-duplicates in :mod:`.neardup`, the profanity model in :mod:`.toxicity`); the survivors
become training pairs.  Every knob lives in :mod:`.params`, whose hashes go into the lineage.
Nothing here imports Dagster; heavy libraries (scikit-learn, datasketch) load on first use.
"""
