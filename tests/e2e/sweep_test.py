#!/usr/bin/python3
"""End-to-end tests of `dojosim sweep` (docs/sweep.md).

Usage: sweep_test.py MODE DOJOSIM SPACES_DIR WORK_DIR
MODE: basic | matches_run | kill_resume | threads | mpi | mpi_kill | progress
Exit 0 = pass, 1 = fail, 77 = skipped (e.g. no mpirun).
"""
import itertools
import json
import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

MODE, DOJOSIM, SPACES, WORK = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
ENV = {k: v for k, v in os.environ.items() if k != "CI"}
ENV.pop("OMPI_COMM_WORLD_SIZE", None)


def committed(db):
    """Points committed to the store so far (read-only), or None while it cannot be read."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        n = con.execute("SELECT count(*) FROM points").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return None


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def space(name):
    return os.path.join(SPACES, name)


def db_path(name):
    p = os.path.join(WORK, name)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(p + suffix):
            os.remove(p + suffix)
    return p


def sweep(space_file, db, *extra, env=None, check_rc=True):
    r = subprocess.run([DOJOSIM, "sweep", space_file, "--db", db, *extra], capture_output=True, text=True,
                       env=env or ENV, timeout=300)
    if check_rc and r.returncode != 0:
        fail(f"sweep {space_file} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def export(db):
    r = subprocess.run([DOJOSIM, "sweep", "--export", "csv", "--db", db], capture_output=True, env=ENV, timeout=120)
    check(r.returncode == 0, f"export of {db} exited {r.returncode}: {r.stderr.decode()}")
    return r.stdout


def rows(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    out = [dict(r) for r in con.execute("SELECT * FROM points ORDER BY point_id")]
    con.close()
    return out


def basic():
    """A small space: right count, order of enumeration, statuses, schema, CSV."""
    db = db_path("small.sqlite")
    r = sweep(space("small.yaml"), db, "--threads", "2")
    # The axes of small.yaml, enumerated by the documented rule: systems, set keys (file
    # order), models, strategies, seqs, precisions; the last varies fastest.
    systems = ["dojo-tile", "dgx-h100:nodes=1"]
    sram = ["440MB", "2GB", "8 GB"]
    models = ["llama3-8b", "gpt3-13b"]
    strategies = ["best", "tp=5,pp=5,dp=1,mbs=1,gbs=8,vp=1,sp=false,zero=0,recompute=none",
                  "tp=1,pp=1,dp=25,mbs=64,gbs=1600,vp=1,sp=false,zero=0,recompute=none"]
    expected = list(itertools.product(systems, sram, models, strategies))
    got = rows(db)
    check(len(got) == len(expected), f"{len(got)} points stored, expected {len(expected)}")
    check(f"{len(expected)} of {len(expected)} points" in r.stdout, f"summary does not report {len(expected)} of {len(expected)}: {r.stdout}")
    for i, (row, (sy, sr, mo, st)) in enumerate(zip(got, expected)):
        check(row["point_id"] == i, f"point ids are not 0..n-1 in order at {i}")
        check((row["system"], row["model"], row["strategy_input"]) == (sy, mo, st), f"point {i}: {row['system']}, {row['model']}, {row['strategy_input']} != {sy}, {mo}, {st}")
        check(row["overrides"] == f"device.memory.sram.capacity={sr}", f"point {i}: overrides {row['overrides']}")
        inputs = json.loads(row["inputs"])
        check(inputs["set"] == {"device.memory.sram.capacity": sr}, f"point {i}: inputs {inputs}")
        check(row["status"] in ("ok", "infeasible", "invalid", "error"), f"point {i}: status {row['status']}")
        check(row["status"] != "error", f"point {i}: internal error {row['error']}")
        if sy.startswith("dgx"):
            # The SRAM key does not exist on a GPU: invalid, with the reason, never dropped.
            check(row["status"] == "invalid" and "does not exist" in row["error"], f"point {i}: {row['status']} {row['error']}")
        elif st.startswith("tp=5") and mo == "llama3-8b":
            check(row["status"] == "invalid" and "does not divide" in row["error"], f"point {i}: {row['status']} {row['error']}")
        if row["status"] == "ok":
            res = json.loads(row["result"])
            check(row["fits"] == 1 and res["memory"]["fits"] is True, f"point {i}: ok but does not fit")
            check(res["step_time_s"] == row["step_time_s"] and row["step_time_s"] > 0, f"point {i}: step time column")
            check(res["mfu"] == row["mfu"] and res["tokens_per_s"] == row["tokens_per_s"], f"point {i}: mfu/tokens column")
            check(res["energy_j_per_step"] == row["energy_j_per_step"] and row["cost_usd_per_step"] > 0, f"point {i}: economics")
            check(res["memory"]["capacity_bytes"] == float(sr.replace(" ", "").replace("MB", "e6").replace("GB", "e9")),
                  f"point {i}: the SRAM override did not reach the system: {res['memory']['capacity_bytes']}")
            spec_keys = ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs", "sp", "zero", "recompute")
            check(row["strategy"] == ",".join(f"{k}={str(res['strategy'][k]).lower()}" for k in spec_keys),
                  f"point {i}: strategy column {row['strategy']}")
        if row["status"] == "infeasible" and row["result"] is not None:
            res = json.loads(row["result"])
            check(row["fits"] == 0 and res["memory"]["per_device_bytes"] > res["memory"]["capacity_bytes"],
                  f"point {i}: infeasible but fits")
    statuses = {r["status"] for r in got}
    check(statuses == {"ok", "infeasible", "invalid"}, f"statuses {statuses}, expected ok, infeasible and invalid")

    con = sqlite3.connect(db)
    check(con.execute("PRAGMA user_version").fetchone()[0] == 1, "user_version is not 1")
    check(con.execute("SELECT version FROM schema_version").fetchone()[0] == 1, "schema_version table")
    sw = con.execute("SELECT space_hash, total_points, set_keys FROM sweep").fetchone()
    check(len(sw[0]) == 16 and sw[1] == len(expected) and json.loads(sw[2]) == ["device.memory.sram.capacity"], f"sweep row {sw}")
    con.close()

    csv = export(db).decode().splitlines()
    check(csv[0].startswith("point_id,system,model,device.memory.sram.capacity,strategy_input,"), f"CSV header {csv[0]}")
    check(len(csv) == len(expected) + 1, f"CSV has {len(csv)} lines, expected {len(expected) + 1}")
    check([int(line.split(",")[0]) for line in csv[1:]] == list(range(len(expected))), "CSV not ordered by point_id")
    check(export(db) == export(db), "export is not deterministic")

    # Resuming a finished sweep evaluates nothing; a new sweep into the same file is refused.
    r = sweep(space("small.yaml"), db, "--resume")
    check(f"this run: 0 evaluated, {len(expected)} already stored" in r.stdout, f"resume of a finished sweep: {r.stdout}")
    r = sweep(space("small.yaml"), db, check_rc=False)
    check(r.returncode == 2 and "--resume" in r.stderr, f"existing database without --resume: {r.returncode} {r.stderr}")
    r = sweep(space("mixed.yaml"), db, "--resume", check_rc=False)
    check(r.returncode == 2 and "another space" in r.stderr, f"resume with another space: {r.returncode} {r.stderr}")
    check(len(rows(db)) == len(expected), "a refused run changed the database")


def matches_run():
    """A stored result is exactly what `dojosim run --format json` prints for that point."""
    db = db_path("mixed-run.sqlite")
    sweep(space("mixed.yaml"), db)
    got = [r for r in rows(db) if r["status"] == "ok"]
    check(len(got) >= 8, f"only {len(got)} ok points in mixed.yaml")
    compared = 0
    for row in got[:: max(1, len(got) // 12)]:
        inputs = json.loads(row["inputs"])
        if any(k.startswith("economics.") and v != "0.08" for k, v in inputs["set"].items()):
            continue  # `run` has no economics overrides; compare the default-price points
        cmd = [DOJOSIM, "run", "--system", inputs["system"], "--model", inputs["model"], "--format", "json",
               "--precision", inputs["precision"]]
        if inputs["seq"]:
            cmd += ["--seq", str(inputs["seq"])]
        if inputs["strategy"] != "best":
            cmd += ["--parallel", inputs["strategy"]]
        for k, v in inputs["set"].items():
            if not k.startswith("economics."):
                cmd += ["--set", f"{k}={v}"]
        r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120)
        check(r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")
        ran = json.loads(r.stdout)
        # `run` records what it was given (model, inputs); a sweep row keeps its point's
        # inputs in their own column, the result beside them.
        ran.pop("model")
        given = ran.pop("inputs")
        check((given["system"], given["model"]) == (inputs["system"], inputs["model"]),
              f"point {row['point_id']}: `dojosim run` names other inputs:\n{' '.join(cmd)}")
        check(ran == json.loads(row["result"]),
              f"point {row['point_id']}: sweep result differs from `dojosim run`:\n{' '.join(cmd)}")
        compared += 1
    check(compared >= 3, f"compared only {compared} points")
    # The economics axis reaches the cost model: same plan, dearer electricity, dearer step.
    by_key = {}
    for row in rows(db):
        if row["status"] == "ok":
            s = json.loads(row["inputs"])
            elec = s["set"].pop("economics.electricity_usd_per_kwh")
            by_key.setdefault(json.dumps(s, sort_keys=True), {})[elec] = row
    pairs = [v for v in by_key.values() if len(v) == 2]
    check(len(pairs) >= 8, f"only {len(pairs)} electricity pairs")
    for v in pairs:
        cheap, dear = v["0.08"], v["0.2"]
        check(cheap["step_time_s"] == dear["step_time_s"] and cheap["energy_j_per_step"] == dear["energy_j_per_step"],
              f"point {dear['point_id']}: the electricity price changed the plan")
        check(dear["cost_usd_per_step"] > cheap["cost_usd_per_step"],
              f"point {dear['point_id']}: electricity 0.2 $/kWh is not dearer than 0.08")
    print(f"{compared} points equal to dojosim run")


def kill_resume():
    """kill -9 a running sweep (twice), resume it, and get exactly the uninterrupted result."""
    total = 12000
    ref = db_path("fast-ref.sqlite")
    t0 = time.time()
    r = sweep(space("fast12k.yaml"), ref)
    ref_wall = time.time() - t0
    check(f"{total} of {total} points" in r.stdout, f"uninterrupted run: {r.stdout}")
    ref_csv = export(ref)
    check(len(ref_csv.splitlines()) == total + 1, "the 12,000-point export has the wrong number of lines")
    print(f"uninterrupted {total} points: {ref_wall:.2f} s")

    db = db_path("fast-killed.sqlite")
    stored = 0
    for attempt, extra in enumerate([[], ["--resume"]]):
        p = subprocess.Popen([DOJOSIM, "sweep", space("fast12k.yaml"), "--db", db, "--threads", "1", *extra],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        deadline = time.time() + 60
        n = stored
        while time.time() < deadline and p.poll() is None:
            time.sleep(0.02)
            if not os.path.exists(db):
                continue
            n = committed(db)
            if n is None:
                continue
            if n > stored:  # this run has committed points of its own: kill it now
                break
        check(p.poll() is None, f"kill {attempt + 1}: the sweep ended before it could be killed (raise the point count)")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        con = sqlite3.connect(db)
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "database corrupt after kill -9")
        after = con.execute("SELECT count(*) FROM points").fetchone()[0]
        ids = [r[0] for r in con.execute("SELECT point_id FROM points")]
        con.close()
        check(stored < after < total, f"kill {attempt + 1}: {after} points stored (before: {stored})")
        check(len(set(ids)) == len(ids), "duplicate point ids")
        print(f"kill {attempt + 1}: {after} of {total} points committed")
        stored = after
    r = sweep(space("fast12k.yaml"), db, "--resume")
    check(f"this run: {total - stored} evaluated, {stored} already stored" in r.stdout, f"resume summary: {r.stdout}")
    check(export(db) == ref_csv, "the resumed sweep's export differs from the uninterrupted run's")


def threads():
    """Results do not depend on the number of threads; random sampling is reproducible."""
    ref = None
    for t in ("1", "2", "3"):
        db = db_path(f"mixed-t{t}.sqlite")
        sweep(space("mixed.yaml"), db, "--threads", t)
        out = export(db)
        check(len(out.splitlines()) == 1 + 3 * 2 * 3 * 2 * 2 * 2, f"threads {t}: wrong point count")
        if ref is None:
            ref = out
        check(out == ref, f"--threads {t} gives a different export than --threads 1")
    exports = []
    for t in ("1", "3"):
        db = db_path(f"random-t{t}.sqlite")
        sweep(space("random.yaml"), db, "--threads", t)
        exports.append(export(db))
        got = rows(db)
        check(len(got) == 200, f"random sampling stored {len(got)} points, expected 200")
        bws = set()
        for row in got:
            s = json.loads(row["inputs"])["set"]
            bw = float(s["levels.node.bandwidth"].split()[0])
            check(50e9 <= bw <= 900e9, f"sampled node bandwidth {bw} outside [50, 900] GB/s")
            cl = float(s["levels.cluster.bandwidth"].split()[0])
            check(12.5e9 <= cl <= 100e9, f"sampled cluster bandwidth {cl} outside the range")
            check(s["device.price"] in ("$25000", "$40000"), f"sampled price {s['device.price']}")
            bws.add(bw)
        check(len(bws) > 190, f"continuous range sampled only {len(bws)} distinct values")
    check(exports[0] == exports[1], "random sampling differs between --threads 1 and 3")


MPI_FLAGS = [
    ["--oversubscribe", "--mca", "plm_rsh_agent", "false", "--mca", "btl", "self,vader",
     "--mca", "btl_vader_single_copy_mechanism", "none"],
    ["--oversubscribe"],
]


def mpi_setup():
    """mpirun, the flags that launch local ranks here, and the environment for them."""
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        # openmpi-bin is installed by scripts/bootstrap: its absence is a failure, not a skip.
        print("FAIL: mpirun not found: install Debian package 'openmpi-bin' (scripts/bootstrap)")
        sys.exit(1)
    h = subprocess.run([DOJOSIM, "sweep", "--help"], capture_output=True, text=True, env=ENV)
    if "built without MPI" in h.stdout:
        print("FAIL: dojosim was built without MPI: install Debian package 'libopenmpi-dev' (scripts/bootstrap) and reconfigure")
        sys.exit(1)
    env = dict(ENV, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    # Under the asan preset: Open MPI leaks in MPI_Init/MPI_Finalize (its plugins are unloaded
    # by then, so they cannot be suppressed by name); dojosim's own leaks are checked by the
    # other sweep tests, which run the same code without MPI.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
    for f in MPI_FLAGS:
        probe = subprocess.run([mpirun, *f, "-np", "2", "true"], capture_output=True, text=True, env=env, timeout=60)
        if probe.returncode == 0:
            return mpirun, f, env
    print(f"FAIL: mpirun cannot launch 2 local processes here: {probe.stderr[-400:]}")
    sys.exit(1)


def mpi():
    """mpirun -np 2/3/4 dojosim sweep writes the same database as one process."""
    mpirun, flags, env = mpi_setup()
    ref_db = db_path("mpi-ref.sqlite")
    sweep(space("mixed.yaml"), ref_db, "--threads", "1")
    ref = export(ref_db)
    for n in (2, 3, 4):
        db = db_path(f"mpi-np{n}.sqlite")
        cmd = [mpirun, *flags, "-np", str(n), DOJOSIM, "sweep", space("mixed.yaml"), "--db", db]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        check(r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        check(f"on {n} MPI ranks (1 writer, {n - 1} workers" in r.stdout, f"np {n}: not an MPI run? {r.stdout}")
        check(r.stdout.count("sweep:") == 1, f"np {n}: more than one rank reported (more than one writer?)")
        check(export(db) == ref, f"mpirun -np {n}: database differs from the single-process run")
        print(f"mpirun -np {n}: equal to the single-process run ({' '.join(flags)})")
    # A bad space under mpirun stops every rank with exit 2 (no rank left waiting).
    r = subprocess.run([mpirun, *flags, "-np", "3", DOJOSIM, "sweep", space("bad_key.yaml"), "--db", db_path("mpi-bad.sqlite")],
                       capture_output=True, text=True, env=env, timeout=120)
    check(r.returncode == 2 and "did you mean 'systems'" in r.stderr, f"bad space under mpirun: {r.returncode} {r.stderr}")


def rank_pid(parent_env_marker, rank):
    """The pid of the dojosim process of MPI rank `rank` started by this test, or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                environ = f.read().split(b"\0")
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if (os.path.basename(cmdline[0]) == b"dojosim" and f"OMPI_COMM_WORLD_RANK={rank}".encode() in environ
                and parent_env_marker.encode() in environ):
            return int(d)
    return None


