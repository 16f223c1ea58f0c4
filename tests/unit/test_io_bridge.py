"""The input-output bridge (simulator/analysis/io_bridge.py) against a system solved by hand, and
on pymrio's bundled test system; the bridge's one-line refusals. Needs the macro extra (pymrio):
skipped, saying so, without it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.extras  # run once in CI with the extras installed (.ci/run)
pytest.importorskip("pymrio", reason='the macro extra: pip install -e ".[macro]"')

from simulator.analysis import io_bridge as B  # noqa: E402

IDX = pd.MultiIndex.from_tuples([("R", "chips"), ("R", "other")], names=["region", "sector"])


def two_sectors() -> B.IOTable:
    # z_ij: what sector j buys from sector i; x: gross output
    Z = pd.DataFrame([[10.0, 20.0], [30.0, 5.0]], index=IDX, columns=IDX)
    x = pd.Series([100.0, 200.0], index=IDX)
    return B.IOTable(Z=Z, x=x, unit="M USD", year="2020", source="by hand")


def test_a_two_sector_system_solved_by_hand():
    t = two_sectors()
    # A = Z / x_j = [[.1, .1], [.3, .025]]; I - A = [[.9, -.1], [-.3, .975]], det = .8475
    det = 0.9 * 0.975 - 0.1 * 0.3
    L = np.array([[0.975, 0.1], [0.3, 0.9]]) / det
    # B = Z / x_i = [[.1, .2], [.15, .025]]; I - B = [[.9, -.2], [-.15, .975]], det = .8475
    G = np.array([[0.975, 0.2], [0.15, 0.9]]) / (0.9 * 0.975 - 0.2 * 0.15)
    shock = pd.Series([10.0], index=pd.MultiIndex.from_tuples([("R", "chips")]))
    e = B.effects(t, shock, B.inverses(t))
    np.testing.assert_allclose(e["output_leontief"], L @ [10.0, 0.0])  # column: backwards
    np.testing.assert_allclose(e["output_ghosh"], np.array([10.0, 0.0]) @ G)  # row: forwards
    # value added: x minus intermediate purchases = [100 - 40, 200 - 25]
    ratio = np.array([60.0 / 100.0, 175.0 / 200.0])
    np.testing.assert_allclose(e["value_added_leontief"], ratio * (L @ [10.0, 0.0]))
    assert (e["output_leontief"] >= 0).all() and e.loc[("R", "chips"), "output_ghosh"] >= 10.0


def test_the_shock_is_the_lost_share_of_the_buyers_part_of_the_sector():
    t = two_sectors()
    lost = pd.DataFrame({"replication": [0, 0, 1], "fab": ["a", "b", "a"],
                         "month": ["2020-01", "2020-01", "2020-01"], "lost_share": [0.5, 0.1, 0.0]})
    s = B.shock_table(lost, {"a": ("chips", 0.4), "b": ("chips", 0.2)}, t, "R")
    # replication 0: (0.5 x 0.4 + 0.1 x 0.2) x 100 / 12
    assert s.loc[s["replication"] == 0, "lost_output"].item() == pytest.approx(0.22 * 100 / 12)
    assert s.loc[s["replication"] == 1, "lost_output"].item() == 0.0
    assert set(s.columns) >= {"replication", "month", "region", "sector", "lost_output", "unit",
                              "table_year"}


def test_no_loss_gives_no_effect_and_a_loss_a_negative_one_in_both_models():
    t = two_sectors()
    lost = pd.DataFrame({"replication": [0, 1], "fab": ["a", "a"], "month": ["2020-01"] * 2,
                         "lost_share": [0.0, 0.3]})
    shocks = B.shock_table(lost, {"a": ("chips", 1.0)}, t, "R")
    tot = B.totals(B.economy_effects(shocks, t), t, "R").set_index(["replication", "model"])
    assert (tot.loc[0, "output_lost"] == 0).all()
    assert (tot.loc[1, "output_lost"] > 0.3 * 100 / 12 - 1e-9).all()  # at least the direct loss
    assert (tot.loc[1, "region_value_added_lost_pct"] > 0).all()


def test_pymrios_test_system_through_the_bridge():
    import pymrio
    io = pymrio.load_test()
    io.calc_all()
    t = B.from_iosystem(io, "pymrio test system")
    lost = pd.DataFrame({"replication": [0], "fab": ["a"], "month": ["2020-01"],
                         "lost_share": [0.1]})
    shocks = B.shock_table(lost, {"a": ("manufactoring", 0.5)}, t, "reg2")
    per = B.economy_effects(shocks, t)
    tot = B.totals(per, t, "reg2").set_index("model")
    direct = shocks["lost_output"].sum()
    assert tot.loc["leontief", "output_lost"] >= direct and tot.loc["ghosh", "output_lost"] >= direct
    assert set(per["region"]) == set(io.get_regions())  # the loss reaches other regions


def test_a_table_without_the_sector_is_refused_in_one_line():
    with pytest.raises(B.BridgeError, match="no sector 'C26' in region 'R'"):
        B.check_sector(two_sectors(), "R", "C26")
    lost = pd.DataFrame({"replication": [0], "fab": ["a"], "month": ["2020-01"], "lost_share": [0.1]})
    with pytest.raises(B.BridgeError, match="no buyer of this run maps"):
        B.shock_table(lost, {"a": ("", 0.0)}, two_sectors(), "R")


def test_the_command_writes_the_shock_and_the_effects_and_refuses_in_one_line(tmp_path):
    """python -m simulator macro on a tiny run with real losses (its fab runs out of HF), through
    pymrio's test system: the shock vector and both models' effects land in RUN_DIR/macro."""
    import dataclasses
    import subprocess
    import sys
    from pathlib import Path

    import tiny_world as tw
    from simulator import simulate
    from simulator.app.pipeline import write_run

    p = tw.with_events(tw.tiny_params(), curb=tw.set_regime_event(tw.SHOCK_DATE, "individual"))
    p = dataclasses.replace(p, fab=dataclasses.replace(p.fab, initial_cover_days=3.0))
    p = dataclasses.replace(p, fabs={f: dataclasses.replace(c, io_sector="manufactoring",
                                                           io_output_share=0.5)
                                     for f, c in p.fabs.items()},
                            world=dataclasses.replace(p.world, io_region="reg2"))
    run = write_run(simulate(tw.with_run(p, replications=2)), tmp_path / "run", "h")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "simulator", "macro", str(run), "--test-system"],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    shock = pd.read_csv(run / "macro" / "shock.csv")
    assert (shock["lost_output"] > 0).any() and set(shock["region"]) == {"reg2"}
    totals = pd.read_csv(run / "macro" / "totals.csv")
    assert set(totals["model"]) == {"leontief", "ghosh"} and (totals["output_lost"] >= 0).all()
    assert "Leontief" in (run / "macro" / "summary.md").read_text()
    refused = subprocess.run([sys.executable, "-m", "simulator", "macro", str(run)], cwd=root,
                             capture_output=True, text=True, timeout=120)
    # without a table option the shipped WIOD table is read: it has no region reg2
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "no sector 'manufactoring' in region 'reg2'" in refused.stderr


def test_the_shipped_table_is_wiods_2011_korea_balanced_and_read_in_the_configs_codes(tmp_path):
    """data/io/wiod2013_2011: Korea's electrical and optical equipment is there, each row of the
    table adds up to its output (intermediate plus final use), the config's ISIC Rev. 4 C26 is
    read as the table's 30t33, and a run that loses output loses value added in Korea."""
    import dataclasses
    from pathlib import Path

    import pymrio
    import tiny_world as tw
    from simulator import simulate
    from simulator.app.macro import SHIPPED, read_saved
    from simulator.config.paths import ROOT

    table = read_saved(pymrio, ROOT / SHIPPED)
    assert table.year == "2011" and "USD million" in table.unit
    assert ("KOR", "30t33") in table.x.index and table.sector("C26") == "30t33"
    assert table.x[("KOR", "30t33")] == pytest.approx(321942.0)  # WIOD 2013, KOR c14, 2011
    io = pymrio.load_all(str(ROOT / SHIPPED))
    uses = io.Z.sum(axis=1) + io.Y.sum(axis=1)
    kor = io.x.index.get_level_values(0) == "KOR"
    assert np.allclose(uses[kor], io.x.iloc[:, 0][kor], rtol=0.005)

    p = tw.with_events(tw.tiny_params(), curb=tw.set_regime_event(tw.SHOCK_DATE, "individual"))
    p = dataclasses.replace(p, fab=dataclasses.replace(p.fab, initial_cover_days=3.0))
    p = dataclasses.replace(p, fabs={f: dataclasses.replace(c, io_sector="C26", io_output_share=0.2)
                                     for f, c in p.fabs.items()},
                            world=dataclasses.replace(p.world, io_region="KOR"))
    daily = simulate(tw.with_run(p, replications=2)).tables["daily"]
    fabs = {f: ("C26", 0.2) for f in p.fabs}
    shocks = B.shock_table(B.monthly_lost_share(daily), fabs, table, "KOR")
    assert set(shocks["sector"]) == {"30t33"} and shocks["lost_output"].sum() > 0
    totals = B.totals(B.economy_effects(shocks, table), table, "KOR")
    assert (totals["region_value_added_lost_pct"] > 0).all()
    assert Path(ROOT / SHIPPED / "about.json").is_file()


def test_a_missing_extra_is_one_line(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pymrio.tools", None)
    with pytest.raises(B.BridgeError, match=r'pip install -e "\.\[macro\]"'):
        B.pymrio_tools()


def test_run_macro_table_runs_the_bridge_after_the_run_and_the_report_has_its_section(tmp_path):
    """run.macro_table (here pymrio's test system, with every buyer mapped to one of its
    sectors) runs the bridge inside the run's own pipeline: macro/ and a report section."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    fabs = ("samsung_electronics", "sk_hynix", "samsung_display", "lg_display")
    out = subprocess.run(
        [sys.executable, "run.py", "scenario=curbs_2019", "run.replications=2",
         "run.end_date=2019-12-31", "run.macro_table=pymrio:test", "world.io_region=reg2",
         *[f"fabs.{f}.io_sector=manufactoring" for f in fabs], f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-1500:]
    run = tmp_path / "run"
    assert (run / "macro" / "shock.csv").is_file() and (run / "macro" / "macro_effects.png").is_file()
    assert "Economy-wide effects (input-output bridge)" in (run / "report.md").read_text()
