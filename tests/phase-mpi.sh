#!/usr/bin/env bash
# MPI training (issue 18), end to end with build/myelin-mpi and the C API
# (tests/mpi/api.c): the model file is
# byte-identical on 1, 2 and 3 ranks x 1 and 2 threads (SGD, momentum, Adam,
# dropout; other activations and losses; byte and float data; once over TCP
# on the loopback interface), and the faults: a bad data path on one rank,
# other options or data on one rank, an unsupported option, a killed rank
# and a stopped one make every rank exit with a message naming the rank and
# the cause, within seconds, and leave the model file as it was.
# Only this machine: shared memory (vader), or TCP on lo.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
    echo "skip mpi: mpicc or mpirun not installed (Debian: openmpi-bin libopenmpi-dev)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if ! make --no-print-directory -j2 mpi build/myelin >build/test-logs/mpi-build.log 2>&1; then
    echo "FAIL make mpi (build/test-logs/mpi-build.log)"; tail -n 20 build/test-logs/mpi-build.log
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
X=$PWD/build/myelin-mpi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# As root Open MPI wants these; --bind-to none: ranks of 2 threads share the
# 2 cores; --oversubscribe: 3 ranks on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
MPI="mpirun --bind-to none --oversubscribe --mca btl self,vader"

# Synthetic data: 3 classes of 12 features (seeded, the same bytes every run).
awk 'BEGIN { s = 12345; print "f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,label";
  for (i = 0; i < 360; i++) { line = ""; t = 0;
    for (j = 0; j < 12; j++) { s = (s * 1103515245 + 12345) % 2147483648; v = s / 2147483648 * 2 - 1;
      line = line sprintf("%.4f,", v); t += (j % 3 == 0 ? v : -0.5 * v) }
    print line (t > 0.4 ? 2 : t < -0.4 ? 0 : 1) } }' > "$T/d.csv"

COMMON="--data csv:$T/d.csv --layers 12,24:relu:dropout=0.1,16:tanh,3:softmax --dropout 0.2 --batch 40 --chunk 8 --epochs 3 --quiet"
run() {  # run NAME NP THREADS ARGS...: the model in $T/NAME.myl
    local name=$1 np=$2 th=$3; shift 3
    timeout 60 $MPI -np "$np" "$X" train "$@" --threads "$th" --save "$T/$name.myl" >"$T/$name.out" 2>&1
}
same() {  # same WHAT REF OTHER
    if [ -s "$T/$2.myl" ] && cmp -s "$T/$2.myl" "$T/$3.myl"; then ok "$1"; else
        bad "$1: $3.myl differs from $2.myl (or is missing)"; tail -n 5 "$T/$3.out"; fi
}

for opt in sgd momentum adam; do
    run "$opt-1-1" 1 1 $COMMON --opt "$opt" --lr 0.05 || bad "$opt on 1 rank x 1 thread: exit $?"
    for np in 1 2 3; do
        for th in 1 2; do
            [ "$np$th" = 11 ] && continue
            run "$opt-$np-$th" "$np" "$th" $COMMON --opt "$opt" --lr 0.05
            same "$opt with dropout: $np rank(s) x $th thread(s) = 1 x 1, byte for byte" "$opt-1-1" "$opt-$np-$th"
        done
    done
done

# Other activations and losses: leaky ReLU, sigmoid, linear output with MSE;
# one sigmoid output with binary cross-entropy (fused); chunks of 7 rows.
ACT="--data csv:$T/d.csv --layers 12,20:leaky_relu,10:sigmoid,3:linear --loss mse --batch 33 --chunk 7 --epochs 2 --quiet"
run act-1 1 1 $ACT --opt momentum --lr 0.02; run act-3 3 1 $ACT --opt momentum --lr 0.02
same "leaky_relu, sigmoid, linear + MSE, chunks of 7: 3 ranks = 1" act-1 act-3
BCE="--data csv:$T/d.csv --binary odd --layers 12,16:tanh,1:sigmoid --batch 64 --epochs 2 --quiet"
run bce-1 1 2 $BCE --opt adam --lr 0.01; run bce-2 2 1 $BCE --opt adam --lr 0.01
same "sigmoid + binary cross-entropy: 2 ranks = 1" bce-1 bce-2

# Bytes (a slice of Fashion-MNIST), and the network path: TCP on loopback.
if [ -d /usr/share/datasets/fashion-mnist ]; then
    FM="--data fashion-mnist --limit 1500 --test-limit 100 --layers 784,32:relu,10:softmax --input-dropout 0.1 --batch 100 --epochs 1 --quiet"
    run fm-1 1 2 $FM --opt adam --lr 0.005; run fm-3 3 1 $FM --opt adam --lr 0.005
    same "Fashion-MNIST bytes, Adam: 3 ranks = 1" fm-1 fm-3
else
    echo "skip Fashion-MNIST slice: dataset-fashion-mnist not installed"; skip=$((skip + 1))
fi
MPI_SAVED=$MPI
MPI="mpirun --bind-to none --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo"
run tcp-2 2 1 $COMMON --opt adam --lr 0.05
MPI=$MPI_SAVED
same "over TCP on loopback (btl self,tcp on lo): 2 ranks = 1" adam-1-1 tcp-2
if [ -s "$T/sgd-1-1.myl" ] && build/myelin eval --model "$T/sgd-1-1.myl" --data "csv:$T/d.csv" >"$T/eval.out" 2>&1; then
    ok "the saved model loads and evaluates with build/myelin eval"