def mpi_kill():
    """SIGKILL one worker rank of a running MPI sweep: mpirun stops with a non-zero status and
    names the rank, the database stays intact with no duplicate point, and --resume under
    mpirun completes it to exactly the single-process result."""
    mpirun, flags, env = mpi_setup()
    total = 12000
    ref_db = db_path("mpi-kill-ref.sqlite")
    sweep(space("fast12k.yaml"), ref_db, "--threads", "1")
    ref = export(ref_db)
    marker = f"DOJOSIM_SWEEP_TEST={os.getpid()}"
    env = dict(env, DOJOSIM_SWEEP_TEST=str(os.getpid()))
    db = db_path("mpi-kill.sqlite")
    cmd = [mpirun, *flags, "-np", "3", DOJOSIM, "sweep", space("fast12k.yaml"), "--db", db]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    victim = None
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        time.sleep(0.02)
        if victim is None:
            victim = rank_pid(marker, 2)
        if victim is None or not os.path.exists(db):
            continue
        n = committed(db)
        if n is None:
            continue
        if n > 0:  # the ranks are at work and points are committed: kill worker rank 2
            break
    check(p.poll() is None and victim is not None,
          "the MPI sweep ended (or rank 2 was not found) before a worker could be killed")
    os.kill(victim, signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    check(p.returncode != 0, f"mpirun exited 0 after rank 2 was killed\n{out}\n{err}")
    check("rank 2" in err and ("signal 9" in err or "Killed" in err),
          f"mpirun does not report the killed rank:\n{err[-2000:]}")
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "database corrupt after a rank was killed")
    stored = con.execute("SELECT count(*) FROM points").fetchone()[0]
    ids = [r[0] for r in con.execute("SELECT point_id FROM points")]
    con.close()
    check(len(set(ids)) == len(ids), "duplicate point ids after a rank was killed")
    check(0 < stored < total, f"{stored} of {total} points stored when rank 2 was killed")
    print(f"rank 2 killed: mpirun exited {p.returncode}, {stored} of {total} points committed")
    r = subprocess.run([mpirun, *flags, "-np", "3", DOJOSIM, "sweep", space("fast12k.yaml"), "--db", db, "--resume"],
                       capture_output=True, text=True, env=env, timeout=300)
    check(r.returncode == 0, f"resume under mpirun exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    check(f"this run: {total - stored} evaluated, {stored} already stored" in r.stdout, f"resume summary: {r.stdout}")
    check(export(db) == ref, "the resumed MPI sweep's export differs from the single-process run's")


def progress():
    """A progress line on a terminal; nothing when stderr is not a terminal or under CI."""
    def run_on_pty(env):
        master, slave = pty.openpty()
        db = db_path("progress.sqlite")
        p = subprocess.Popen([DOJOSIM, "sweep", space("mixed.yaml"), "--db", db], stdout=subprocess.DEVNULL,
                             stderr=slave, env=env)
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        p.wait()
        os.close(master)
        check(p.returncode == 0, f"sweep on a terminal exited {p.returncode}")
        return out.decode(errors="replace")

    tty = run_on_pty(ENV)
    check("points 144/144" in tty and "/s" in tty and "\r" in tty, f"no progress line on a terminal: {tty!r}")
    check(tty.endswith("\n"), "the progress line does not end with a newline")
    ci = run_on_pty(dict(ENV, CI="true"))
    check("points" not in ci, f"progress shown under CI: {ci!r}")
    r = sweep(space("mixed.yaml"), db_path("progress2.sqlite"))
    check(r.stderr == "", f"progress written to a non-terminal stderr: {r.stderr!r}")


{"basic": basic, "matches_run": matches_run, "kill_resume": kill_resume, "threads": threads, "mpi": mpi, "mpi_kill": mpi_kill,
 "progress": progress}[MODE]()
shutil.rmtree(WORK, ignore_errors=True)
print(f"{MODE}: pass")
