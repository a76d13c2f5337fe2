"""The report's section "Issue 20 targets": each speed target of the per-CPU
tuning issue, computed from this run's own tables, with whether the machine
at hand meets it. The issue asks for the targets to hold on every CPU the
library meets, so a run on another machine answers them for that machine.

Called by report.py with its run object and helpers."""

NN_LAYERS = [(784, 128), (128, 64), (64, 10)]
BATCHES = [32, 128, 256]
# Identical records measured twice in one run (the tuner kept every value)
# spread by up to about 3 % in geomean here: a tuned record counts as no
# slower than the built-in one above this.
TUNED_FLOOR = 0.97
SOFTMAX_CALLS = [("softmax_fwd", "myelin_activate"), ("softmax_bwd", "myelin_activate_backward"),
                 ("softmax_ce_loss", "myelin_loss_eval")]


def peak_floor(info):
    """The issue's floor for 2048³ on one thread, by CPU kind (None: no target for it)."""
    text = info.get("myelin_info", "")
    if "AuthenticAMD" in text and str(info.get("cpu_family")) == "26":
        return 0.87, "Zen 5"
    if "GenuineIntel" in text and "avx512" in info.get("myelin_isa_default", ""):
        return 0.80, "Intel Xeon with AVX-512"
    return None, None


def section(run, fmt, fmt_ratio, geomean, table, tuning_summary, tuner_changed):
    my = run.myelin
    if not my:
        return ""
    rows = []

    def row(target, measured, met):
        rows.append([target, measured, "–" if met is None else ("yes" if met else "**no**")])

    def gf(impl, t, shape):
        return run.get("gemm", impl, t, shape, "GFLOPS")

    nn = ["%s_b%d_%dx%d" % (op, b, i, o) for b in BATCHES for i, o in NN_LAYERS for op in ("fwd", "dW", "dX")]
    rs = [(s, gf(my, 1, s) / gf("onednn", 1, s)) for s in nn if gf(my, 1, s) and gf("onednn", 1, s)]
    if rs:
        g = geomean([r for _, r in rs])
        row("1 thread, neural-net shapes: geomean ≥ 1.05x oneDNN", "%s over %d shapes" % (fmt_ratio(g), len(rs)),
            g >= 1.05)
        low = sorted((r, s) for s, r in rs if r < 0.95)
        worst = min(rs, key=lambda x: x[1])
        row("1 thread, every neural-net shape ≥ 0.95x oneDNN",
            "%d of %d below: %s" % (len(low), len(rs), ", ".join("%s %s" % (s, fmt_ratio(r)) for r, s in low))
            if low else "none below; lowest %s %s" % (worst[0], fmt_ratio(worst[1])), not low)
    for b in BATCHES:
        s = "fwd_b%d_64x10" % b
        m, x = gf(my, 1, s), gf("libxsmm", 1, s)
        if m and x:
            row("1 thread, n = 10 forward b%d ≥ libxsmm" % b, "%s vs %s GFLOP/s (%s)" % (fmt(m), fmt(x),
                                                                                     fmt_ratio(m / x)), m >= x)
    for t in (1, 2):
        for n in (1024, 2048):
            s = "sq%d" % n
            m, d = gf(my, t, s), gf("onednn", t, s)
            if m and d:
                row("%d thread%s, %d³ ≥ 1.0x oneDNN" % (t, "s" if t > 1 else "", n),
                    "%s vs %s GFLOP/s (%s)" % (fmt(m), fmt(d), fmt_ratio(m / d)), m >= d)
    floor, kind = peak_floor(run.info)
    m, pk = gf(my, 1, "sq2048"), run.peak(1)
    if m and pk:
        row("1 thread, 2048³ ≥ %s of the measured FMA peak" % ("%.0f %% (%s)" % (100 * floor, kind) if floor else
                                                                "80 % (Intel) / 87 % (Zen 5)"),
            "%.0f %% (%s of %s GFLOP/s)" % (100 * m / pk, fmt(m), fmt(pk)), m / pk >= floor if floor else None)
    for t, n, g in tuning_summary:
        # When the tuner kept every value the two columns ran the same record:
        # their ratio is the run's noise and cannot show one slower.
        row("%d thread%s, tuned record not slower than the built-in one (geomean ≥ %.2fx)" % (
            t, "s" if t > 1 else "", TUNED_FLOOR), "%s over %d shapes%s" % (
            fmt_ratio(g), n, "" if tuner_changed else " (the tuner changed nothing: the same record twice, so "
                                                      "this is noise)"), g >= TUNED_FLOOR or not tuner_changed)
    paths = sorted({r["impl"] for r in run.recs.values() if r["family"] == "act" and r["impl"].startswith("myelin-")})
    for what, call in SOFTMAX_CALLS:
        naive = run.get("act", "naive", 1, what, "GBps")
        got = [(p[7:], run.get("act", p, 1, what, "GBps")) for p in paths]
        got = [(p, v / naive) for p, v in got if v and naive]
        if got:
            row("`%s` on 10 classes ≥ 2x the naive loop, every path" % call,
                ", ".join("%s %s" % (p, fmt_ratio(r)) for p, r in got), min(r for _, r in got) >= 2.0)
    if not rows:
        return ""
    met = sum(1 for r in rows if r[2] == "yes")
    judged = sum(1 for r in rows if r[2] != "–")
    return ("## Issue 20 targets on this machine\n\nThe per-CPU tuning issue's speed targets, from this run's tables "
            "(medians of its rounds; one run on a shared machine moves single shapes by a few per cent): "
            "%d of %d met.\n\n" % (met, judged) + table(["target", "measured", "met"], rows))