else bad "build/myelin eval of the MPI model"; cat "$T/eval.out"; fi

# The C API (tests/mpi/api.c against build/libmyelin_mpi.so) on 1, 2 and 3 ranks.
for np in 1 2 3; do
    timeout 60 $MPI -np "$np" build/mpi-api-test >"$T/api-$np.out" 2>&1
    rc=$?
    while read -r line; do
        case "$line" in
            "ok   "*) ok "API, $np rank(s): ${line#ok   }" ;;
            FAIL*) bad "API, $np rank(s): ${line#FAIL }" ;;
        esac
    done <"$T/api-$np.out"
    [ "$rc" -eq 0 ] || bad "API, $np rank(s): exit $rc"
done
w1=$(grep '^weights' "$T/api-1.out"); w2=$(grep '^weights' "$T/api-2.out"); w3=$(grep '^weights' "$T/api-3.out")
[ -n "$w1" ] && [ "$w1" = "$w2" ] && [ "$w1" = "$w3" ] && ok "API: the same weights on 1, 2 and 3 ranks" ||
    bad "API: weights differ across rank counts ($w1 / $w2 / $w3)"

# ---- faults. Each run under a deadline; the model file must stay as it was.
echo "an older model" > "$T/keep.myl"
fault() {  # fault WHAT SECONDS PATTERN COMMAND...: non-zero exit, PATTERN in the output, in time
    local what=$1 limit=$2 pat=$3; shift 3
    local t0=$SECONDS
    timeout 60 "$@" >"$T/fault.out" 2>&1
    local rc=$? dt=$((SECONDS - t0))
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qE "$pat" "$T/fault.out" && [ "$dt" -le "$limit" ] &&
        [ "$(cat "$T/keep.myl")" = "an older model" ]; then
        ok "$what (exit $rc after $dt s)"
    else
        bad "$what: exit $rc after $dt s (limit $limit s), or no /$pat/ in the output, or the model file changed"
        tail -n 12 "$T/fault.out"
    fi
}
F="train --data csv:$T/d.csv --layers 12,8:relu,3:softmax --batch 40 --epochs 2 --threads 1 --quiet --save $T/keep.myl"
fault "a bad data path on rank 1 of 3: every rank names rank 1 and the cause" 30 \
    "rank [02]/3\]: rank 1: could not load the training data" \
    $MPI -np 1 "$X" $F : -np 1 "$X" $F --data csv:$T/missing.csv : -np 1 "$X" $F
n=$(grep -c "rank 1: could not load" "$T/fault.out")
[ "$n" -eq 3 ] && ok "... all 3 ranks print it" || bad "... $n of 3 ranks printed the bad data path"
fault "other options on rank 1 (--lr): found before training" 30 "rank 1 was given other training options than rank 0" \
    $MPI -np 1 "$X" $F --lr 0.1 : -np 1 "$X" $F --lr 0.2
fault "other data size on rank 1 (--limit): found before training" 30 "rank 1 has 300 training rows x 12 columns, rank 0 360" \
    $MPI -np 1 "$X" $F : -np 1 "$X" $F --limit 300
fault "DropConnect: MYELIN_EUNSUPPORTED, not ignored" 30 "DropConnect \(layer 0\) is not supported in MPI training" \
    $MPI -np 2 "$X" $F --dropconnect 0.1
fault "a validation split: unsupported, not ignored" 30 "validation split is not supported in MPI training" \
    $MPI -np 2 "$X" $F --val 0.1

# A rank killed, and a rank stopped, during training (long runs: ended by the test).
cat >"$T/wrap.sh" <<EOF
#!/bin/sh
echo \$\$ > $T/pid.\$OMPI_COMM_WORLD_RANK
exec "$X" "\$@"
EOF
chmod +x "$T/wrap.sh"
LONG="train --data csv:$T/d.csv --layers 12,8:relu,3:softmax --batch 40 --epochs 100000 --threads 1 --save $T/keep.myl"
midway() {  # midway SIGNAL TIMEOUT WHAT PATTERN
    rm -f "$T"/pid.* "$T/mid.out"
    timeout 60 $MPI -np 3 "$T/wrap.sh" $LONG --timeout "$2" >"$T/mid.out" 2>&1 &
    local job=$! i
    for i in $(seq 150); do grep -q "^epoch" "$T/mid.out" 2>/dev/null && [ -s "$T/pid.1" ] && break; sleep 0.2; done
    local t0=$SECONDS
    kill "-$1" "$(cat "$T/pid.1")"
    wait "$job"
    local rc=$? dt=$((SECONDS - t0))
    kill -KILL "$(cat "$T/pid.1")" 2>/dev/null # a stopped rank that outlived the job
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$dt" -le 15 ] && grep -qE "$4" "$T/mid.out" &&
        [ "$(cat "$T/keep.myl")" = "an older model" ]; then
        ok "$3 (exit $rc, $dt s after the signal)"
    else
        bad "$3: exit $rc, $dt s after the signal, or no /$4/, or the model file changed"; tail -n 12 "$T/mid.out"
    fi
}
midway KILL 60 "rank 1 killed (SIGKILL) while training: every rank ends, mpirun names rank 1" \
    "process rank 1 .*exited on signal 9"
midway STOP 2 "rank 1 stopped (SIGSTOP) while training, --timeout 2: the others give up and end the job" \
    "no answer from the other ranks within 2 s"

echo "${pass} passed, ${fail} failed, ${skip} skipped"
[ "$fail" -eq 0 ]
