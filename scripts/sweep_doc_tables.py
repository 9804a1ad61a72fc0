#!/usr/bin/env python3
"""Regenerates (or checks) the tables of docs/sweep.md section 5 from the sweeps they quote.

Each ```sql block whose first line is `-- sqlite3 -markdown NAME.sqlite` is run with the
real sqlite3 CLI on a database made by `dojosim sweep` from the configs/sweeps/ file that
NAME stands for, and the markdown table right after the block is replaced by its output.
A table introduced by "(the same query with `printf(...)`):" is the previous query with
its first printf(...) replaced by the quoted one. The prose around the tables is not
touched: read the diff and update it by hand. A throughput the prose quotes ("16.86 M")
must be a cell of one of the tables, else the check fails.

usage: sweep_doc_tables.py DOJOSIM DOC.md [--write | --check]   (default --check)
"""
import os
import re
import subprocess
import sys
import tempfile

SWEEPS = {  # database name in the doc -> the sweep that makes it
    "sram.sqlite": "configs/sweeps/sram-per-d1.yaml",
    "exapod-vs-h100.sqlite": "configs/sweeps/exapod-vs-h100.yaml",
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_printf(query):
    """(start, end) of the first printf(...) call in the query, parentheses balanced."""
    i = query.index("printf(")
    depth, j = 0, i + len("printf")
    quote = None
    while True:
        c = query[j]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i, j + 1
        j += 1


def table_span(lines, start):
    """Index range of the markdown table starting at the first '|' line at or after start."""
    i = start
    while i < len(lines) and not lines[i].startswith("|"):
        if lines[i].strip() and not lines[i].startswith("|"):
            if i > start + 1:
                raise SystemExit(f"no table after line {start + 1}")
        i += 1
    j = i
    while j < len(lines) and lines[j].startswith("|"):
        j += 1
    return i, j


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    exe, doc = sys.argv[1], sys.argv[2]
    write = "--write" in sys.argv[3:]
    lines = open(doc, encoding="utf-8").read().split("\n")
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {}

        def db(name):
            if name not in dbs:
                path = os.path.join(tmp, name)
                r = subprocess.run([exe, "sweep", os.path.join(ROOT, SWEEPS[name]), "--db", path, "--threads", "1"],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(f"sweep for {name} failed (exit {r.returncode}): {r.stderr}")
                dbs[name] = path
            return dbs[name]

        def run(name, query):
            r = subprocess.run(["sqlite3", "-markdown", db(name)], input=query, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"sqlite3 failed on {name}: {r.stderr}")
            return r.stdout.rstrip("\n").split("\n")

        out, i, last = [], 0, None
        changed = []

        def replace_table(name, query, head_end):
            """Copies lines[i:head_end] and the text up to the next table, then the query's
            table in place of the old one; returns the index past the old table."""
            out.extend(lines[i:head_end])
            t0, t1 = table_span(lines, head_end)
            out.extend(lines[head_end:t0])
            new = run(name, query)
            if new != lines[t0:t1]:
                changed.append(t0 + 1)
            out.extend(new)
            return t1

        while i < len(lines):
            line = lines[i]
            m = re.match(r"-- sqlite3 -markdown (\S+)", lines[i + 1]) if line == "```sql" and i + 1 < len(lines) else None
            if m:
                end = lines.index("```", i + 1)
                last = (m.group(1), "\n".join(lines[i + 2:end]))
                i = replace_table(last[0], last[1], end + 1)
                continue
            expr = re.match(r"`(printf\(.*\))`\)?:?", lines[i + 1]) if i + 1 < len(lines) else None
            if last and expr and re.search(r"\(the same query with\s*$", line):
                name, query = last
                a, b = first_printf(query)
                i = replace_table(name, query[:a] + expr.group(1) + query[b:], i + 2)
                continue
            out.append(line)
            i += 1
    # Prose that quotes a table's throughput ("16.86 M") must quote a cell of a table (a
    # probe found 16.87 M in the prose beside 16.86 M in the table).
    cells, prose_bad, code = set(), [], False
    for line in out:
        if line.startswith("|"):
            cells.update(re.findall(r"(\d+\.\d\d M)\b", line))
    for n, line in enumerate(out, 1):
        code = not code if line.startswith("```") else code
        if code or line.startswith("|"):
            continue
        prose_bad += [f"line {n}: {x}" for x in re.findall(r"(\d+\.\d\d M)\b", line) if x not in cells]
    if prose_bad:
        print(f"{doc}: prose quotes throughputs no table holds ({'; '.join(prose_bad)}): update the prose")
        return 1
    if write:
        open(doc, "w", encoding="utf-8").write("\n".join(out))
        print(f"{doc}: {len(changed)} tables rewritten")
        return 0
    if changed:
        print(f"{doc}: the tables at lines {changed} do not match the sweeps; run "
              f"scripts/sweep_doc_tables.py DOJOSIM {doc} --write and update the prose")
        return 1
    print(f"{doc}: every sweep table matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
