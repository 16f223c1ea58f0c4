"""Effects in the right direction: compare replication means (and, where the comparison uses
common random numbers, each replication) between runs that differ in one respect.

Composed scenarios run to 2020-06-30 (a year after the shock) with three replications.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from conftest import SHOCK_DAY, SHORT, run_scenario, run_tiny

REPS = 3
WINDOW = 180  # days after the shock for cover comparisons


def _tables(scenario, extra=()):
    return run_scenario(scenario, SHORT + tuple(extra), REPS).tables


def _jp_lead(ship: pd.DataFrame, from_day: float) -> pd.Series:
    """Mean order-to-arrival days of Japanese orders placed from `from_day`, per replication."""
    jp = ship[(ship["origin"] == "JP") & (ship["ordered_day"] >= from_day) & ship["arrived_day"].notna()]
    return jp.groupby("replication")["lead_days"].mean()


def _stockout_days(daily: pd.DataFrame, from_day: float) -> pd.Series:
    """Fab x item days with a shortfall from `from_day`, summed per replication."""
    post = daily[daily["day"] >= from_day]
    return (post["shortfall_t"] > 1e-9).groupby(post["replication"]).sum().reindex(
        sorted(daily["replication"].unique()), fill_value=0)


def _mean_cover(daily: pd.DataFrame, start: float, end: float) -> pd.Series:
    d = daily[(daily["day"] >= start) & (daily["day"] < end)]
    return d.groupby(d["material"] + "." + d["grade"])["cover_days"].mean()


# --- licensing regime -------------------------------------------------------------------------
def test_curbs_lengthen_japanese_lead_times():
    base, curbs = _tables("baseline"), _tables("curbs_2019")
    lb, lc = _jp_lead(base["shipments"], SHOCK_DAY), _jp_lead(curbs["shipments"], SHOCK_DAY)
    assert len(lb) == len(lc) == REPS
    # individual licensing adds at least the document preparation and a review clock (>= 21 d)
    assert (lc > lb + 30).all(), (lb.tolist(), lc.tolist())
    assert lc.mean() > 2 * lb.mean()
    # before the curbs both worlds are the same, with short leads
    early = "ordered_day >= 0 and ordered_day < 400 and origin == 'JP'"
    lead_b = base["shipments"].query(early)["lead_days"].mean()
    assert lead_b == pytest.approx(curbs["shipments"].query(early)["lead_days"].mean())
    assert lead_b < 40


def _trough_cover(daily: pd.DataFrame, start: float, end: float) -> pd.Series:
    """Per item, the lowest daily cover (mean across fabs and replications) in [start, end)."""
    d = daily[(daily["day"] >= start) & (daily["day"] < end)]
    return d.groupby([d["material"] + "." + d["grade"], "day"])["cover_days"].mean().groupby(level=0).min()


def test_curbs_lower_cover_after_the_shock():
    # the rush and stockpiling can keep a material's cover above its normal level (photoresist),
    # but the curbs always draw stock down from where it stood at the shock: supply stops while
    # licences are reviewed
    base, curbs = _tables("baseline"), _tables("curbs_2019")

    def drawdown(daily):
        d = daily.assign(item=daily["material"] + "." + daily["grade"])
        mean = d.groupby(["item", "day"])["cover_days"].mean()
        at_shock = mean[(mean.index.get_level_values("day") >= SHOCK_DAY - 7)
                        & (mean.index.get_level_values("day") <= SHOCK_DAY + 14)].groupby(level=0).max()
        return at_shock - _trough_cover(daily, SHOCK_DAY, SHOCK_DAY + WINDOW)

    db, dc = drawdown(base["daily"]), drawdown(curbs["daily"])
    assert set(db.index) == set(dc.index) == {"hf.liquid", "hf.gas", "photoresist.standard",
                                               "fpi.standard"}
    for item in db.index:
        assert dc[item] > db[item] + 10.0, (item, db[item], dc[item])
    cb = _trough_cover(base["daily"], SHOCK_DAY, SHOCK_DAY + WINDOW)
    cc = _trough_cover(curbs["daily"], SHOCK_DAY, SHOCK_DAY + WINDOW)
    assert cc.mean() < 0.9 * cb.mean()  # on average across materials the trough is deeper
    # bulk licensing throughout: no shortfall and no rationing after the shock; under the curbs
    # the fabs cut inputs (ration) for want of licensed supply
    assert _stockout_days(base["daily"], SHOCK_DAY).sum() == 0
    post = lambda t: t["daily"][t["daily"]["day"] >= SHOCK_DAY]
    assert post(base)["rationing"].sum() == 0
    assert post(curbs)["rationing"].sum() > 0


def test_curbs_cut_japans_share_of_imports():
    """While the first licences are under review (Aug-Oct 2019) every material's Japanese share
    falls; over the year, where substitutes exist (HF, photoresist). FPI film has none: once its
    licences flow, buyers rebuild their stock from Japan, which can lift the share above the
    baseline's for a while, so its year is not asserted."""
    base, curbs = _tables("baseline"), _tables("curbs_2019")

    def jp_share(imp, material, last):
        m = imp[(imp["material"] == material) & imp["month"].between("2019-08", last)]
        return m.loc[m["origin"] == "JP", "quantity_t"].sum() / m["quantity_t"].sum()

    for material in ("hf", "photoresist", "fpi"):
        assert (jp_share(curbs["imports_monthly"], material, "2019-10")
                < jp_share(base["imports_monthly"], material, "2019-10")), material
    for material in ("hf", "photoresist"):
        assert (jp_share(curbs["imports_monthly"], material, "2020-06")
                < jp_share(base["imports_monthly"], material, "2020-06")), material


