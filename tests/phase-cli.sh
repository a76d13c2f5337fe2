#!/usr/bin/env bash
# End to end through the `myelin` tool: training to the expected accuracy,
# save/load/eval agreement, predict, history and plot, Ctrl-C, and every
# bad input giving a one-line message, a non-zero exit and an intact model.
# Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
M=${MYELIN:-build/myelin}
T=$(mktemp -d "${TMPDIR:-/tmp}/myelin-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0; fail=0; skip=0
ok()   { echo "ok   $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fail=$((fail + 1)); }
skip() { echo "skip $1"; skip=$((skip + 1)); }
FASHION=/usr/share/datasets/fashion-mnist
have_fashion=0; [ -r "$FASHION/t10k-images-idx3-ubyte.gz" ] && have_fashion=1

if [ ! -x "$M" ]; then
    echo "FAIL $M not built"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

# json_field FILE KEY: the value of "KEY" in the last line of FILE having it.
json_field() { grep -o "\"$2\":[^,}]*" "$1" | tail -n 1 | cut -d: -f2; }

# --- training to accuracy 1.0 on the tiny sets -----------------------------
"$M" train --data xor --layers 2,8:tanh,1:sigmoid --lr 0.5 --batch 4 --epochs 500 --json --save "$T/xor.myl" >"$T/xor.out" 2>&1
acc=$(json_field "$T/xor.out" test_accuracy)
[ "$acc" = 1 ] && ok "train xor: accuracy 1" || bad "train xor: accuracy $acc" "$(tail -n 2 "$T/xor.out")"
"$M" train --data table3 --layers 3,4:sigmoid,1:sigmoid --loss mse --lr 2 --batch 8 --epochs 3000 --json >"$T/t3.out" 2>&1
acc=$(json_field "$T/t3.out" test_accuracy)
[ "$acc" = 1 ] && ok "train table3: accuracy 1" || bad "train table3: accuracy $acc" "$(tail -n 2 "$T/t3.out")"
for p in fp32 bf16; do # products in BF16 (FP32 accumulation and weights): the same goal
    "$M" train --data xor --layers 2,8:tanh,1:sigmoid --lr 0.5 --batch 4 --epochs 500 --precision $p --json >"$T/xp.out" 2>&1
    acc=$(json_field "$T/xp.out" test_accuracy)
    [ "$acc" = 1 ] && ok "train xor --precision $p: accuracy 1" || bad "train xor --precision $p: accuracy $acc" "$(tail -n 2 "$T/xp.out")"
done

# --- save, eval, predict on xor ------------------------------------------
out=$("$M" eval --model "$T/xor.myl" --data xor --json 2>&1)
[ "$(echo "$out" | grep -o '"accuracy":[^,]*' | cut -d: -f2)" = 1 ] && ok "eval xor model: accuracy 1" || bad "eval xor" "$out"
printf '0,0\n0,1\n1,0\n1,1\n0.9,0.1\n' >"$T/new.csv"
if "$M" predict --model "$T/xor.myl" --data "csv:$T/new.csv" --out "$T/pred.csv" 2>"$T/err" &&
   [ "$(wc -l <"$T/pred.csv")" -eq 5 ] && [ "$(head -n 4 "$T/pred.csv" | tr '\n' ' ')" = "0 1 1 0 " ]; then
    ok "predict: one line per input (0 1 1 0 1)"
else
    bad "predict" "$(cat "$T/err" "$T/pred.csv" 2>/dev/null | head -n 6)"
fi
printf '0,0,0\n1,1,0\n' >"$T/labelled.csv"   # a file shaped like training data: label skipped
"$M" predict --model "$T/xor.myl" --data "csv:$T/labelled.csv" --proba >"$T/pred2" 2>&1 &&
    [ "$(wc -l <"$T/pred2")" -eq 2 ] && grep -qE '^[01],[0-9.e-]+$' "$T/pred2" && ok "predict --proba skips a label column" ||
    bad "predict --proba" "$(head -n 3 "$T/pred2")"

# --- Fashion-MNIST: a short run, then eval of the saved model --------------
if [ "$have_fashion" = 1 ]; then
    start=$(date +%s.%N)
    "$M" train --data fashion-mnist --layers 784,128:relu,64:relu,10:softmax --lr 0.1 --batch 32 --epochs 1 \
        --limit 6000 --val 0.1 --seed 3 --json --save "$T/f.myl" --history "$T/h.csv" >"$T/f.out" 2>"$T/f.err"
    rc=$?
    acc=$(json_field "$T/f.out" test_accuracy)
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    if [ $rc -eq 0 ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.70) }'; then
        ok "fashion-mnist 5400 images, 1 epoch: test accuracy $acc (> 0.70, ${secs%???????} s)"
    else
        bad "fashion-mnist short run: rc $rc accuracy $acc" "$(tail -n 3 "$T/f.out" "$T/f.err")"
    fi
    eacc=$("$M" eval --model "$T/f.myl" --data fashion-mnist --json 2>&1 | grep -o '"accuracy":[^,]*' | cut -d: -f2)
    [ -n "$acc" ] && [ "$eacc" = "$acc" ] && ok "save, load, eval: accuracy $eacc equals the end of training" ||
        bad "eval after load: $eacc, training said $acc"
    [ "$(head -n 1 "$T/h.csv")" = "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr" ] && [ "$(wc -l <"$T/h.csv")" -eq 2 ] &&
        ok "history CSV: header and one row per epoch" || bad "history CSV" "$(cat "$T/h.csv")"
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        /usr/bin/python3 scripts/plot_history.py "$T/h.csv" "$T/h.png" >/dev/null 2>&1 && [ -s "$T/h.png" ] &&
            ok "plot_history.py writes a PNG" || bad "plot_history.py"
    else
        skip "plot_history.py: python3-matplotlib not installed"
    fi
    # Binary targets from classes and standardised inputs (the statistics
    # travel in the model file: eval must agree with training).
    "$M" train --data fashion-mnist --binary odd --standardize --layers 784,32:relu,1:sigmoid --lr 0.02 \
        --limit 3000 --test-limit 2000 --epochs 1 --json --save "$T/b.myl" >"$T/b.out" 2>&1
    acc=$(json_field "$T/b.out" test_accuracy)
    eacc=$("$M" eval --model "$T/b.myl" --data fashion-mnist --binary odd --limit 2000 --json 2>&1 | grep -o '"accuracy":[^,]*' | cut -d: -f2)
    if awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }' && [ "$eacc" = "$acc" ]; then
        ok "--binary odd --standardize: test accuracy $acc, eval after load $eacc"
    else
        bad "--binary odd --standardize: training $acc, eval $eacc" "$(tail -n 2 "$T/b.out")"
    fi
    n=$("$M" predict --model "$T/f.myl" --data fashion-mnist --limit 777 | wc -l)
    [ "$n" -eq 777 ] && ok "predict fashion-mnist: 777 lines" || bad "predict fashion-mnist: $n lines"
    # Ctrl-C stops at the end of a minibatch, saves, exits 130.
    # (The handler is installed when "training:" is printed; until then a
    # background job of a script ignores SIGINT.)
    "$M" train --data fashion-mnist --epochs 1000 --save "$T/int.myl" >"$T/int.out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do sleep 0.1; grep -q "^training:" "$T/int.out" 2>/dev/null && break; done
    sleep 0.5
    kill -INT "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; echo "(training did not stop within 10 s)" >>"$T/int.out"; }
    wait "$pid"; rc=$?
    if [ $rc -eq 130 ] && grep -q "interrupted" "$T/int.out" && "$M" eval --model "$T/int.myl" --data fashion-mnist --limit 100 >/dev/null 2>&1; then
        ok "Ctrl-C: stops, saves a loadable model, exits 130"
    else
        bad "Ctrl-C: exit $rc" "$(cat "$T/int.out")"
    fi
