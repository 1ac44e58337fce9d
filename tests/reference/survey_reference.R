# Reference values for tests/test_statistics.py, computed with R's `survey` package.
#
# Re-run from the repository root with:
#
#     Rscript tests/reference/survey_reference.R
#
# It reads tests/reference/survey_sample.csv and overwrites tests/reference/survey_reference.csv.
# R is used only to produce this committed reference file; neither the pipeline nor the tests
# need R at run time. Produced with R 4.x and survey 4.1.1.
#
# survey_sample.csv is synthetic and was generated once with this Python snippet (numpy 2.4):
#
#     import numpy as np
#     rng = np.random.default_rng(20240611)
#     n = 300
#     w = np.round(rng.uniform(0.3, 3.0, n), 4)
#     grp = rng.choice(np.array(["g1", "g2", "g3"]), n, p=[0.5, 0.3, 0.2])
#     half = np.where(rng.random(n) < 0.5, "A", "B")
#     p = np.select([grp == "g1", grp == "g2"], [0.35, 0.55], 0.7)
#     y = (rng.random(n) < p).astype(int)
#     yh = (rng.random(n) < 0.4).astype(int)
#     with open("tests/reference/survey_sample.csv", "w") as f:
#         f.write("id,w,grp,half,y,y_half\n")
#         for i in range(n):
#             f.write(f"{i + 1},{w[i]:.4f},{grp[i]},{half[i]},{y[i]},"
#                     f"{yh[i] if half[i] == 'A' else 'NA'}\n")
#
# Behaviour of survey 4.1.1 that the Python code reproduces (checked by running R):
# * subset() of an uncalibrated design drops the rows, but keeps the full-sample PSU count in
#   fpc$sampsize, so the linearised variance of a domain mean uses N/(N-1) with N = the FULL
#   sample (300 here), not n_domain/(n_domain-1).
# * degf() after subset() is (rows of the subset with non-zero weight) - 1; svyciprop's
#   t quantile uses that. Zero-weight rows do not count towards degf but still count in N.
# * svyciprop's default df = degf(design) counts rows whose y is NA. Python treats missing y
#   as outside the domain, so every domain below already excludes NA y; the equivalent R call
#   is svyciprop(~y, subset(des, dom & !is.na(y))).
#
# Output columns: case, variable, domain (R expression), level, n (rows in the domain), degf,
# mean and se (svymean), ci_low/ci_high (svyciprop, method = "logit"), base_weighted,
# base_effective (Kish), and for comparison rows: group (R expression), rest_mean, rest_se,
# z = (mean - rest_mean) / sqrt(se^2 + rest_se^2) and p_value = 2 * pnorm(-|z|).

suppressPackageStartupMessages(library(survey))

sample_path <- file.path("tests", "reference", "survey_sample.csv")
out_path <- file.path("tests", "reference", "survey_reference.csv")
d <- read.csv(sample_path, stringsAsFactors = FALSE)
# Zero weights (every 10th respondent) exercise degf() ignoring zero-weight rows; the Python
# test builds the same column with the same rule.
d$w0 <- ifelse(d$id %% 10 == 0, 0, d$w)

des <- svydesign(ids = ~1, weights = ~w, data = d)
des0 <- svydesign(ids = ~1, weights = ~w0, data = d)

kish <- function(w) sum(w)^2 / sum(w^2)

estimate <- function(design, variable, domain, level = 0.95) {
  dom <- eval(parse(text = domain), design$variables)
  # Missing answers are outside the domain, matching the Python definition.
  dom <- dom & !is.na(design$variables[[variable]])
  s <- subset(design, dom)
  f <- as.formula(paste0("~", variable))
  m <- svymean(f, s)
  ci <- svyciprop(f, s, method = "logit", level = level)
  w <- weights(s)
  list(n = nrow(s), degf = degf(s), mean = unname(coef(m)), se = unname(SE(m)[1]),
       ci_low = unname(attr(ci, "ci")[1]), ci_high = unname(attr(ci, "ci")[2]),
       base_weighted = sum(w), base_effective = kish(w))
}

fmt <- function(x) if (is.character(x)) x else if (is.na(x)) "NA" else sprintf("%.17g", x)

rows <- list()
add <- function(case, design, variable, domain, level = 0.95, group = NA_character_) {
  e <- estimate(design, variable, domain, level)
  row <- c(list(case = case, variable = variable, domain = domain, level = level), e,
           list(group = group, rest_mean = NA_real_, rest_se = NA_real_, z = NA_real_,
                p_value = NA_real_))
  if (!is.na(group)) {
    # Group estimate within the domain, and everyone else in the domain, each as a domain of
    # the full design; independent two-sample z as in compare_with_rest().
    g <- estimate(design, variable, paste0("(", domain, ") & (", group, ")"), level)
    r <- estimate(design, variable, paste0("(", domain, ") & !(", group, ")"), level)
    row[c("n", "degf", "mean", "se", "ci_low", "ci_high", "base_weighted", "base_effective")] <-
      g[c("n", "degf", "mean", "se", "ci_low", "ci_high", "base_weighted", "base_effective")]
    row$rest_mean <- r$mean
    row$rest_se <- r$se
    row$z <- (g$mean - r$mean) / sqrt(g$se^2 + r$se^2)
    row$p_value <- 2 * pnorm(-abs(row$z))
  }
  rows[[length(rows) + 1]] <<- vapply(row, fmt, character(1))
}

add("total", des, "y", "TRUE")
add("total_level90", des, "y", "TRUE", level = 0.90)
for (g in c("g1", "g2", "g3")) {
  add(paste0("grp_", g), des, "y", "TRUE", group = sprintf("grp == '%s'", g))
}
add("half_A", des, "y_half", "half == 'A'")
# y_half is missing for half B, so the answered part of g1 is g1 within half A.
add("g1_answered", des, "y_half", "grp == 'g1'")
add("half_A_grp_g1", des, "y_half", "half == 'A'", group = "grp == 'g1'")
# svyglm warns that zero-weight rows are not used for the dispersion; that is expected here.
suppressWarnings(add("zero_weights_g2", des0, "y", "grp == 'g2'"))

out <- as.data.frame(do.call(rbind, rows), stringsAsFactors = FALSE)
write.csv(out, out_path, row.names = FALSE, quote = TRUE, na = "NA")
cat("wrote", out_path, "with", nrow(out), "rows\n")
