"""Near-duplicate clusters of chat texts: MinHash signatures + LSH banding, vectorised.

Copypasta mutates as it spreads (a word changed, a word added, a name swapped), so exact
text equality misses most of a burst.  MinHash over the set of words estimates the Jaccard
similarity of two messages; LSH banding finds the similar pairs without comparing all of them.

``datasketch`` defines the scheme (its legacy permutations ``h -> ((a h + b) mod p) & (2^32-1)``
over ``sha1_hash32`` of each word, and :class:`datasketch.MinHashLSH`'s choice of bands for a
threshold), but building one ``MinHash`` object per message costs about 70 microseconds, a
minute for a million messages.  Here the same numbers come from numpy over the whole batch:
each distinct word is hashed once, the signatures are column-wise minima, and the bands are
grouped by sorting.  The tests check the signatures against ``datasketch`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NUM_PERM = 64  # 64 permutations: Jaccard estimates within about +-0.06, enough to tell 0.6 from 0.3
SEED = 1
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of datasketch's legacy MinHash for ``num_perm`` and ``seed`` (uint64 arrays)."""
    from datasketch import MinHash

    try:
        perms = MinHash(num_perm=num_perm, seed=seed, scheme="legacy").permutations
    except TypeError:  # datasketch < 2.0 has only the legacy scheme
        perms = MinHash(num_perm=num_perm, seed=seed).permutations
    return np.asarray(perms[0], dtype=np.uint64), np.asarray(perms[1], dtype=np.uint64)


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """datasketch's ``sha1_hash32`` of each word's UTF-8 bytes (uint64)."""
    from datasketch.hashfunc import sha1_hash32

    return np.fromiter((sha1_hash32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))


def signatures(
    text_index: np.ndarray, word_index: np.ndarray, n_texts: int, hashes: np.ndarray,
    num_perm: int = NUM_PERM, seed: int = SEED,
) -> np.ndarray:
    """MinHash signatures (n_texts x num_perm, uint32) from (text, word) pairs.

    ``text_index``/``word_index`` list each distinct word of each text once, sorted by text;
    ``hashes[w]`` is the word's 32-bit hash.  Every text must have at least one word.
    """
    a, b = permutations(num_perm, seed)
    # Permuted hash of every distinct word, once: (num_perm x words).  uint64 products wrap
    # exactly as datasketch's do.
    permuted = (((a[:, None] * hashes[None, :] + b[:, None]) % _MERSENNE) & _MAX_HASH).astype(np.uint32)
    if n_texts == 0:
        return np.empty((0, num_perm), dtype=np.uint32)
    starts = np.flatnonzero(np.r_[True, text_index[1:] != text_index[:-1]])
    if len(starts) != n_texts:
        raise ValueError("every text needs at least one word, and pairs must be sorted by text")
    # One permutation at a time: a 1-D gather and segment minimum is about 4x faster than
    # the same on a (pairs x num_perm) block, and needs no block in memory.
    sig = np.empty((num_perm, n_texts), dtype=np.uint32)
    for k in range(num_perm):
        sig[k] = np.minimum.reduceat(permuted[k][word_index], starts)
    return np.ascontiguousarray(sig.T)


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH picks for ``threshold``."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Smallest member index of each node's connected component (label propagation)."""
    labels = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        new = labels.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        new = new[new]  # pointer jumping: follow labels to their own label
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            return labels
        labels = new


def _band_key(part: np.ndarray) -> np.ndarray:
    """One uint64 per row mixing the band's values (a rare false bucket is caught by the Jaccard check)."""
    key = np.zeros(part.shape[0], dtype=np.uint64)
    for column in range(part.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) + part[:, column].astype(np.uint64)
    return key


def cluster_signatures(sig: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster label per row (the smallest row index of its cluster).

    Two rows are linked when they share an LSH band and their estimated Jaccard (share of
    equal signature values) is at least ``threshold``; clusters are the connected groups.
    Deterministic: the result depends only on the rows and their order.
    """
    n, num_perm = sig.shape
    if n < 2:
        return np.arange(n, dtype=np.int64)
    bands, rows = lsh_bands(threshold, num_perm)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    index = np.arange(n, dtype=np.int64)
    for band in range(bands):
        key = _band_key(sig[:, band * rows : (band + 1) * rows])
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        same = sorted_key[1:] == sorted_key[:-1]
        if not same.any():
            continue
        # Link each row to the first row of its bucket.
        new_group = np.r_[True, ~same]
        group_first = order[np.flatnonzero(new_group)][np.cumsum(new_group) - 1]
        members = ~new_group
        lefts.append(group_first[members])
        rights.append(order[members])
    if not lefts:
        return index
    left = np.concatenate(lefts)
    right = np.concatenate(rights)
    pairs = np.unique(np.stack([left, right], axis=1), axis=0)
    left, right = pairs[:, 0], pairs[:, 1]
    similar = (sig[left] == sig[right]).mean(axis=1) >= threshold
    return _components(n, left[similar], right[similar])


def near_duplicate_clusters(texts: Sequence[str], threshold: float, num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """Cluster label per text (smallest index of its cluster); texts are sets of space-separated words.

    A convenience over :func:`signatures` and :func:`cluster_signatures` for small inputs;
    the filters build the (text, word) pairs in DuckDB instead.
    """
    vocab: dict[str, int] = {}
    text_index: list[int] = []
    word_index: list[int] = []
    for i, text in enumerate(texts):
        words = sorted(set(text.split())) or [""]
        for word in words:
            text_index.append(i)
            word_index.append(vocab.setdefault(word, len(vocab)))
    hashes = word_hashes(list(vocab))
    sig = signatures(np.asarray(text_index, np.int64), np.asarray(word_index, np.int64), len(texts), hashes, num_perm, seed)
    return cluster_signatures(sig, threshold)
