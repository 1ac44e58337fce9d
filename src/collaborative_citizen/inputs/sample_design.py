"""A complex sample design (strata, clusters, finite population correction) or a design factor, as wave.yml's
`sample_design` declares it, and the Taylor-linearised variance R's survey package gives for it.

For `svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, nest = TRUE)` and a domain share
p = sum(w d y) / sum(w d), survey linearises the ratio (z_i = w_i d_i (y_i - p) / sum(w d), zero outside the
domain), sums z within each PSU and, stratum by stratum, takes

    f_h n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2,      f_h = (N_h - n_h) / N_h (1 without an fpc)

with n_h the stratum's PSUs in the whole sample (a domain keeps the full design). A stratum with one PSU has no
variance of its own: R's option `survey.lonely.psu` says what to do, and `lonely_psu` here takes the same values:
"remove" and "certainty" (it adds nothing), "adjust" (its PSU is centred at the population mean, zero for a
linearised mean, instead of its stratum's), "average" (the other strata's average), "fail" (an error; R's
default). Degrees of freedom are PSUs minus strata, counted where the weights are positive, as degf() does.

A design factor alone (an agency's deft) multiplies the weights-only standard errors; its square is the design
effect. It is not something R's survey package computes; the report says where it was used."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DesignError

LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")


@dataclass(frozen=True)
class SampleDesign:
    strata: np.ndarray  # stratum code per respondent (0 for an unstratified design)
    psu: np.ndarray  # PSU code per respondent, unique across strata (nested)
    fpc: np.ndarray | None = None  # population PSUs of each respondent's stratum; None: with replacement
    lonely_psu: str = "fail"
    stratum_names: tuple = ()

    @classmethod
    def from_columns(cls, strata, clusters, fpc=None, lonely_psu: str = "fail") -> "SampleDesign":
        n = len(strata if strata is not None else clusters)
        stratum_codes, names = (np.zeros(n, dtype=np.int64), ("all",)) if strata is None else _codes(strata)
        cluster_codes = np.arange(n) if clusters is None else _codes(clusters)[0]
        # PSUs are nested in strata (R's nest = TRUE): the same id in two strata is two PSUs.
        _, psu = np.unique(np.column_stack([stratum_codes, cluster_codes]), axis=0, return_inverse=True)
        return cls(
            stratum_codes, psu.ravel(), None if fpc is None else np.asarray(fpc, dtype=float), lonely_psu, tuple(names)
        )

    def psu_counts(self) -> np.ndarray:
        """PSUs of each stratum in the whole sample."""
        n_strata = int(self.strata.max()) + 1
        first = np.unique(self.psu, return_index=True)[1]
        return np.bincount(self.strata[first], minlength=n_strata)

    def lonely_strata(self) -> list[str]:
        return [str(self.stratum_names[h]) for h, n in enumerate(self.psu_counts()) if n == 1]

    def variance_of_total(self, z: np.ndarray) -> float:
        """Linearised variance of sum(z) under the design, survey's onestage()/onestrat()."""
        n_strata = int(self.strata.max()) + 1
        totals = np.bincount(self.psu, weights=z)
        psu_stratum = np.zeros(len(totals), dtype=np.int64)
        psu_stratum[self.psu] = self.strata
        n_h = np.bincount(psu_stratum, minlength=n_strata).astype(float)
        if self.fpc is None:
            f = np.ones(n_strata)
        else:
            population = np.zeros(n_strata)
            population[self.strata] = self.fpc
            f = np.where(np.isinf(population), 1.0, (population - n_h) / population)
        if np.all(f < 1e-7):
            return 0.0
        sums = np.bincount(psu_stratum, weights=totals, minlength=n_strata)
        means = sums / np.maximum(n_h, 1)
        squares = np.bincount(psu_stratum, weights=(totals - means[psu_stratum]) ** 2, minlength=n_strata)
        lonely = n_h == 1
        if lonely.any() and self.lonely_psu == "fail":
            names = ", ".join(str(self.stratum_names[h]) for h in np.flatnonzero(lonely))
            raise DesignError(f"stratum {names} has only one PSU (declare lonely_psu in wave.yml's sample_design)")
        with np.errstate(invalid="ignore", divide="ignore"):
            by_stratum = np.where(lonely, 0.0, f * n_h / (n_h - 1) * squares)
        if self.lonely_psu == "adjust":
            uncentred = np.bincount(psu_stratum, weights=totals**2, minlength=n_strata)
            by_stratum = np.where(lonely, f * uncentred, by_stratum)
        if self.lonely_psu == "average" and lonely.any():
            ok = ~lonely
            return float(by_stratum[ok].sum() * n_strata / ok.sum())
        return float(by_stratum.sum())

    def degf(self, weights: np.ndarray, mask: np.ndarray) -> int:
        """PSUs minus strata among the domain's respondents with a positive weight (survey's degf())."""
        inset = mask & (weights != 0)
        return int(len(np.unique(self.psu[inset])) - len(np.unique(self.strata[inset])))


def _codes(values) -> tuple[np.ndarray, tuple]:
    values = np.asarray(values)
    names, codes = np.unique(values.astype(str) if values.dtype == object else values, return_inverse=True)
    return codes.ravel().astype(np.int64), tuple(_plain(v) for v in names)


def _plain(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value.item() if hasattr(value, "item") else value


def design_share(y: np.ndarray, w: np.ndarray, mask: np.ndarray, design: SampleDesign) -> tuple[float, float]:
    """Share and linearised SE of a domain (mask already excludes missing y) under the design."""
    total = float(w[mask].sum())
    if total == 0.0:
        return math.nan, math.nan
    share = float(w[mask] @ y[mask]) / total
    z = np.zeros(len(w))
    z[mask] = w[mask] * (y[mask] - share) / total
    return share, math.sqrt(max(design.variance_of_total(z), 0.0))