else
    skip "fashion-mnist runs: dataset-fashion-mnist not installed"
fi

# --- bad inputs: one-line message, non-zero exit, model file intact --------
cp "$T/xor.myl" "$T/keep.myl"
sum_before=$(md5sum <"$T/keep.myl")
# expect_fail NAME PATTERN CMD...: fails, one stderr line matching PATTERN.
expect_fail() {
    local name=$1 pat=$2; shift 2
    "$@" >"$T/o" 2>"$T/e"
    local rc=$? lines
    lines=$(wc -l <"$T/e")
    if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -qE -e "$pat" "$T/e" && [ "$(md5sum <"$T/keep.myl")" = "$sum_before" ]; then
        ok "$name: exit $rc, $(cut -c1-110 "$T/e")"
    else
        bad "$name: exit $rc, $lines stderr lines, wanted /$pat/" "$(head -n 3 "$T/e")"
    fi
}
mkdir -p "$T/idx"
if [ "$have_fashion" = 1 ]; then
    gzip -dc "$FASHION/t10k-images-idx3-ubyte.gz" | head -c 100000 >"$T/idx/train-images-idx3-ubyte"
    gzip -dc "$FASHION/t10k-labels-idx1-ubyte.gz" >"$T/idx/train-labels-idx1-ubyte"
    expect_fail "truncated IDX" "train-images-idx3-ubyte: truncated" \
        "$M" train --data "mnist:$T/idx" --save "$T/keep.myl"
    gzip -dc "$FASHION/t10k-images-idx3-ubyte.gz" >"$T/idx/train-images-idx3-ubyte"
    gzip -dc "$FASHION/train-labels-idx1-ubyte.gz" >"$T/idx/train-labels-idx1-ubyte"
    expect_fail "mismatched image and label counts" "60000 labels for 10000 images" \
        "$M" train --data "mnist:$T/idx" --save "$T/keep.myl"
    rm -f "$T/idx/train-images-idx3-ubyte"
    cp "$FASHION/t10k-images-idx3-ubyte.gz" "$T/idx/train-images-idx3-ubyte.gz"
    printf 'garbage' | dd of="$T/idx/train-images-idx3-ubyte.gz" bs=1 seek=100000 conv=notrunc status=none
    expect_fail "corrupted gzip IDX" "gzip|IDX" "$M" train --data "mnist:$T/idx" --save "$T/keep.myl"
    expect_fail "model input width differs from the data" "takes 2 inputs.* 784 columns" \
        "$M" eval --model "$T/keep.myl" --data fashion-mnist
