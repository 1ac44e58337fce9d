"""Student's t and the normal distribution without scipy: tail probabilities and quantiles, from the
regularised incomplete beta function, accurate to about 1e-13 (checked against R in tests/test_statistics.py)."""

from __future__ import annotations

import math
from functools import lru_cache

# --------------------------------------------------------------------------------------------
# Student t quantile (no scipy)
# --------------------------------------------------------------------------------------------


_STIRLING_COEFFICIENTS = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
)


def _lgamma_correction(x: float) -> float:
    """lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] for x >= 10, by the Stirling series.

    At x >= 10 the first omitted term is below 1e-17, so this is accurate to rounding.
    """
    x2 = 1.0 / (x * x)
    total = 0.0
    for coefficient in reversed(_STIRLING_COEFFICIENTS):
        total = total * x2 + coefficient
    return total / x


def _log_beta(p: float, q: float) -> float:
    """log B(p, q) without the cancellation of lgamma(p) + lgamma(q) - lgamma(p + q).

    For large q the two lgamma terms are huge and nearly equal; their difference loses about
    log10(q) digits, which is visible in t quantiles at df of a few thousand. As R's lbeta()
    does, the large-argument part is expanded with Stirling's formula so only small numbers
    are subtracted.
    """
    p, q = min(p, q), max(p, q)
    if q < 10.0 or p >= 10.0:
        # Only called with p = 1/2; two large arguments would need a further expansion.
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)
    correction = _lgamma_correction(q) - _lgamma_correction(p + q)
    return math.lgamma(p) + correction + p - p * math.log(p + q) + (q - 0.5) * math.log1p(-p / (p + q))


def beta_continued_fraction(x: float, a: float, b: float) -> float:
    """Continued fraction part of I_x(a, b) (Lentz's method), for x < (a + 1) / (a + b + 2)."""
    tiny = 1e-300
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0 under Student's t with ``df`` degrees of freedom.

    P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2). x and 1 - x are formed separately
    (and their logs through log1p) because for large df x is close to 1 and forming 1 - x by
    subtraction would throw away the digits that matter.
    """
    if t <= 0.0:
        return 0.5
    t2 = t * t
    a, b = 0.5 * df, 0.5
    x = df / (df + t2)
    x_complement = t2 / (df + t2)
    log_x = -math.log1p(t2 / df)
    log_x_complement = -math.log1p(df / t2)
    log_front = a * log_x + b * log_x_complement - _log_beta(a, b)
    # The continued fraction converges fast only for x < (a + 1) / (a + b + 2); otherwise
    # evaluate the complementary I_{1-x}(b, a) and use I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0):
        regularised = math.exp(log_front) * beta_continued_fraction(x, a, b) / a
    else:
        regularised = 1.0 - math.exp(log_front) * beta_continued_fraction(x_complement, b, a) / b
    return 0.5 * regularised


def _t_density(t: float, df: float) -> float:
    log_norm = -_log_beta(0.5, 0.5 * df) - 0.5 * math.log(df)
    return math.exp(log_norm - 0.5 * (df + 1.0) * math.log1p(t * t / df))


def _normal_upper_quantile(tail: float) -> float:
    """z with P(Z > z) = tail, for 0 < tail <= 0.5, by Newton on math.erfc."""
    z = math.sqrt(-2.0 * math.log(tail))  # crude start that is always to the right of the root
    for _ in range(100):
        f = 0.5 * math.erfc(z / math.sqrt(2.0)) - tail
        step = f / (math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))
        z += step
        if abs(step) <= 1e-15 * max(z, 1.0):
            break
    return z


@lru_cache(maxsize=4096)
def t_quantile_upper(tail: float, df: float) -> float:
    """t with P(T > t) = tail (0 < tail < 0.5), i.e. R's ``qt(1 - tail, df)``.

    Newton's method on the upper tail, started from the normal quantile. For t > 0 the tail is
    decreasing and convex and the normal quantile lies left of the t quantile, so the iterates
    increase monotonically to the root without overshooting. Cached because reports ask for the
    same few (level, df) pairs thousands of times.
    """
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail probability must be in (0, 0.5), got {tail}")
    if not df > 0:
        return math.nan
    t = _normal_upper_quantile(tail)
    previous = math.inf
    for _ in range(200):
        step = (t_upper_tail(t, df) - tail) / _t_density(t, df)
        if abs(step) >= previous and abs(step) <= 1e-12 * t:
            break  # the tail's own rounding: further steps go back and forth
        t += step
        previous = abs(step)
        if abs(step) <= 4e-16 * t:
            break
    return t
