# Reference values for tests/test_sample_design.py: a stratified, clustered design analysed with R's
# `survey` package (Debian's r-cran-survey 4.1-1 on R 4.2.2).
#
# Re-run from the repository root with:
#
#     Rscript tests/reference/survey_design_reference.R
#
# It reads tests/reference/survey_design_sample.csv and writes tests/reference/survey_design_reference.csv.
# R produces this committed file only; neither the pipeline nor the tests need R.
#
# survey_design_sample.csv was generated once with this Python snippet (numpy 2.4): 6 strata of 6, 5, 8, 4, 7
# and 1 PSUs (the last stratum has a lonely PSU), 8-15 respondents per PSU, a PSU random effect so that
# clustering matters, three groups, a common answer (y) and a rare one (rare), and the population PSUs per
# stratum (fpc).
#
#     import numpy as np
#     rng = np.random.default_rng(20261201)
#     rows, psu_id = [], 0
#     for stratum, n_psu in zip(["S1", "S2", "S3", "S4", "S5", "S6"], [6, 5, 8, 4, 7, 1]):
#         for _ in range(n_psu):
#             psu_id += 1
#             size = int(rng.integers(8, 16))
#             effect = rng.normal(0, 0.8)
#             for _ in range(size):
#                 grp = rng.choice(["g1", "g2", "g3"], p=[0.45, 0.35, 0.2])
#                 logit = -0.3 + effect + {"g1": 0.0, "g2": 0.5, "g3": -0.4}[grp]
#                 y = int(rng.random() < 1 / (1 + np.exp(-logit)))
#                 rare = int(rng.random() < 0.03)
#                 w = round(float(rng.uniform(0.5, 2.5)), 4)
#                 rows.append((len(rows) + 1, stratum, f"P{psu_id:02d}", w, grp, y, rare))
#     fpc_by = {"S1": 40, "S2": 30, "S3": 60, "S4": 20, "S5": 50, "S6": 5}
#     # written as id,stratum,psu,w,fpc,grp,y,rare with w to 4 decimals
#
# Output: one row per case and estimate. `lonely` is the survey.lonely.psu option; `fpc` whether the design
# has the finite population correction; `domain` the subset (all, or grp == "g1" ...); mean and se from
# svymean (deff = "replace"), ci_* from svyciprop (logit and beta), degf of the subset, and for contrasts the
# difference of the group and the rest, its SE from svyby(covmat = TRUE) + svycontrast, z and p (normal).

suppressPackageStartupMessages(library(survey))
options(digits = 15)
d <- read.csv(file.path("tests", "reference", "survey_design_sample.csv"), stringsAsFactors = FALSE)
out <- list()

add <- function(...) out[[length(out) + 1]] <<- data.frame(..., stringsAsFactors = FALSE)

for (lonely in c("adjust", "remove", "average", "certainty")) {
  for (use_fpc in c(FALSE, TRUE)) {
    options(survey.lonely.psu = lonely)
    des <- if (use_fpc) {
      svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = d, nest = TRUE)
    } else {
      svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
    }
    for (variable in c("y", "rare")) {
      for (domain in c("all", "g1", "g2", "g3")) {
        sub <- if (domain == "all") des else subset(des, grp == domain)
        m <- svymean(as.formula(paste0("~", variable)), sub, deff = "replace")
        logit <- svyciprop(as.formula(paste0("~", variable)), sub, method = "logit")
        beta <- svyciprop(as.formula(paste0("~", variable)), sub, method = "beta")
        add(kind = "estimate", lonely = lonely, fpc = use_fpc, variable = variable, domain = domain,
            n = nrow(sub), degf = degf(sub), mean = unname(coef(m)), se = unname(SE(m)),
            deff = unname(deff(m)), ci_logit_low = unname(attr(logit, "ci")[1]),
            ci_logit_high = unname(attr(logit, "ci")[2]), ci_beta_low = unname(attr(beta, "ci")[1]),
            ci_beta_high = unname(attr(beta, "ci")[2]), difference = NA, difference_se = NA, z = NA, p = NA)
      }
      for (group in c("g1", "g2", "g3")) {
        des2 <- update(des, ingroup = factor(grp == group, levels = c(FALSE, TRUE)))
        by <- svyby(as.formula(paste0("~", variable)), ~ingroup, des2, svymean, covmat = TRUE)
        contrast <- svycontrast(by, c(-1, 1))
        difference <- unname(coef(contrast))
        difference_se <- unname(SE(contrast))
        z <- difference / difference_se
        add(kind = "contrast", lonely = lonely, fpc = use_fpc, variable = variable, domain = group,
            n = NA, degf = NA, mean = NA, se = NA, deff = NA, ci_logit_low = NA, ci_logit_high = NA,
            ci_beta_low = NA, ci_beta_high = NA, difference = difference, difference_se = difference_se,
            z = z, p = 2 * pnorm(-abs(z)))
      }
    }
  }
}
result <- do.call(rbind, out)
write.csv(result, file.path("tests", "reference", "survey_design_reference.csv"), row.names = FALSE)

# The same kind of design in a whole wave: the 2014 respondents (data/waves/2014/respondents.sav) in four strata
# of regions (codes 1-3 North, 4-6 Midlands, 7-9 South, 10-12 Nations), in PSUs of twelve consecutive
# respondents within a stratum, in file order (tests/reference/survey_design_wave.csv; the test checks that the
# file follows this rule). The tables step must give these for fairness, for the whole sample and by sex.
wave <- read.csv(file.path("tests", "reference", "survey_design_wave.csv"), stringsAsFactors = FALSE)
options(survey.lonely.psu = "adjust")
wdes <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = wave, nest = TRUE)
rows <- list()
for (code in 1:4) {
  wdes <- update(wdes, chose = as.numeric(fairness == code))
  for (domain in c("total", "1", "2")) {
    sub <- if (domain == "total") wdes else subset(wdes, sex == as.numeric(domain))
    m <- svymean(~chose, sub)
    ci <- svyciprop(~chose, sub, method = "logit")
    contrast <- c(difference = NA, z = NA)
    if (domain != "total") {
      by <- svyby(~chose, ~factor(sex == as.numeric(domain), levels = c(FALSE, TRUE)), wdes, svymean,
                  covmat = TRUE)
      k <- svycontrast(by, c(-1, 1))
      contrast <- c(difference = unname(coef(k)), z = unname(coef(k) / SE(k)))
    }
    rows[[length(rows) + 1]] <- data.frame(code = code, domain = domain, mean = unname(coef(m)),
                                           se = unname(SE(m)), ci_low = unname(attr(ci, "ci")[1]),
                                           ci_high = unname(attr(ci, "ci")[2]), degf = degf(sub),
                                           difference = contrast[["difference"]], z = contrast[["z"]])
  }
}
write.csv(do.call(rbind, rows), file.path("tests", "reference", "survey_design_wave_reference.csv"),
          row.names = FALSE)
