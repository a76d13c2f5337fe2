#!/usr/bin/env python3
"""Interleaved epoch timings of two myelin binaries (docs/performance.md).

  scripts/compare_train.py OLD NEW [--rounds 6] [--threads 1,2] [--epochs 3]
      [--nets '784,128:relu,64:relu,10:softmax;784,512:relu,256:relu,10:softmax']

Runs `myelin train --data fashion-mnist ... --json` alternately with each
binary (old first on even rounds, new first on odd ones) and prints, per net
and thread count, the medians of the epoch wall times (the first epoch of a
run left out) and of each run's CPU time (user + system), with the schedule
the new binary reports. Note the machine's load beside the figures."""
import argparse, json, resource, statistics, subprocess


def run(binary, layers, threads, epochs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([binary, 'train', '--data', 'fashion-mnist', '--layers', layers, '--lr', '0.05',
                          '--batch', '128', '--epochs', str(epochs), '--threads', str(threads), '--seed', '1',
                          '--json'], capture_output=True, text=True, check=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    eps = [json.loads(l) for l in out.splitlines() if l.startswith('{"epoch"')]
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return [e['seconds'] for e in eps[1:]], cpu, eps[0].get('schedule', '-')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('old')
    ap.add_argument('new')
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--nets', default='784,128:relu,64:relu,10:softmax;784,512:relu,256:relu,10:softmax')
    a = ap.parse_args()
    for layers in a.nets.split(';'):
        for t in (int(x) for x in a.threads.split(',')):
            wall = {a.old: [], a.new: []}
            cpu = {a.old: [], a.new: []}
            schedule = '-'
            for r in range(a.rounds):
                for b in (a.old, a.new) if r % 2 == 0 else (a.new, a.old):
                    w, c, s = run(b, layers, t, a.epochs)
                    wall[b] += w
                    cpu[b].append(c)
                    if b == a.new:
                        schedule = s
            wo, wn = statistics.median(wall[a.old]), statistics.median(wall[a.new])
            co, cn = statistics.median(cpu[a.old]), statistics.median(cpu[a.new])
            print(f'{layers} threads {t} ({schedule}): epoch old {wo:.3f} s new {wn:.3f} s ({wn / wo:.3f}); '
                  f'CPU per run old {co:.2f} s new {cn:.2f} s ({cn / co:.3f}); {a.rounds} runs each', flush=True)


if __name__ == '__main__':
    main()
