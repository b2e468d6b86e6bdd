"""Named, seeded random streams for common random numbers (CRN).

Every random decision or service time in the model draws from its own named :class:`Stream`.
The generator behind a name depends only on the run seed and the name (hashed with SHA-256,
never Python's ``hash()``), so the same name gives the same numbers in every process, with any
``PYTHONHASHSEED`` and whatever other streams exist or were created first. Comparing two
scenarios with the same seed then reuses the same draws for the same purpose, which reduces the
variance of the difference (common random numbers).

For CRN to work, use one stream for ONE purpose only (one decision or one service time): a
stream's uniform, exponential and normal draws come from separate buffers that are refilled from
the same generator, so mixing kinds of draws on one stream makes each sequence depend on the order
in which the buffers happen to be refilled.
"""

from __future__ import annotations

import hashlib
import math
import struct
from bisect import bisect_right
from collections.abc import Callable, Iterable

import numpy as np

#: Number of draws fetched from the generator per buffer refill.
BLOCK_SIZE = 1024


def stream_key(name: str) -> tuple[int, int, int, int]:
    """Derive the SeedSequence spawn key of a stream name.

    Args:
        name: The stream name.

    Returns:
        The first 16 bytes of the SHA-256 digest of the UTF-8 name, as 4 little-endian uint32.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return struct.unpack("<4I", digest[:16])


def cumulative(weights: Iterable[float]) -> list[float]:
    """Turn non-negative weights into the cumulative normalised list that Stream.choice expects.

    Args:
        weights: Non-negative, finite weights with a positive sum (need not sum to 1).

    Returns:
        Cumulative sums divided by the total; the last value is exactly 1.0.

    Raises:
        ValueError: If the weights are empty, negative, non-finite or sum to 0.
    """
    values = [float(w) for w in weights]
    if not values:
        raise ValueError("weights must not be empty")
    if any(not math.isfinite(w) or w < 0 for w in values):
        raise ValueError(f"weights must be finite and non-negative; got {values}")
    total = sum(values)
    if total <= 0:
        raise ValueError(f"weights must have a positive sum; got {values}")
    result: list[float] = []
    running = 0.0
    for w in values:
        running += w
        result.append(running / total)
    result[-1] = 1.0
    for i in range(len(result) - 2, -1, -1):  # keep the list monotone after rounding
        result[i] = min(result[i], result[i + 1])
    return result


class Stream:
    """One random stream, fast for one-at-a-time draws in a simulation hot loop.

    Uniform, standard exponential and standard normal draws are fetched from the generator in
    blocks of ``block_size`` and handed out one by one. Each kind has its own buffer, filled
    lazily on first use from the same generator; use a stream for one purpose only (see the
    module docstring).

    Args:
        generator: The numpy Generator this stream owns.
        name: The stream name (for messages and repr only).
        block_size: Number of draws fetched per buffer refill.
    """

    def __init__(
        self, generator: np.random.Generator, name: str = "", block_size: int = BLOCK_SIZE
    ) -> None:
        if block_size < 1:
            raise ValueError(f"block_size must be >= 1; got {block_size}")
        self.name = name
        self._gen = generator
        self._block = block_size
        self._next_uniform: Callable[[], float] = iter(()).__next__
        self._next_exponential: Callable[[], float] = iter(()).__next__
        self._next_normal: Callable[[], float] = iter(()).__next__

    def __repr__(self) -> str:
        return f"Stream({self.name!r})"

    @property
    def generator(self) -> np.random.Generator:
        """The underlying numpy Generator, for bulk draws (bypasses the buffers)."""
        return self._gen

    def random(self) -> float:
        """Return a uniform draw in [0, 1)."""
        try:
            return self._next_uniform()
        except StopIteration:
            self._next_uniform = iter(self._gen.random(self._block).tolist()).__next__
            return self._next_uniform()

    def exponential(self, mean: float) -> float:
        """Return an exponential draw with the given mean (a scaled standard exponential).

        Args:
            mean: The mean (scale) of the distribution.
        """
        try:
            return mean * self._next_exponential()
        except StopIteration:
            block = self._gen.standard_exponential(self._block).tolist()
            self._next_exponential = iter(block).__next__
            return mean * self._next_exponential()

    def normal(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """Return a normal draw ``mu + sigma * z`` with z a buffered standard normal.

        Args:
            mu: The mean.
            sigma: The standard deviation.
        """
        try:
            return mu + sigma * self._next_normal()
        except StopIteration:
            self._next_normal = iter(self._gen.standard_normal(self._block).tolist()).__next__
            return mu + sigma * self._next_normal()

    def bernoulli(self, p: float) -> bool:
        """Return True with probability ``p`` (one uniform draw).

        Args:
            p: The success probability.
        """
        return self.random() < p

    def choice(self, cum_weights: list[float]) -> int:
        """Return an index drawn with the given cumulative weights (one uniform draw).

        Args:
            cum_weights: Cumulative NORMALISED weights whose last value is 1.0, as returned by
                :func:`cumulative`; precompute them once, outside the hot loop.

        Returns:
            An index in ``[0, len(cum_weights))``; index i has probability
            ``cum_weights[i] - cum_weights[i - 1]``.
        """
        index = bisect_right(cum_weights, self.random())
        return index if index < len(cum_weights) else len(cum_weights) - 1

    def integers(self, n: int) -> int:
        """Return a uniform integer in ``[0, n)`` (one uniform draw).

        Args:
            n: The number of possible values (>= 1).
        """
        if n < 1:
            raise ValueError(f"n must be >= 1; got {n}")
        index = int(self.random() * n)
        return index if index < n else n - 1

    def gamma(self, shape: float, scale: float = 1.0) -> float:
        """Return a gamma draw (unbuffered, straight from the generator).

        Args:
            shape: The shape parameter (> 0).
            scale: The scale parameter; the mean is ``shape * scale``.
        """
        return scale * float(self._gen.standard_gamma(shape))


class Streams:
    """The named random streams of one simulation run.

    ``Streams(seed).get(name)`` always returns the same :class:`Stream` object for a name. The
    stream's generator is ``PCG64(SeedSequence(entropy=seed, spawn_key=stream_key(name)))``, so
    it depends only on the seed and the name, not on other streams or creation order.

    Args:
        seed: The run seed, a non-negative integer.
        block_size: Buffer size passed to every Stream.
    """

    def __init__(self, seed: int, block_size: int = BLOCK_SIZE) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be a non-negative integer; got {seed!r}")
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
        self.seed = int(seed)
        self._block = block_size
        self._streams: dict[str, Stream] = {}

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed}, streams={len(self._streams)})"

    def get(self, name: str) -> Stream:
        """Return the stream for ``name``, creating it on first use.

        Args:
            name: The stream name, e.g. ``"arrivals.web"``.
        """
        stream = self._streams.get(name)
        if stream is None:
            if not isinstance(name, str):
                raise TypeError(f"stream name must be a string; got {name!r}")
            seq = np.random.SeedSequence(entropy=self.seed, spawn_key=stream_key(name))
            stream = Stream(np.random.Generator(np.random.PCG64(seq)), name, self._block)
            self._streams[name] = stream
        return stream
