"""The tuning part of the benchmark report (issue 20): Myelin's GEMM rows under
the built-in tuning record and under the file `myelin tune` wrote at the start
of the same run, side by side. bench/run.py writes, under raw/tuning/:

  record-builtin.txt, record-tuned.txt   `myelin tune --show` under each record
  tune.json                              the tune command, its seconds, its exit
  gemm-<impl>-t<T>[-passive]-<record>-r<R>.json
                                         Google Benchmark JSON, one process per
                                         (threads, policy, record, round)

Called by report.py; kept out of raw/ itself so the main tables never see
these duplicate rows."""
import glob
import json
import os
import re

RECORDS = ("builtin", "tuned")
FILE_RE = re.compile(r"^gemm-(?P<impl>.+)-t(?P<t>\d+)(?P<passive>-passive)?-(?P<rec>builtin|tuned)-r\d+\.json$")


def load(out, load_gbench, merge_rounds, goodness):
    """{record: {benchmark name: record}}; rounds merged by median and, of the
    two wait policies (2 threads), the better median kept, as in the main tables."""
    found = {}
    for p in sorted(glob.glob(os.path.join(out, "raw", "tuning", "gemm-*.json"))):
        m = FILE_RE.match(os.path.basename(p))
        if not m:
            continue
        pol = "PASSIVE" if m.group("passive") else "default"
        for name, rec in load_gbench(p).items():
            found.setdefault(m.group("rec"), {}).setdefault(name, {}).setdefault(pol, []).append(rec)
    recs = {}
    for r, by_name in found.items():
        for name, by_pol in by_name.items():
            merged = [merge_rounds(v) for v in by_pol.values()]
            recs.setdefault(r, {})[name] = max(merged, key=goodness)
    return recs


def record_text(out, rec):
    try:
        with open(os.path.join(out, "raw", "tuning", "record-%s.txt" % rec)) as f:
            return f.read()
    except OSError:
        return ""


def changed_lines(a, b):
    """The record's value lines that differ: what the tuner changed."""
    va = {l.split()[0]: l for l in a.splitlines() if l.strip() and not l.startswith("#") and len(l.split()) > 1}
    vb = {l.split()[0]: l for l in b.splitlines() if l.strip() and not l.startswith("#") and len(l.split()) > 1}
    return ["%s: %s → %s" % (k, " ".join(va[k].split()[1:]) if k in va else "–", " ".join(vb[k].split()[1:]))
            for k in vb if k not in ("cpu", "name") and va.get(k) != vb[k]]


def summary(run, recs, geomean):
    """(threads, shapes, geomean of tuned ÷ built-in) for each thread count measured."""
    out = []
    b, t = recs.get("builtin", {}), recs.get("tuned", {})
    for th in (1, 2):
        rs = [t[n]["GFLOPS"] / b[n]["GFLOPS"] for n in b
              if n in t and b[n]["threads"] == th and b[n].get("GFLOPS") and t[n].get("GFLOPS")]
        if rs:
            out.append((th, len(rs), geomean(rs)))
    return out


def section(run, fmt, fmt_ratio, geomean, table, nn_shapes, load_gbench, merge_rounds, goodness):
    recs = load(run.out, load_gbench, merge_rounds, goodness)
    if not recs:
        return ""
    try:
        with open(os.path.join(run.out, "raw", "tuning", "tune.json")) as f:
            tune = json.load(f)
    except (OSError, ValueError):
        tune = {}
    src = {r: (record_text(run.out, r).splitlines() or ["# ?"])[0].lstrip("# ").strip() for r in RECORDS}
    out = ["## Tuning record: built-in and tuned (GFLOP/s)\n",
           "`%s` ran first (%s s, exit %s); then each round timed Myelin's GEMM rows (at QUICK with the default level's shapes) in one process per record, "
           "the two records alternating, under:\n" % (tune.get("command", "myelin tune"), tune.get("seconds", "?"),
                                                       tune.get("exit", "?")),
           "- **built-in**: %s (forced: MYELIN_TUNING names a file that does not exist, so no tuning file in "
           "~/.cache is read)\n- **tuned**: %s\n" % (src["builtin"], src["tuned"])]
    ch = changed_lines(record_text(run.out, "builtin"), record_text(run.out, "tuned"))
    out.append("What the tuner changed: %s.\n" % (
        "; ".join("`%s`" % c for c in ch) if ch else
        "nothing: it kept every built-in value, so both columns ran the same values and their spread is this "
        "run's noise"))
    b, t = recs.get("builtin", {}), recs.get("tuned", {})
    impl = next((r["impl"] for r in b.values()), "?")
    nn = dict(nn_shapes())
    for th in (1, 2):
        names = [n for n in b if b[n]["threads"] == th]
        sq = sorted((n for n in names if b[n]["shape"].startswith("sq")), key=lambda n: int(b[n]["shape"][2:]))
        order = sq + ["%s/%s/t%d/%s" % ("gemm", impl, th, s) for s, _ in nn_shapes()]
        rows, rs = [], {"sq": [], "nn": []}
        for n in order:
            if n not in b:
                continue
            gb, gt = b[n].get("GFLOPS"), t.get(n, {}).get("GFLOPS")
            r = gt / gb if gb and gt else None
            shape = b[n]["shape"]
            if r:
                rs["sq" if shape.startswith("sq") else "nn"].append(r)
            rows.append(["%s³" % shape[2:] if shape.startswith("sq") else nn.get(shape, shape),
                         fmt(gb), fmt(gt), fmt_ratio(r)])
        if not rows:
            continue
        for k, label in (("sq", "squares, geomean"), ("nn", "neural-net shapes, geomean")):
            if rs[k]:
                rows.append(["**%s** (%d)" % (label, len(rs[k])), "", "", "**%s**" % fmt_ratio(geomean(rs[k]))])
        out.append("**%s, %d thread%s**\n" % (impl, th, "s" if th > 1 else ""))
        out.append(table(["shape", "built-in", "tuned", "tuned ÷ built-in"], rows))
    return "\n".join(out)
