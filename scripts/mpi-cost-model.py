#!/usr/bin/env python3
"""The README's cost model of data-parallel training over MPI (issue 18).

Time of one step of B rows on N machines like this one (2-vCPU Zen 5 VMs,
one rank of 2 threads each), in seconds:

  T(N) = B/N * t_row                      compute of the rank's rows
       + B/(N*chunk) * 2 * 4G / W         each chunk's gradient written and added up (memory)
       + 12 G / W                         the optimiser step, repeated on every rank
       + 2 (N-1) alpha + 2 * 4G (N-1)/N / b    the exchange: reduce-scatter + all-gather
                                               (each rank's chunks one tree node)

and T(1) = B * t_row + 12 G / W for one machine with the engine (myelin
train: no chunks, no exchange). The best N is the fastest (each machine at least one chunk);
data-parallel pays at all when some N > 1 has T(N) < T(1).

  python3 scripts/mpi-cost-model.py            the tables
  python3 scripts/mpi-cost-model.py --check A_US BW_GBS N G_FLOATS   one exchange
"""
import sys

NETS = {
    # name: (parameters G, seconds per row on one 2-thread machine, source)
    "784-128-64-10": (109386, 0.098 / 60000, "README: 0.098 s a Fashion-MNIST epoch, b128, 2 threads"),
    "784-1024-1024-10": (1863690, 2.0 / 60000, "README: 1.86-2.12 s an epoch, b128, 2 threads"),
}
LINKS = {
    # name: (alpha seconds per message, b bytes per second)
    "10 Gbit/s (TCP)": (25e-6, 1.15e9),
    "100 Gbit/s (RDMA)": (3e-6, 11.0e9),
}
W = 20e9      # memory bandwidth of one machine, bytes/s (2 cores)
CHUNK = 32    # rows per chunk (the default)


def exchange(n, g, alpha, b):
    return 0.0 if n == 1 else 2 * (n - 1) * alpha + 2 * 4 * g * (n - 1) / n / b


def step(n, batch, g, t_row, alpha, b):
    if n == 1:
        return batch * t_row + 12 * g / W
    rows = batch / n
    return rows * t_row + rows / CHUNK * 2 * 4 * g / W + 12 * g / W + exchange(n, g, alpha, b)


def best(batch, g, t_row, alpha, b):
    """The fastest N (1 .. batch/CHUNK: every machine at least a chunk) and its speed-up over one machine."""
    n = min(range(1, max(1, batch // CHUNK) + 1), key=lambda k: step(k, batch, g, t_row, alpha, b))
    return n, step(1, batch, g, t_row, alpha, b) / step(n, batch, g, t_row, alpha, b)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        a, bw, n, g = float(sys.argv[2]) * 1e-6, float(sys.argv[3]) * 1e9, int(sys.argv[4]), float(sys.argv[5])
        print(f"exchange of {g:.0f} floats on {n} ranks, alpha {a*1e6:.1f} us, {bw/1e9:.2f} GB/s: "
              f"{exchange(n, g, a, bw)*1e3:.3f} ms")
        return
    for net, (g, t_row, src) in NETS.items():
        print(f"\n{net}: G = {g} floats ({4*g/1e6:.2f} MB), {t_row*1e6:.2f} us a row ({src})")
        for link, (alpha, b) in LINKS.items():
            print(f"  {link}: alpha {alpha*1e6:.0f} us, {b/1e9:.2f} GB/s")
            min_b = next((bb for bb in range(CHUNK, 1 << 20, CHUNK) if best(bb, g, t_row, alpha, b)[0] > 1), None)
            print(f"    several machines beat one from a batch of {min_b}")
            for batch in (128, 512, 2048, 8192):
                n, s = best(batch, g, t_row, alpha, b)
                t1 = step(1, batch, g, t_row, alpha, b)
                print(f"    batch {batch:5d}: one machine {t1*1e3:8.3f} ms a step; best N = {n:3d} "
                      f"({step(n, batch, g, t_row, alpha, b)*1e3:7.3f} ms, {s:4.2f}x); exchange at N=2 "
                      f"{exchange(2, g, alpha, b)*1e3:.3f} ms")


if __name__ == "__main__":
    main()