else
    skip "IDX bad-input cases: dataset-fashion-mnist not installed"
fi
expect_fail "missing IDX folder" "not found" "$M" train --data "mnist:$T/nowhere" --save "$T/keep.myl"
printf 'a,b,y\n1,2,0\n3,4\n' >"$T/ragged.csv"
expect_fail "ragged CSV row" "ragged.csv:3: ragged row" "$M" train --data "csv:$T/ragged.csv" --save "$T/keep.myl"
printf 'a,b,y\n1,2,0\n3,zz,1\n' >"$T/value.csv"
expect_fail "bad CSV value" "value.csv:3:2: bad value 'zz'" "$M" train --data "csv:$T/value.csv" --save "$T/keep.myl"
printf 'a,b,y\n1,2,0\n3,4,1\n' | gzip -c | head -c 30 >"$T/trunc.csv.gz"
expect_fail "truncated gzip CSV" "trunc.csv.gz: damaged gzip" "$M" train --data "csv:$T/trunc.csv.gz" --save "$T/keep.myl"
expect_fail "non-existent CSV" "cannot open" "$M" train --data "csv:$T/none.csv" --save "$T/keep.myl"
head -c 100 "$T/keep.myl" >"$T/trunc.myl"
expect_fail "truncated model" "truncated" "$M" eval --model "$T/trunc.myl" --data xor
cp "$T/keep.myl" "$T/flip.myl"
printf '\x55' | dd of="$T/flip.myl" bs=1 seek=120 conv=notrunc status=none
expect_fail "corrupted model" "CRC mismatch" "$M" eval --model "$T/flip.myl" --data xor
expect_fail "foreign model file" "not a Myelin model" "$M" predict --model "$T/new.csv" --data xor
expect_fail "non-existent model" "cannot open" "$M" eval --model "$T/none.myl" --data xor
expect_fail "unwritable --save folder" "cannot create a temporary file" \
    "$M" train --data xor --epochs 1 --quiet --save "$T/no/such/dir/m.myl"
mkdir -p "$T/adir"
expect_fail "--save onto a directory" "cannot replace" "$M" train --data xor --epochs 1 --quiet --save "$T/adir"
expect_fail "layers wider than the data" "takes 3 inputs, the training data has 2" \
    "$M" train --data xor --layers 3,2:softmax --save "$T/keep.myl"
