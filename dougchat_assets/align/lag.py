"""Curve-fit stage, the lag prior: the chat reaction-lag model, and what of it the data can and cannot tell.

A viewer hears the streamer ``latency`` seconds late (stream delay) and types a reaction
``reaction`` seconds after that.  So a message echoing a word that ended at audio time ``a``
is sent at chat time ``G(a) + latency + reaction``, where ``G`` is the audio->chat-clock map
we want (its inverse is the offset curve).

What is identifiable from the data
    * the *sum* ``G(a) + lag`` at every point (echo delays pile up there), hence the drift
      (slope of G), the position and length of every cut, and the *shape* of the lag
      distribution (its spread, skew and tail: reported as ``lag_spread_s``);
What is NOT identifiable
    * how that sum splits into offset and lag.  A curve shifted by +d with every viewer
      reacting d seconds faster explains the same chat exactly; nothing in chat or audio
      (countdown bursts and call answers included: they are reactions too) pins the
      absolute lag.  So the split comes from this prior: the estimator subtracts the prior's
      lag distribution (by a maximum-likelihood location fit of its full shape, not just its
      median), and the accuracy of the absolute offset is the accuracy of the prior.
      The one exception: messages the streamer reads aloud (speech *after* the message)
      bound the offset from the other side; with enough of them :mod:`.readaloud` measures
      the split (up to the streamer's read delay, itself a prior) and the result says
      ``latency_source = "measured"``.

Default prior: latency ~ Normal(2.5 s, 0.6 s) clipped at >= 1 s (Twitch low-latency mode
is ~1-4 s), reaction ~ LogNormal(median 1.8 s, sigma 0.6) capped at 12 s, counted from the
end of the *sentence* carrying the echoed word (see :mod:`.calls`: viewers react once the
line lands; the demo generator uses the same convention).  Change it per community with :class:`LagPrior`; a prior
that is 1 s off moves every aligned message by ~1 s (``bench/alignment.py`` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

_GRID_STEP_S = 0.02
_GRID_MAX_S = 30.0


@dataclass(frozen=True)
class LagPrior:
    """Prior of the delay between the end of a spoken word and a chat message echoing it."""

    latency_mean_s: float = 2.5
    latency_sd_s: float = 0.6
    latency_min_s: float = 1.0
    reaction_median_s: float = 1.8
    reaction_sigma: float = 0.6
    reaction_max_s: float = 12.0

    @cached_property
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(delay_s, density) of latency + reaction on a fine grid (numerical convolution)."""
        x = np.arange(0.0, _GRID_MAX_S, _GRID_STEP_S)
        # latency: normal, with the mass below the minimum piled at the minimum (clipping)
        lat = np.exp(-0.5 * ((x - self.latency_mean_s) / self.latency_sd_s) ** 2)
        lat[x < self.latency_min_s] = 0.0
        below = 0.5 * (1.0 + _erf((self.latency_min_s - self.latency_mean_s) / (self.latency_sd_s * np.sqrt(2.0))))
        lat = lat / lat.sum() * (1.0 - below)
        lat[int(round(self.latency_min_s / _GRID_STEP_S))] += below
        # reaction: lognormal, the tail beyond the cap piled at the cap
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(x, 1e-9)) - np.log(self.reaction_median_s)) / self.reaction_sigma
        rea = np.where(x > 0, np.exp(-0.5 * z * z) / np.maximum(x, 1e-9), 0.0)
        rea[x > self.reaction_max_s] = 0.0
        tail = 0.5 * (
            1.0
            - _erf(
                (np.log(self.reaction_max_s) - np.log(self.reaction_median_s)) / (self.reaction_sigma * np.sqrt(2.0))
            )
        )
        rea = rea / rea.sum() * (1.0 - tail)
        rea[min(int(round(self.reaction_max_s / _GRID_STEP_S)), x.size - 1)] += tail
        dens = np.convolve(lat, rea)[: x.size]
        dens = dens / (dens.sum() * _GRID_STEP_S)
        return x, dens

    def density(self, delay_s: np.ndarray | float) -> np.ndarray:
        """Probability density of a delay (seconds); 0 outside the support."""
        x, d = self.grid
        return np.interp(delay_s, x, d, left=0.0, right=0.0)

    def quantile(self, q: float) -> float:
        x, d = self.grid
        cdf = np.cumsum(d) * _GRID_STEP_S
        return float(np.interp(q, cdf, x))

    @property
    def median_s(self) -> float:
        return self.quantile(0.5)

    @property
    def iqr_s(self) -> float:
        return self.quantile(0.75) - self.quantile(0.25)

    @property
    def support_s(self) -> tuple[float, float]:
        """Delays holding 99.5 % of the mass (the echo search window)."""
        return self.quantile(0.0025), self.quantile(0.9975)


def _erf(x: float) -> float:
    """math.erf, kept local so numpy scalars pass through."""
    import math

    return math.erf(float(x))
