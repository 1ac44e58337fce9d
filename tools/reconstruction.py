"""Reconstruct the 2014 respondent file from the figures the report published.

The report's charts were published without their numbers and its respondent data was never released, so
the 2014 wave is rebuilt respondent by respondent from `reconstruction.yml`:

1. Draw an unweighted sample with the profile of a face-to-face omnibus (too many older and DE respondents).
2. Rim-weight it (raking) to the population profile; the weights are fixed before any answer exists, as in a
   real survey.
3. Give every respondent answers. Each answer has a score per respondent made of demographic effects plus
   random noise; answers are handed out to the highest scorers until their *weighted* share equals the share
   in the specification, so published figures are met exactly while answers still depend on demographics.
4. Meet published subgroup figures by moving respondents between two adjacent answers inside the subgroup
   and the opposite way outside it, which leaves whole-sample shares as they were.
5. Write the SPSS file with variable and value labels, then check every published target with the table
   engine itself and write `targets.csv`. A missed target stops the script.

Everything random comes from one seeded generator, so the same specification gives the same respondents.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from collaborative_citizen.analysis.raking import rake
from collaborative_citizen.analysis.results_file import lookup
from collaborative_citizen.analysis.tables import weighted_tables
from collaborative_citizen.findings.wording import round_half_up
from collaborative_citizen.inputs.codebook import Codebook, Variable, load_codebook
from collaborative_citizen.inputs.loading import load_respondents
from collaborative_citizen.inputs.waves import load_wave

# Candidates considered when picking the respondent whose weight best closes the last gap to a target.
BEST_FIT_WINDOW = 40


class ReconstructionError(RuntimeError):
    pass


# --- building blocks ---------------------------------------------------------------------------------------


def effect_scores(effects: dict | None, demographics: dict[str, np.ndarray], codebook: Codebook) -> np.ndarray:
    """Sum of the effects of each respondent's groups, e.g. {age_band: {65+: 0.6}}."""
    n = len(next(iter(demographics.values())))
    score = np.zeros(n)
    for variable, by_group in (effects or {}).items():
        for group, value in by_group.items():
            code = codebook[variable].answer(str(group)).code
            score += value * (demographics[variable] == code)
    return score


def choose(scores: np.ndarray, weights: np.ndarray, eligible: np.ndarray, target_weight: float) -> np.ndarray:
    """Indices of the highest-scoring eligible respondents whose weights add up as closely as possible to
    `target_weight`: take them in score order while they fit, then the one near the front of the queue whose
    weight best closes the gap."""
    candidates = np.flatnonzero(eligible)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    cumulative = np.cumsum(weights[order])
    taken = int(np.searchsorted(cumulative, target_weight, side="right"))
    chosen = list(order[:taken])
    gap = target_weight - (cumulative[taken - 1] if taken else 0.0)
    window = order[taken : taken + BEST_FIT_WINDOW]
    if len(window):
        best = window[np.argmin(np.abs(gap - weights[window]))]
        if abs(gap - weights[best]) < abs(gap):
            chosen.append(best)
    if len(order) and taken == len(order) and gap > weights.max():
        raise ReconstructionError(f"not enough eligible respondents to reach a weight of {target_weight:.1f}")
    return np.array(chosen, dtype=int)