printf '1,2,0\n3,4,1\n5,6,2\n' >"$T/three.csv"
expect_fail "3 classes on 1 output" "1 output, the training data 3 classes" \
    "$M" train --data "csv:$T/three.csv" --layers 2,1:sigmoid --save "$T/keep.myl"
expect_fail "unknown option" "unknown option --lrate" "$M" train --data xor --lrate 0.1
expect_fail "bad number" "--lr: \"fast\" is not a finite number" "$M" train --data xor --lr fast
expect_fail "bad choice" "--opt: unknown value \"adamw\"" "$M" train --data xor --opt adamw
expect_fail "bad precision" "--precision: unknown value \"fp16\" \(one of: fp32, bf16\)" \
    "$M" train --data xor --precision fp16
expect_fail "unknown data set" "unknown set \"cifar\"" "$M" train --data cifar
expect_fail "bad layer description" "--layers" "$M" train --data xor --layers 2,3:relux,1:sigmoid
expect_fail "unknown command" "unknown command" "$M" fit
[ "$(ls "$T" | grep -c '\.tmp\.')" -eq 0 ] && ok "no temporary model files left behind" || bad "temporary files left" "$(ls "$T")"

# --- help ------------------------------------------------------------------
for c in train eval predict info; do
    if "$M" $c --help >"$T/help" 2>&1 && grep -q -- "--threads" "$T/help"; then :; else bad "myelin $c --help"; continue; fi
done
grep -q -- "--lr F .*(default 0.01)" <("$M" train --help) && ok "--help lists the options with defaults" ||
    bad "train --help lacks defaults" "$("$M" train --help | grep -- --lr)"
"$M" info | grep -q "ISA paths" && ok "myelin info" || bad "myelin info"

# --- tuning: measured file used, another CPU's ignored, a malformed one rejected
"$M" tune --show | grep -q "^myelin-tuning 1" && ok "myelin tune --show" || bad "myelin tune --show" "$("$M" tune --show 2>&1 | head -n 3)"
if "$M" tune --seconds 3 --output "$T/tuning" >"$T/tune.out" 2>"$T/tune.err" && grep -q "^cpu " "$T/tuning"; then
    MYELIN_TUNING="$T/tuning" "$M" info | grep -q "Tuning record: 'tuned', file $T/tuning" && ok "tuning file measured here is used" ||
        bad "tuning file not used" "$(MYELIN_TUNING="$T/tuning" "$M" info | grep -A3 Tuning)"
    sed 's/^cpu .*/cpu some other CPU/' "$T/tuning" >"$T/other"
    MYELIN_TUNING="$T/other" "$M" info | grep -q "warning: .*ignored: measured on another CPU" && ok "another CPU's tuning file ignored" ||
        bad "another CPU's tuning file" "$(MYELIN_TUNING="$T/other" "$M" info | grep -A3 Tuning)"
else
    bad "myelin tune --seconds 3" "$(tail -n 3 "$T/tune.err")"
fi
printf 'myelin-tuning 1\ncpu x\navx512.mc_l2 lots\n' >"$T/bad"
out=$(MYELIN_TUNING="$T/bad" "$M" info 2>&1)
echo "$out" | grep -q "rejected: tuning file: line 3: avx512.mc_l2" && echo "$out" | grep -q "Tuning record: '[a-z0-9-]*', built-in" &&
    ok "malformed tuning file rejected with its line" || bad "malformed tuning file" "$(echo "$out" | grep -i tuning)"
expect_fail "tune --seconds out of range" "--seconds 0 is not in 1..3600" "$M" tune --seconds 0

# --- manual page: renders without warnings, every option of every command --
MAN1=$(dirname "$M")/myelin.1
if ! command -v groff >/dev/null; then
    skip "myelin.1: groff not installed"
elif [ ! -s "$MAN1" ]; then
    bad "myelin.1 not built next to $M"
else
    warn=$(groff -man -Tascii -ww -P-cbu "$MAN1" 2>&1 >"$T/man.txt")
    missing=""
    for c in info train eval predict; do
        for o in $("$M" $c --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
            grep -q -- "^ *$o\b" "$T/man.txt" || missing="$missing $c$o"
        done
    done
    [ -z "$warn" ] && [ -z "$missing" ] && grep -q "EXIT STATUS" "$T/man.txt" && ok "myelin.1: every option of every command, no warnings" ||
        bad "myelin.1" "warnings: $warn" "missing:$missing"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
