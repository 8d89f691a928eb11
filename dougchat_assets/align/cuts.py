"""Curve-fit stage, cuts: where the offset jumps (an ad break cut out of the audio), and by how much.

Between segments ``theta`` takes a *positive* jump: a cut removes broadcast time, so chat
runs further ahead of the audio after it; nothing makes the audio longer than the broadcast.

* :func:`segment_path` / :func:`best_path` — the best path through (audio block, theta) with
  at most ``max_cuts`` positive jumps, each paying a penalty (dynamic programming: model
  selection over 0..max_cuts cuts in one pass);
* :func:`place_split` (:func:`split_profile` + :func:`place_cut`) — each cut moved to word level,
  into the longest pause the echoes allow;
* :func:`drop_segment`, :func:`own_offset_gains`, :func:`echo_matches` — pruning segments the
  echoes do not support;
* :func:`echo_propensity` — per-token weights used only to place cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.score import ScoreKernel, block_offset_scores


@dataclass(frozen=True)
class PathSegment:
    block_start: int  # first block (inclusive)
    block_end: int  # last block (exclusive)
    theta_index: int


def best_path(
    score_c: np.ndarray, min_jump_bins: int, max_cuts: int, penalty: float
) -> tuple[list[PathSegment], list[float]]:
    """Max-score path through (block, offset) with <= max_cuts positive jumps, each costing ``penalty``.

    Returns the chosen segments and the best total score for each number of cuts (model
    selection evidence).  Ties resolve to the fewest cuts and the lowest offset, so the result
    is deterministic.
    """
    n_blocks, n_theta = score_c.shape
    n_states = max_cuts + 1
    value = np.full((n_states, n_theta), -np.inf)
    value[0] = score_c[0]
    jumped = np.zeros((n_blocks, n_states, n_theta), dtype=bool)
    source = np.zeros((n_blocks, n_states, n_theta), dtype=np.int32)
    idx = np.arange(n_theta)
    for b in range(1, n_blocks):
        new = np.full_like(value, -np.inf)
        new[0] = value[0] + score_c[b]
        for j in range(1, n_states):
            prev = value[j - 1]
            run_max = np.maximum.accumulate(prev)
            run_arg = np.maximum.accumulate(np.where(prev == run_max, idx, 0))
            jump_val = np.full(n_theta, -np.inf)
            jump_src = np.zeros(n_theta, dtype=np.int64)
            if n_theta > min_jump_bins:
                jump_val[min_jump_bins:] = run_max[: n_theta - min_jump_bins] - penalty
                jump_src[min_jump_bins:] = run_arg[: n_theta - min_jump_bins]
            take_jump = jump_val > value[j]
            new[j] = np.where(take_jump, jump_val, value[j]) + score_c[b]
            jumped[b, j] = take_jump
            source[b, j] = jump_src
        value = new
    finals = [float(value[j].max()) for j in range(n_states)]
    n_cuts = int(np.argmax(np.array(finals) + 1e-9 * -np.arange(n_states)))
    theta = int(np.argmax(value[n_cuts]))
    # backtrack
    segments: list[PathSegment] = []
    end = n_blocks
    j = n_cuts
    for b in range(n_blocks - 1, 0, -1):
        if j > 0 and jumped[b, j, theta]:
            segments.append(PathSegment(b, end, theta))
            end = b
            theta = int(source[b, j, theta])
            j -= 1
    segments.append(PathSegment(0, end, theta))
    segments.reverse()
    return segments, finals


@dataclass(frozen=True)
class SplitProfile:
    """Every place a cut between two offsets could go, with how well the echoes fit it.

    Candidate ``k`` puts the cut in the open interval ``(lo[k], hi[k])`` between two
    consecutive evidence times; ``total[k]`` is the score of the left offset for evidence
    before it plus the right offset for evidence after it.
    """

    lo: np.ndarray
    hi: np.ndarray
    total: np.ndarray

    def interval(self, tolerance: float) -> tuple[float, float]:
        """Span of all candidates within ``tolerance`` of the best (the cut's uncertainty)."""
        good = np.flatnonzero(self.total >= self.total.max() - tolerance)
        return float(self.lo[good.min()]), float(self.hi[good.max()])

    def best(self, eps: float) -> list[tuple[float, float]]:
        """The candidate intervals scoring within ``eps`` of the best (equally good places)."""
        good = np.flatnonzero(self.total >= self.total.max() - eps)
        return [(float(self.lo[k]), float(self.hi[k])) for k in good]


def split_profile(
    a_pairs: np.ndarray,
    d_left: np.ndarray,
    d_right: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    group: np.ndarray | None = None,
    item_scale: float = 1.0,
) -> SplitProfile:
    """Score every cut position between two offsets by the echoes around it.

    ``d_left``/``d_right`` are each pair's delay under the left/right segment's offset.
    Each message counts at most 1 (its kernel value relative to the best, times its weight
    capped at 1): where a cut lies is a question of *how many* viewers echoed a sentence on
    each side, and a single message of a rare token is as often a coincidence as an echo.
    ``group`` ties pairs of one transcript item (a word occurrence) into one piece of
    evidence worth ``log(1 + count / item_scale)`` on each side: an echo burst of fifteen
    messages is strong evidence, one chance message a little, and forty chance messages
    containing "chat" not forty times as much (the log of a sum, like a mixture likelihood
    with a background level of ``item_scale``).
    """
    k_max = float(kernel.values.max())
    pair_w = np.minimum(w, 1.0)  # one message is at most one message, however rare its token
    sl = pair_w * kernel.continuous(d_left) / k_max
    sr = pair_w * kernel.continuous(d_right) / k_max
    if group is None:
        group = np.arange(a_pairs.size)
    _, inv = np.unique(group, return_inverse=True)
    n = int(inv.max()) + 1 if inv.size else 0
    gl = np.log1p(np.bincount(inv, weights=sl, minlength=n) / item_scale)
    gr = np.log1p(np.bincount(inv, weights=sr, minlength=n) / item_scale)
    ga = np.zeros(n)
    ga[inv] = a_pairs
    order = np.argsort(ga, kind="stable")
    ga, gl, gr = ga[order], gl[order], gr[order]
    uniq, first = np.unique(ga, return_index=True)
    cum_l = np.concatenate([[0.0], np.cumsum(gl)])
    cum_r = np.concatenate([[0.0], np.cumsum(gr)])
    # candidate k (0..len(uniq)): left gets the items before uniq[k]
    cuts = np.concatenate([first, [ga.size]])
    total = cum_l[cuts] + (cum_r[-1] - cum_r[cuts])
    lo = np.concatenate([[-np.inf], uniq])
    hi = np.concatenate([uniq, [np.inf]])
    return SplitProfile(lo, hi, total)


def place_cut(
    intervals: list[tuple[float, float]], word_start: np.ndarray, word_end: np.ndarray, window: tuple[float, float]
) -> float:
    """Where to put a cut the echoes place equally well anywhere in ``intervals``.

    At the longest pause between two words inside them (a splice inside running speech would
    leave a garbled word; ad breaks start and end on silence more often than not), or in the
    middle of the widest interval when they hold no pause.  ``window`` bounds open ends.
    """
    best_gap, best_at = -1.0, None
    clipped = [(max(lo, window[0]), min(hi, window[1])) for lo, hi in intervals]
    if word_start.size >= 2:
        gap_lo = word_end[:-1]
        gap_hi = word_start[1:]
        for lo, hi in clipped:
            inside = (gap_lo >= lo - 0.05) & (gap_hi <= hi + 0.05) & (gap_hi > gap_lo)
            if inside.any():
                idx = np.flatnonzero(inside)
                k = idx[int(np.argmax(gap_hi[idx] - gap_lo[idx]))]
                if gap_hi[k] - gap_lo[k] > best_gap:
                    best_gap, best_at = float(gap_hi[k] - gap_lo[k]), float(0.5 * (gap_lo[k] + gap_hi[k]))
    if best_at is not None:
        return best_at
    lo, hi = max(clipped, key=lambda iv: iv[1] - iv[0])
    return float(0.5 * (lo + hi))


def segment_path(
    block: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    n_blocks: int,
    l_lo: float,
    n_l: int,
    kernel: ScoreKernel,
    params: AlignmentParams,
) -> tuple[list[PathSegment], list[float], float]:
    """Best (block, theta) path with a penalty per cut scaled to the blocks' noise level."""
    s_blk = block_offset_scores(block, ys, w, n_blocks, l_lo, n_l, kernel)
    s_c = s_blk - np.median(s_blk, axis=1, keepdims=True)
    nonempty = np.abs(s_blk).sum(axis=1) > 0
    # the spread of a block's score across offsets (most of them wrong); a plain standard
    # deviation, because in sparse blocks most offsets score exactly 0 and a MAD collapses
    sigma = float(np.std(s_c[nonempty])) if nonempty.any() else 1.0
    sigma = sigma if sigma > 0 else 1.0
    # a cut must gain what ~penalty_blocks blocks of noise could fake; not more on long VODs:
    # there every true segment carries far more evidence, and spurious ones are pruned later
    penalty = params.cut_penalty * sigma * float(np.sqrt(max(1, min(int(nonempty.sum()), params.penalty_blocks))))
    path, finals = best_path(s_c, int(np.ceil(params.min_cut_s / kernel.bin_s)), params.max_cuts, penalty)
    return path, finals, penalty


def own_offset_gains(
    ys: np.ndarray, w: np.ndarray, seg_of_pair: np.ndarray, thetas: np.ndarray, kernel: ScoreKernel
) -> np.ndarray:
    """Per segment: its pairs' score at its own offset minus at the better neighbour's offset.

    A segment whose echoes fit a neighbour's offset about as well is not evidence of a cut.
    A weak but real segment (sparse chat) keeps its offset: it shows up with low confidence
    instead of being silently forced onto the wrong side of a cut.
    """
    gains = np.full(thetas.size, np.inf)
    for j in range(thetas.size):
        m = seg_of_pair == j
        own = float(np.sum(w[m] * kernel.continuous(ys[m] - thetas[j])))
        others = [
            float(np.sum(w[m] * kernel.continuous(ys[m] - thetas[i]))) for i in (j - 1, j + 1) if 0 <= i < thetas.size
        ]
        gains[j] = own - max(others) if others else np.inf
    return gains


def echo_matches(d: np.ndarray, q_lo: float, q_hi: float) -> float:
    """Echo matches in excess of coincidences: pairs whose delay is plausible under the lag
    prior, minus the average count in windows of equal width at wrong offsets (30-150 s away)."""
    inl = float(np.sum((d >= q_lo) & (d <= q_hi)))
    bg = 0.0
    for off in (-150.0, -90.0, -30.0, 30.0, 90.0, 150.0):
        bg += float(np.sum((d >= q_lo + off) & (d <= q_hi + off)))
    return inl - bg / 6.0


def cut_profile(
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    theta_left: float,
    theta_right: float,
    left_start: float,
    right_end: float,
    group: np.ndarray,
) -> SplitProfile | None:
    """Split profile between two offsets over the evidence between the neighbouring cuts."""
    m = (a >= left_start) & (a < right_end)
    if m.sum() < 2:
        return None
    return split_profile(a[m], ys[m] - theta_left, ys[m] - theta_right, w[m], kernel, group[m])


def place_split(
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    theta_left: float,
    theta_right: float,
    edge: float,
    left_start: float,
    right_end: float,
    params: AlignmentParams,
    words: tuple[np.ndarray, np.ndarray],
    group: np.ndarray,
) -> float:
    """Audio time of the cut between two offsets: where the echoes fit best (searched between
    the neighbouring cuts), at the longest pause there; ``edge`` when there is no evidence."""
    prof = cut_profile(a, ys, w, kernel, theta_left, theta_right, left_start, right_end, group)
    if prof is None:
        return float(edge)
    lo_w = left_start if np.isfinite(left_start) else float(a.min()) - 1.0
    hi_w = right_end if np.isfinite(right_end) else float(a.max()) + 1.0
    return place_cut(prof.best(params.split_best_tolerance), words[0], words[1], (lo_w, hi_w))


def drop_segment(
    j: int,
    edges: np.ndarray,
    thetas: np.ndarray,
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    params: AlignmentParams,
    words: tuple[np.ndarray, np.ndarray],
    group: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Remove segment j: an end segment merges into its neighbour; a middle one is replaced by
    a single cut between its neighbours, placed by the echoes inside its span."""
    if j == 0:
        return edges[1:], thetas[1:]
    if j == thetas.size - 1:
        return edges[:-1], thetas[:-1]
    lo_a = edges[j - 2] if j >= 2 else -np.inf
    hi_a = edges[j + 1] if j + 1 < edges.size else np.inf
    split = place_split(
        a,
        ys,
        w,
        kernel,
        thetas[j - 1],
        thetas[j + 1],
        0.5 * (edges[j - 1] + edges[j]),
        lo_a,
        hi_a,
        params,
        words,
        group,
    )
    return np.concatenate([edges[: j - 1], [split], edges[j + 1 :]]), np.concatenate([thetas[:j], thetas[j + 1 :]])


def echo_propensity(token: np.ndarray, d: np.ndarray, q_lo: float, q_hi: float) -> np.ndarray:
    """Per pair, the share of its token's plausible-delay pairs that are real echoes.

    Under the fitted curve, a token that chat really echoes (a name, "1" after a call) has
    far more pairs at plausible delays than at wrong offsets; one that it merely also uses
    ("chat": the streamer addresses chat, chat talks about chat) has as many either way.
    Rarity weights cannot tell these apart (both can be moderately common); this can.  Used
    only to place cuts, never for significance, so it cannot inflate a coincidence.
    """
    if token.size == 0:
        return np.ones(0)
    n = int(token.max()) + 1
    inl = np.bincount(token, weights=((d >= q_lo) & (d <= q_hi)).astype(float), minlength=n)
    bg = np.zeros(n)
    for off in (-150.0, -90.0, -30.0, 30.0, 90.0, 150.0):
        bg += np.bincount(token, weights=((d >= q_lo + off) & (d <= q_hi + off)).astype(float), minlength=n)
    bg /= 6.0
    rho = np.clip((inl - bg) / (inl + 1.0), 0.0, 1.0)
    return rho[token]