def fill_in_order(
    order: list[int], scores: dict[int, np.ndarray], shares: dict[int, float], weights: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Codes for the eligible respondents: each code in turn goes to the highest scorers left until its weighted
    share of the eligible total is reached; the last code takes everyone left."""
    codes = np.full(len(weights), np.nan)
    left = eligible.copy()
    total = weights[eligible].sum()
    for code in order[:-1]:
        picked = choose(scores[code], weights, left, shares[code] / 100 * total)
        codes[picked] = code
        left[picked] = False
    codes[left] = order[-1]
    return codes


def noise(rng: np.random.Generator, n: int) -> np.ndarray:
    # Gumbel noise makes "highest score wins" behave like a multinomial logit choice.
    return rng.gumbel(size=n)


# --- the sample and its weights -------------------------------------------------------------------------------


def draw_sample(spec: dict, codebook: Codebook, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = int(spec["respondents"])
    demographics = {}

    def draw(variable: str, probabilities: dict, size: int) -> np.ndarray:
        entry = codebook[variable]
        keys = list(probabilities)
        p = np.array([probabilities[k] for k in keys], dtype=float)
        codes = np.array([entry.answer(str(k)).code for k in keys])
        return codes[rng.choice(len(keys), size=size, p=p / p.sum())]

    for variable, probabilities in spec["sample_profile"].items():
        demographics[variable] = draw(variable, probabilities, n)
    for variable, rule in spec["conditional_profile"].items():
        driver = rule["by"]
        values = np.zeros(n, dtype=int)
        for group, probabilities in rule.items():
            if group == "by":
                continue
            mask = demographics[driver] == codebook[driver].answer(str(group)).code
            values[mask] = draw(variable, probabilities, int(mask.sum()))
        demographics[variable] = values
    offline = spec["internet_offline_score"]
    score = offline["intercept"] + effect_scores(offline["effects"], demographics, codebook)
    no_internet = rng.random(n) < 1 / (1 + np.exp(-score))
    internet = codebook["internet_access"]
    demographics["internet_access"] = np.where(no_internet, internet.answer("no").code, internet.answer("yes").code)
    return demographics


def weigh(spec: dict, demographics: dict[str, np.ndarray], codebook: Codebook) -> np.ndarray:
    variables, targets = {}, {}
    for variable, shares in spec["weighting_targets"].items():
        variables[variable] = demographics[variable]
        targets[variable] = {codebook[variable].answer(str(k)).code: v for k, v in shares.items()}
    return rake(variables, targets)


# --- answers ----------------------------------------------------------------------------------------------------


def codes_of(question: Variable, shares: dict) -> dict[int, float]:
    return {question.answer(str(k)).code: float(v) for k, v in shares.items()}


def check_shares(where: str, shares: dict) -> None:
    if abs(sum(shares.values()) - 100) > 1e-6:
        raise ReconstructionError(f"reconstruction.yml: {where}: shares add up to {sum(shares.values())}, not 100")


def nominal_answers(
    question: Variable, qspec: dict, item_spec: dict, demographics, codebook, weights, eligible, rng
) -> np.ndarray:
    shares = item_spec["shares"]
    check_shares(question.key, shares)
    effects = dict(qspec.get("effects") or {})
    for answer, extra in (item_spec.get("effects") or {}).items():
        effects[answer] = {**effects.get(answer, {}), **extra}
    n = len(weights)
    scores = {
        question.answer(a).code: effect_scores(effects.get(a), demographics, codebook) + noise(rng, n) for a in shares
    }
    order = [question.answer(a).code for a in qspec["order"]]
    return fill_in_order(order, scores, codes_of(question, shares), weights, eligible)


def ordinal_answers(
    question: Variable, qspec: dict, item_spec: dict, person: np.ndarray, demographics, codebook, weights, eligible, rng
) -> np.ndarray:
    shares = item_spec["shares"]
    check_shares(question.key, shares)
    n = len(weights)
    total = weights[eligible].sum()
    codes = np.full(n, np.nan)
    dont_know = question.answer("dont_know")
    dk_score = effect_scores(qspec.get("dont_know_effects"), demographics, codebook) + noise(rng, n)
    picked = choose(dk_score, weights, eligible, shares.get("dont_know", 0) / 100 * total)
    codes[picked] = dont_know.code
    left = eligible.copy()
    left[picked] = False
    effects = {**(qspec.get("effects") or {})}
    for variable, by_group in (item_spec.get("effects") or {}).items():
        effects[variable] = {**effects.get(variable, {}), **by_group}
    latent = (
        effect_scores(effects, demographics, codebook) + qspec.get("person_factor", 0.0) * person + rng.logistic(size=n)
    )
    scale = [a for a in question.answers if a.key != "dont_know"]
    for answer in scale[:-1]:
        chosen = choose(latent, weights, left, shares[answer.key] / 100 * total)
        codes[chosen] = answer.code
        left[chosen] = False
    codes[left] = scale[-1].code
    return codes


def multi_answers(question: Variable, qspec: dict, demographics, codebook, weights, rng) -> dict[str, np.ndarray]:
    shares = qspec["shares"]
    n = len(weights)
    total = weights.sum()
    chosen = {a.key: np.zeros(n, dtype=int) for a in question.answers}
    scores = {
        a.key: effect_scores((qspec.get("effects") or {}).get(a.key), demographics, codebook) + noise(rng, n)
        for a in question.answers
    }
    free = np.ones(n, dtype=bool)
    for answer in [a for a in question.answers if a.exclusive]:
        picked = choose(scores[answer.key], weights, free, shares.get(answer.key, 0) / 100 * total)
        chosen[answer.key][picked] = 1
        free[picked] = False
    count = np.zeros(n, dtype=int)
    inclusive = [a for a in question.answers if not a.exclusive]
    for answer in sorted(inclusive, key=lambda a: -shares.get(a.key, 0)):
        room = free & (count < question.max_answers)
        picked = choose(scores[answer.key], weights, room, shares.get(answer.key, 0) / 100 * total)
        chosen[answer.key][picked] = 1
        count[picked] += 1
    # Everyone who did not choose an exclusive answer must have chosen something: hand each of them their
    # favourite answer, taken from a respondent of similar weight who has another answer to keep.
    for i in np.flatnonzero(free & (count == 0)):
        favourites = sorted(inclusive, key=lambda a: -scores[a.key][i])
        for answer in favourites:
            donors = np.flatnonzero((chosen[answer.key] == 1) & (count >= 2))
            if len(donors):
                donor = donors[np.argmin(np.abs(weights[donors] - weights[i]))]
                chosen[answer.key][donor] = 0
                count[donor] -= 1
                chosen[answer.key][i] = 1
                count[i] += 1
                break
        else:
            raise ReconstructionError(f"{question.key}: respondent {i + 1} could not be given an answer")
    return chosen


def apply_constraint(
    codes: np.ndarray, constraint: dict, question: Variable, demographics, codebook, weights: np.ndarray, rng
) -> None:
    """Move respondents between two adjacent answers so a published subgroup figure is met, moving the same
    weight the other way outside the subgroup."""
    breakdown = constraint["breakdown"]
    group = demographics[breakdown] == codebook[breakdown].answer(str(constraint["group"])).code
    asked = ~np.isnan(codes)
    net = constraint["net"]
    members = [net] if net in {a.key for a in question.answers} else list(question.net(net).answers)
    net_codes = [question.answer(k).code for k in members]
    outside_code, inside_code = (question.answer(k).code for k in constraint["move"])
    if outside_code in net_codes or inside_code not in net_codes:
        raise ReconstructionError(f"constraint on {question.key}: 'move' must go from outside the net into it")
    in_group = group & asked
    current = weights[in_group & np.isin(codes, net_codes)].sum()
    needed = constraint["pct"] / 100 * weights[in_group].sum() - current
    source, destination = (outside_code, inside_code) if needed > 0 else (inside_code, outside_code)
    order_noise = rng.random(len(codes))
    moved = choose(order_noise, weights, in_group & (codes == source), abs(needed))
    codes[moved] = destination
    back = choose(order_noise, weights, ~group & asked & (codes == destination), weights[moved].sum())
    codes[back] = source


def answer_questions(spec: dict, codebook: Codebook, demographics, weights, split, rng) -> dict[str, np.ndarray]:
    n = len(weights)
    everyone = np.ones(n, dtype=bool)
    columns: dict[str, np.ndarray] = {}
    for key, qspec in spec["questions"].items():
        question = codebook.questions[key]
        method = qspec["method"]
        if method == "multi":
            for answer, values in multi_answers(question, qspec, demographics, codebook, weights, rng).items():
                columns[question.answer_variable(answer)] = values.astype(float)
            continue
        person = rng.normal(size=n)  # shared by a grid's items, so a respondent's answers hang together
        items = question.items or [None]
        for item in items:
            if item is not None and item.key not in qspec["items"]:
                continue  # an item this wave did not ask
            item_spec = qspec["items"][item.key] if item is not None else qspec
            eligible = everyone
            if item is not None and item.asked_of:
                eligible = split == codebook[question.split_variable].answer(item.asked_of).code
            if method == "nominal":
                codes = nominal_answers(question, qspec, item_spec, demographics, codebook, weights, eligible, rng)
            elif method == "ordinal":
                codes = ordinal_answers(
                    question, qspec, item_spec, person, demographics, codebook, weights, eligible, rng
                )
            else:
                raise ReconstructionError(f"reconstruction.yml: {key}: unknown method {method!r}")
            columns[item.variable if item is not None else key] = codes
    for constraint in spec.get("subgroup_constraints") or []:
        question = codebook.questions[constraint["question"]]
        variable = question.item(constraint["item"]).variable if constraint.get("item") else question.key
        apply_constraint(columns[variable], constraint, question, demographics, codebook, weights, rng)
    return columns


# --- the file ---------------------------------------------------------------------------------------------------


def build_frame(spec: dict, codebook: Codebook, wave) -> pd.DataFrame:
    rng = np.random.default_rng(int(spec["seed"]))
    demographics = draw_sample(spec, codebook, rng)
    weights = weigh(spec, demographics, codebook)
    n = len(weights)
    split_entry = codebook.design["split_half"]
    if spec.get("split_sample", True):
        half = np.where(rng.permutation(n) < (n + 1) // 2, split_entry.answer("A").code, split_entry.answer("B").code)
    else:  # a wave that asked only the half-A statement asked it of everyone
        half = np.full(n, split_entry.answer("A").code)
    answers = answer_questions(spec, codebook, demographics, weights, half, rng)
    frame = pd.DataFrame(
        {
            wave.respondent_id: np.arange(n) + int(spec["first_respondent_id"]),
            wave.weight: np.round(weights, 8),
            "split_half": half,
        }
    )
    for key in codebook.demographics:
        frame[key] = demographics[key]
    for key, values in answers.items():
        frame[key] = values
    order = [
        wave.respondent_id,
        wave.weight,
        "split_half",
        *codebook.demographics,
        *[v for q in codebook.questions.values() for v in q.variables if v in frame.columns],
    ]
    return frame[order]


def spss_metadata(codebook: Codebook, wave) -> tuple[dict, dict]:
    """Variable labels and value labels for the SPSS file, from the codebook."""
    labels = {wave.respondent_id: "Respondent serial number", wave.weight: "Weight (rim weighting to GB profile)"}
    values = {}
    for entry in codebook.all_variables.values():
        if entry.type == "multi":
            for answer in entry.answers:
                name = entry.answer_variable(answer.key)
                labels[name] = f"{entry.wording[:120]} - {answer.label}"
                values[name] = {0: "Not mentioned", 1: "Mentioned"}
            continue
        scale = {a.code: a.label for a in entry.answers}
        for item, name in zip(entry.items or [None], entry.variables):
            labels[name] = f"{entry.wording[:120]}" + (f" - {item.label}" if item is not None else "")
            values[name] = scale
    return labels, values


def write_sav(frame: pd.DataFrame, path: Path, codebook: Codebook, wave) -> None:
    import pyreadstat

    labels, values = spss_metadata(codebook, wave)
    # The file uses the wave's own variable names where wave.yml maps them, as an agency's file would.
    names = {ours: wave.file_variable(ours) for ours in frame.columns}
    frame = frame.rename(columns=names)
    labels = {names[k]: v for k, v in labels.items() if k in names}
    values = {names[k]: v for k, v in values.items() if k in names}
    partial = path.with_name(path.name + ".partial")
    pyreadstat.write_sav(
        frame,
        str(partial),
        column_labels=labels,
        variable_value_labels=values,
        file_label=f"{wave.title} (reconstructed)"[:64],
    )
    stamp_creation_time(partial, wave.fieldwork_end)
    partial.replace(path)


# Where an SPSS file header keeps its creation date ("dd Mon yy") and time ("hh:mm:ss").
SAV_DATE = slice(92, 101)
SAV_TIME = slice(101, 109)


def stamp_creation_time(path: Path, day) -> None:
    """ReadStat writes the wall-clock time into the header; a fixed stamp makes rebuilding the file give the
    same bytes, so regenerating the reconstruction leaves git with nothing to commit."""
    data = bytearray(path.read_bytes())
    if data[:4] != b"$FL2":
        raise ReconstructionError(f"{path}: not an SPSS system file")
    data[SAV_DATE] = day.strftime("%d %b %y").encode("ascii")
    data[SAV_TIME] = b"00:00:00"
    path.write_bytes(bytes(data))


# --- targets -----------------------------------------------------------------------------------------------------


def _pct(table, target, **overrides) -> float:
    keys = dict(
        question=target["question"],
        item=target.get("item", ""),
        answer=target.get("answer"),
        breakdown=target.get("breakdown", "total"),
        group=str(target.get("group", "total")),
    )
    keys.update(overrides)
    return float(lookup(table, **keys)["pct"])


def check_target(target: dict, table: pd.DataFrame, n: int) -> tuple[str, bool]:
    """(achieved value as text, met?) for one published target."""
    kind = target.get("kind", "figure")
    if kind == "count":
        return str(n), target["low"] <= n <= target["high"]
    if kind == "figure":
        pct = _pct(table, target)
        return f"{pct:.2f}", target["low"] <= round_half_up(pct) <= target["high"]
    check = target["check"]
    if check == "top_answers":
        totals = table[
            (table.question == target["question"]) & (table.breakdown == "total") & (table.answer_type == "answer")
        ].sort_values("pct", ascending=False)
        top = list(totals.answer[: len(target["answers"])])
        return ", ".join(f"{a} {_pct(table, target, answer=a):.1f}" for a in top), set(top) == set(target["answers"])
    if check == "highest_groups":
        rows = table[
            (table.question == target["question"])
            & (table.answer == target["answer"])
            & (table["item"] == target.get("item", ""))
            & (table.breakdown == target["breakdown"])
        ]
        ranked = rows.sort_values("pct", ascending=False)
        top = [str(g) for g in ranked.group[: len(target["groups"])]]
        text = "; ".join(f"{g} {p:.1f}" for g, p in zip(ranked.group, ranked.pct))
        return text, set(top) == {str(g) for g in target["groups"]}
    if check in ("higher_than_rest", "lower_than_rest"):
        results, met = [], True
        for item in target.get("items") or [target.get("item", "")]:
            row = lookup(table, target["question"], target["answer"], item, target["breakdown"], str(target["group"]))
            higher = row.pct > row.pct_rest if check == "higher_than_rest" else row.pct < row.pct_rest
            significant = row.p_vs_rest < 0.05 or target.get("significant") is False
            met &= bool(higher and significant)
            results.append(f"{(item + ' ') if item else ''}{row.pct:.1f} vs {row.pct_rest:.1f} (p={row.p_vs_rest:.3f})")
        return "; ".join(results), met
    if check == "descending":
        values = [_pct(table, target, item=item) for item in target["items"]]
        return ", ".join(f"{v:.2f}" for v in values), all(a > b for a, b in zip(values, values[1:]))
    if check == "better_than_worse":
        pairs = [
            (_pct(table, target, item=i, answer="better"), _pct(table, target, item=i, answer="worse"))
            for i in target["items"]
        ]
        return "; ".join(f"{b:.1f}>{w:.1f}" for b, w in pairs), all(b > w for b, w in pairs)
    if check == "all_groups_at_least":
        rows = table[
            (table.question == target["question"])
            & (table["item"] == target.get("item", ""))
            & (table.answer == target["answer"])
            & (table.breakdown == target["breakdown"])
        ]
        return "; ".join(f"{g} {p:.1f}" for g, p in zip(rows.group, rows.pct)), bool((rows.pct >= target["low"]).all())
    if check == "half_base":
        base = int(lookup(table, target["question"], "agree", target["item"])["base_unweighted"])
        return str(base), target["low"] <= base <= target["high"]
    raise ReconstructionError(f"reconstruction.yml: target {target['id']}: unknown check {check!r}")


def evaluate_targets(spec: dict, table: pd.DataFrame, n: int) -> pd.DataFrame:
    rows = []
    for target in spec["targets"]:
        achieved, met = check_target(target, table, n)
        rows.append(
            {
                "id": target["id"],
                "kind": target.get("kind", "figure"),
                "question": target.get("question", ""),
                "item": target.get("item", ""),
                "answer": target.get("answer", ""),
                "breakdown": target.get("breakdown", "total"),
                "group": str(target.get("group", "total")),
                "published": target["published"],
                "low": target.get("low", ""),
                "high": target.get("high", ""),
                "achieved": achieved,
                "met": met,
                "source": target["source"],
                "note": target.get("note", ""),
            }
        )
    return pd.DataFrame(rows)


def reconstruct(wave_dir: Path, codebook_path: Path) -> pd.DataFrame:
    spec = yaml.safe_load((wave_dir / "reconstruction.yml").read_text(encoding="utf-8"))
    codebook = load_codebook(codebook_path)
    wave = load_wave(wave_dir)
    frame = build_frame(spec, codebook, wave)
    write_sav(frame, wave.data_file, codebook, wave)
    respondents = load_respondents(wave, codebook)
    table = weighted_tables(respondents)
    targets = evaluate_targets(spec, table, len(respondents))
    targets.to_csv(wave_dir / "targets.csv", index=False, lineterminator="\n")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Reconstruct a wave's respondent file from reconstruction.yml")
    parser.add_argument("--wave-dir", type=Path, default=Path("data/waves/2014"))
    parser.add_argument("--codebook", type=Path, default=Path("data/codebook.yml"))
    args = parser.parse_args(argv)
    targets = reconstruct(args.wave_dir, args.codebook)
    missed = targets[~targets.met]
    print(
        f"reconstruct: {len(targets) - len(missed)} of {len(targets)} published targets met "
        f"-> {args.wave_dir / 'targets.csv'}"
    )
    for row in missed.itertuples():
        print(f"reconstruct: MISSED {row.id}: published {row.published}, achieved {row.achieved}", file=sys.stderr)
    return 1 if len(missed) else 0


if __name__ == "__main__":
    sys.exit(main())
