#!/usr/bin/env python3
"""Regenerates the quoted output in a doc's ```text blocks that start with `$ dojosim ...`:
each quoted line is replaced by the line of the command's real output that has the same
label (the text before the first run of two spaces, or up to the first colon). The prose
around the blocks is not touched: read the diff and update it by hand.
usage: regen_doc_blocks.py DOJOSIM DOC.md [DOC.md ...]"""
import re, shlex, subprocess, sys

def label(line):
    s = line.strip()
    m = re.match(r"(.+?)(\s{2,}|:)", s)
    return (m.group(1) + (":" if m and m.group(2) == ":" else "")) if m else s

exe = sys.argv[1]
for doc in sys.argv[2:]:
    text = open(doc, encoding="utf-8").read()
    def fix(m):
        block = m.group(1)
        lines = block.rstrip("\n").split("\n")
        head = [lines.pop(0)]
        cmd = head[0][2:]
        while cmd.endswith("\\"):
            nxt = lines.pop(0)
            head.append(nxt)
            cmd = cmd[:-1] + " " + nxt.strip()
        out = subprocess.run([exe] + shlex.split(cmd)[1:], capture_output=True, text=True)
        if out.returncode != 0:
            print("command failed:", cmd, out.stderr, file=sys.stderr)
            return m.group(0)
        real = [l.rstrip() for l in out.stdout.split("\n")]
        new = []
        for q in lines:
            if q.strip() in ("", "...") or q.rstrip() in real:
                new.append(q)
                continue
            cands = [r for r in real if label(r) == label(q)]
            if len(cands) != 1:
                print(f"{doc}: no unique match for: {q}", file=sys.stderr)
                new.append(q)
            else:
                new.append(cands[0])
        return "```text\n" + "\n".join(head + new) + "\n```"
    text = re.sub(r"```text\n(\$ dojosim .*?)```", fix, text, flags=re.S)
    open(doc, "w", encoding="utf-8").write(text)