def test_individual_licensing_in_tiny_world_lengthens_leads_and_lowers_cover(tiny_run):
    x = tw.day_of(tw.SHOCK_DATE)
    bulk, ind = run_tiny("tiny_bulk").tables, run_tiny("tiny_individual").tables
    assert _jp_lead(ind["shipments"], x).mean() > _jp_lead(bulk["shipments"], x).mean() + 40
    assert _mean_cover(ind["daily"], x, x + 90).iloc[0] < _mean_cover(bulk["daily"], x, x + 90).iloc[0]
    # special bulk is reviewed faster and a licence covers every later order: shorter leads
    special = run_tiny("tiny_special_bulk").tables
    assert _jp_lead(special["shipments"], x).mean() < _jp_lead(ind["shipments"], x).mean()


def test_denials_cause_stockouts(tiny_run):
    x = tw.day_of(tw.SHOCK_DATE)
    ind, denied = run_tiny("tiny_individual").tables, run_tiny("tiny_denied").tables
    assert _stockout_days(ind["daily"], x).sum() == 0
    assert _stockout_days(denied["daily"], x).sum() > 30
    assert denied["daily"]["production_pct"].min() < ind["daily"]["production_pct"].min()


# --- buffers ----------------------------------------------------------------------------------
def test_more_initial_cover_means_fewer_stockout_days():
    low = _tables("curbs_2019", ["fab.initial_cover_days=30"])
    high = _tables("curbs_2019", ["fab.initial_cover_days=120"])
    s_low, s_high = _stockout_days(low["daily"], SHOCK_DAY), _stockout_days(high["daily"], SHOCK_DAY)
    assert s_high.mean() < s_low.mean(), (s_low.tolist(), s_high.tolist())
    # and the first shortfall comes later; a replication with none is censored at the horizon
    def first(d):
        post = d[(d["day"] >= SHOCK_DAY) & (d["shortfall_t"] > 1e-9)]
        horizon = d["day"].max() + 1
        reps = sorted(d["replication"].unique())
        return post.groupby("replication")["day"].min().reindex(reps, fill_value=horizon)
    assert first(high["daily"]).mean() > first(low["daily"]).mean()
    # the initial stock is what was asked for
    for tables, cover in ((low, 30.0), (high, 120.0)):
        d0 = tables["daily"][tables["daily"]["day"] == 0]
        np.testing.assert_allclose(d0["inventory_t"] + d0["consumption_t"],
                                   d0["demand_t"] * cover, rtol=1e-9)


# --- domestic substitution ----------------------------------------------------------------------
def test_domestic_substitution_brings_korean_supply():
    curbs, dom = _tables("curbs_2019"), _tables("domestic_substitution")
    kr = lambda s: s[(s["origin"] == "KR") & s["arrived_day"].notna()].groupby("replication")[  # noqa: E731
        "quantity_t"].sum().reindex(range(REPS), fill_value=0.0)
    assert (kr(curbs["shipments"]) == 0).all()
    assert (kr(dom["shipments"]) > 0).all()
    # nothing domestic arrives before the programme starts, or before qualification
    first = dom["shipments"].loc[dom["shipments"]["origin"] == "KR", "ordered_day"].min()
    assert first > SHOCK_DAY
    # substitution does not make shortages worse, and takes HF demand off Japan
    assert _stockout_days(dom["daily"], SHOCK_DAY).mean() <= _stockout_days(curbs["daily"], SHOCK_DAY).mean()
    jp_hf = lambda s: s[(s["origin"] == "JP") & (s["material"] == "hf")  # noqa: E731
                        & (s["ordered_day"] >= SHOCK_DAY)]["quantity_t"].sum()
    assert jp_hf(dom["shipments"]) <= jp_hf(curbs["shipments"]) * 1.001
    # domestic liquid HF keeps more cover on hand than the curbs alone
    cd = _mean_cover(dom["daily"], SHOCK_DAY, SHOCK_DAY + 365)["hf.liquid"]
    cc = _mean_cover(curbs["daily"], SHOCK_DAY, SHOCK_DAY + 365)["hf.liquid"]
    assert cd > cc


# --- the counterfactuals still tell their story -----------------------------------------------
def _inputs_forgone(daily: pd.DataFrame) -> pd.Series:
    """Per replication: tonnes of planned use the fabs went without after the shock, rationed or
    short (demand - consumption), summed over fabs and grades."""
    post = daily[daily["day"] >= SHOCK_DAY]
    return (post["demand_t"] - post["consumption_t"]).groupby(post["replication"]).sum()


def test_curbs_without_substitution_hurt_more_than_with_it_and_both_more_than_baseline():
    full = ("run.end_date=2024-12-31",)
    base, curbs, subst = (run_scenario(s, full, 2).tables["daily"]
                          for s in ("baseline", "curbs_2019", "domestic_substitution"))
    fb, fc, fs = _inputs_forgone(base), _inputs_forgone(curbs), _inputs_forgone(subst)
    assert (fb == 0).all()
    assert (fs > fb).all()
    # common random numbers: replication by replication, substitution spares inputs
    assert (fc >= fs).all() and fc.mean() > 1.5 * fs.mean()
