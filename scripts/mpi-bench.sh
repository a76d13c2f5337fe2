#!/usr/bin/env bash
# The figures of the README's MPI section (issue 18): make mpi first.
#   scripts/mpi-bench.sh epochs [ROUNDS]   epoch times, 784-128-64-10 b128 on Fashion-MNIST:
#       the engine on 1 process x 2 threads (build/myelin), 2 ranks x 1 thread and
#       1 rank x 2 threads (build/myelin-mpi), interleaved, median of epochs 2-3 of
#       every round; the load average before and after
#   scripts/mpi-bench.sh exchange [ROUNDS] per-step times (--profile) of each rank on
#       2 and 3 ranks, shared memory and TCP on loopback, 784-128-64-10 and
#       784-1024-1024-10; medians over the rounds
# NICE="nice -n -15" (as root) runs every measured process ahead of the machine's
# other work: on a shared 2-core VM under load, cooperating ranks (and a
# 2-thread process) otherwise wait a scheduler time slice at each exchange.
# Only this machine's loopback is used.
set -eu
cd "$(dirname "$0")/.."
what=${1:-epochs}
rounds=${2:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
N=${NICE:-}
SHM="$N mpirun --bind-to none --mca btl self,vader"
TCP="$N mpirun --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo"
NET="--data fashion-mnist --layers 784,128:relu,64:relu,10:softmax --lr 0.05 --batch 128"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
epochs_of() { grep -o '"epoch":[23],.*"seconds":[0-9.e+-]*' | grep -o '"seconds":[0-9.e+-]*' | cut -d: -f2; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$what" = epochs ]; then
    : >/tmp/mpi-bench-a; : >/tmp/mpi-bench-b; : >/tmp/mpi-bench-c
    for r in $(seq "$rounds"); do
        $N build/myelin train $NET --epochs 3 --threads 2 --json | epochs_of >>/tmp/mpi-bench-a
        $SHM -np 2 build/myelin-mpi train $NET --epochs 3 --threads 1 --json | epochs_of >>/tmp/mpi-bench-b
        $SHM -np 1 build/myelin-mpi train $NET --epochs 3 --threads 2 --json | epochs_of >>/tmp/mpi-bench-c
    done
    echo "epoch (s), median of $((2 * rounds)) epochs each:"
    echo "  engine, 1 process x 2 threads (myelin train --threads 2):    $(median </tmp/mpi-bench-a)"
    echo "  MPI, 2 ranks x 1 thread (mpirun -np 2 myelin-mpi, chunks 32): $(median </tmp/mpi-bench-b)"
    echo "  MPI, 1 rank x 2 threads (mpirun -np 1 myelin-mpi, chunks 32): $(median </tmp/mpi-bench-c)"
else
    BIG="--data fashion-mnist --layers 784,1024:relu,1024:relu,10:softmax --lr 0.01 --batch 128 --limit 7680 --test-limit 10"
    for net in small big; do
        for tr in shm tcp; do
            for np in 1 2 3; do
                [ "$tr" = tcp ] && [ "$np" = 1 ] && continue
                M=$SHM; [ "$tr" = tcp ] && M=$TCP
                A=$NET; [ "$net" = big ] && A=$BIG
                : >/tmp/mpi-bench-x
                for r in $(seq "$rounds"); do
                    $M --oversubscribe -np "$np" build/myelin-mpi train $A --epochs 2 --threads 1 --quiet --profile |
                        grep '^rank' >>/tmp/mpi-bench-x
                done
                # rank K threads compute exchange reduce update other step chunks MB
                for k in $(seq 0 $((np - 1))); do
                    c=$(awk -v k=$k '$2 == k { print $4 }' /tmp/mpi-bench-x | median)
                    x=$(awk -v k=$k '$2 == k { print $5 }' /tmp/mpi-bench-x | median)
                    s=$(awk -v k=$k '$2 == k { print $9 }' /tmp/mpi-bench-x | median)
                    mb=$(awk -v k=$k '$2 == k { print $11 }' /tmp/mpi-bench-x | median)
                    echo "$net $tr np=$np rank $k: compute $c ms, exchange $x ms, step $s ms, sent $mb MB a step"
                done
            done
        done
    done
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
