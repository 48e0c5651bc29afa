"""The package works installed from a wheel, away from the source tree (not only as an editable install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.long(31)
def test_a_wheel_installed_in_a_fresh_venv_runs_the_demo(tmp_path):
    # Built from a copy of the tracked files, as from a fresh clone (no build/ left over from earlier builds).
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(dist),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("dtoc_pipeline-*.whl")

    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    fresh_python = fresh / "bin" / "python"
    fresh_site = Path(
        subprocess.run(
            [fresh_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies come from the locked environment; the project itself only from the wheel.
    (fresh_site / "locked_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(fresh_python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # as on a newcomer's machine: no PYTHONPATH, no settings, no Prefect server yet and an empty Prefect home (the
    # demo starts a server, which migrates a fresh database)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "DTOC_", "PREFECT_API_URL"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    where = subprocess.run(
        [
            fresh / "bin" / "python",
            "-c",
            "import flows, flows.warehouse as w, flows.validate as v; "
            "print(flows.__file__, w.SQL_ROOT, v.EXPECTATIONS_ROOT)",
        ],
        cwd=outside,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(REPO) not in where and str(fresh_site) in where

    demo = subprocess.run(
        [fresh / "bin" / "dtoc", "demo", "--workdir", str(outside / "work")],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    reconciliation = pl.read_csv(outside / "work" / "publish" / "reconciliation_2017-09.csv", infer_schema=False)
    total = reconciliation.filter((pl.col("provider_code") == "Total") & (pl.col("responsible_org") == "Total"))
    assert (float(total["local_days"][0]), float(total["national_days"][0])) == (3569.0, 4090.0)
