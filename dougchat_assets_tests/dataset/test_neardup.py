"""MinHash near-duplicate clusters: the same signatures as datasketch, and clusters that catch mutated copypasta."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from dougchat_assets.dataset import neardup

PASTA = (
    "i am not saying doug is the best streamer on this platform but if you look at the numbers the vibes "
    "the hair and the sheer amount of pickles involved the conclusion is impossible to ignore"
)


def _pairs(texts: list[str]):
    vocab: dict[str, int] = {}
    text_index, word_index = [], []
    for i, text in enumerate(texts):
        for word in sorted(set(text.split())):
            text_index.append(i)
            word_index.append(vocab.setdefault(word, len(vocab)))
    return np.array(text_index), np.array(word_index), neardup.word_hashes(list(vocab))


def test_signatures_equal_datasketch_legacy_minhash():
    texts = [PASTA, "hello there chat how are you all doing today", "a b c d e f", "one"]
    text_index, word_index, hashes = _pairs(texts)
    sig = neardup.signatures(text_index, word_index, len(texts), hashes)
    assert sig.shape == (len(texts), neardup.NUM_PERM)
    for row, text in zip(sig, texts):
        reference = MinHash(num_perm=neardup.NUM_PERM, seed=neardup.SEED, scheme="legacy")
        for word in set(text.split()):
            reference.update(word.encode("utf-8"))
        np.testing.assert_array_equal(row, reference.hashvalues)


def test_bands_follow_datasketch():
    lsh = MinHashLSH(threshold=0.6, num_perm=neardup.NUM_PERM)
    assert neardup.lsh_bands(0.6) == (lsh.b, lsh.r)


def test_mutated_copies_cluster_and_others_do_not():
    words = PASTA.split()
    changed = " ".join(words[:5] + ["cucumbers"] + words[6:])
    added = " ".join(words[:10] + ["honestly"] + words[10:])
    both = " ".join(["lol"] + words[:20] + ["wow"] + words[21:])
    other = "the weather is lovely today and i am going for a long walk in the park with my dog"
    short_a, short_b = "good stream today chat", "good stream tonight chat"  # 3 of 5 words shared: J = 0.6
    texts = [PASTA, other, changed, added, both, short_a, short_b]
    labels = neardup.near_duplicate_clusters(texts, threshold=0.6)
    assert labels[0] == labels[2] == labels[3] == labels[4] == 0
    assert labels[1] == 1
    assert len({labels[1], labels[0], labels[5]}) == 3


def test_threshold_matters():
    base = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    half = "alpha beta gamma delta epsilon lambda mu nu xi omicron"  # J = 5/15
    assert neardup.near_duplicate_clusters([base, half], threshold=0.8).tolist() == [0, 1]
    assert neardup.near_duplicate_clusters([base, half], threshold=0.2).tolist() == [0, 0]


def test_chains_form_one_cluster_and_result_is_deterministic():
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(500)]
    texts = []
    for _ in range(50):
        base = list(rng.choice(vocab, 25, replace=False))
        texts.append(" ".join(base))
        for _ in range(3):
            copy = list(base)
            copy[int(rng.integers(0, 25))] = str(rng.choice(vocab))
            texts.append(" ".join(copy))
    labels = neardup.near_duplicate_clusters(texts, threshold=0.6)
    assert len(set(labels.tolist())) == 50
    for group in range(50):
        assert len(set(labels[group * 4 : group * 4 + 4].tolist())) == 1
    assert (labels <= np.arange(len(texts))).all()  # the label is the first member
    np.testing.assert_array_equal(labels, neardup.near_duplicate_clusters(texts, threshold=0.6))


def test_empty_and_single():
    assert neardup.near_duplicate_clusters([], threshold=0.6).tolist() == []
    assert neardup.near_duplicate_clusters(["just one text here"], threshold=0.6).tolist() == [0]


def test_unsorted_pairs_are_refused():
    with pytest.raises(ValueError):
        neardup.signatures(np.array([0, 1, 0]), np.array([0, 0, 1]), 2, np.array([1, 2], dtype=np.uint64))
