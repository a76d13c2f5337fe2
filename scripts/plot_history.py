#!/usr/bin/python3
"""Plot a `myelin train --history FILE` CSV as a PNG of loss and accuracy curves.

usage: scripts/plot_history.py HISTORY.csv [OUT.png]   (default: HISTORY.png)
Needs python3-matplotlib (Debian). Run it with /usr/bin/python3.
"""
import csv
import math
import sys


def column(rows, name):
    out = []
    for r in rows:
        v = r.get(name, "")
        out.append(float(v) if v not in ("", None) else math.nan)
    return out


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    src = argv[1]
    dst = argv[2] if len(argv) > 2 else (src[:-4] if src.endswith(".csv") else src) + ".png"
    try:
        with open(src, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        print(f"plot_history: {src}: {e.strerror}", file=sys.stderr)
        return 1
    need = {"epoch", "loss", "accuracy"}
    if not rows or not need.issubset(rows[0].keys()):
        print(f"plot_history: {src}: not a myelin history (columns {', '.join(sorted(need))} ...)", file=sys.stderr)
        return 1
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epoch = column(rows, "epoch")
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((ax_l, "loss", "loss"), (ax_a, "accuracy", "accuracy")):
        ax.plot(epoch, column(rows, key), marker="o", label="training")
        val = column(rows, "val_" + key)
        if any(not math.isnan(v) for v in val):
            ax.plot(epoch, val, marker="s", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"myelin train: {src}")
    fig.tight_layout()
    fig.savefig(dst, dpi=100)
    print(f"wrote {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
