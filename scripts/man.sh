#!/usr/bin/env bash
# man.sh MYELIN > myelin.1: the manual page of the `myelin` tool, written from
# its own --help texts (so every option and default is the tool's), plus the
# sections a help text has no room for. Called by `make` (build/myelin.1).
set -euo pipefail
M=${1:?usage: man.sh path/to/myelin}
version=$("$M" --version | awk '{print $2}')

# roff-safe text: backslashes, hyphens, and a leading dot or quote.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# The options of one command as tagged paragraphs.
options() {
    "$M" "$1" --help | awk '/^Options:/ { on = 1; next } on && /^  --/' |
        while IFS= read -r line; do
            # "  --name META   help" (META optional, one word)
            [[ $line =~ ^\ \ (--[^\ ]+)(\ ([^\ ]+))?\ +(.*)$ ]] || { echo "man.sh: cannot read: $line" >&2; exit 1; }
            name=${BASH_REMATCH[1]} meta=${BASH_REMATCH[3]} help=${BASH_REMATCH[4]}
            echo ".TP"
            if [ -n "$meta" ]; then
                printf '\\fB%s\\fR \\fI%s\\fR\n' "$(printf '%s' "$name" | esc)" "$(printf '%s' "$meta" | esc)"
            else
                printf '\\fB%s\\fR\n' "$(printf '%s' "$name" | esc)"
            fi
            printf '%s\n' "$help" | esc
        done
}

usage_line() { "$M" "$1" --help | head -n 1 | sed 's/^usage: //' | esc; }

cat <<EOF
.TH MYELIN 1 "" "myelin $version" "User Commands"
.SH NAME
myelin \\- train, evaluate and run fully-connected neural networks on the CPU
.SH SYNOPSIS
.B myelin
.I COMMAND
.RI [ options ]
.br
.B myelin
.RB [ \\-\\-help | \\-\\-version ]
.SH DESCRIPTION
.B myelin
trains dense networks (any widths and depth; linear, ReLU, leaky ReLU, sigmoid, tanh and softmax
layers) by minibatch gradient descent on the SGEMM kernels of
.BR libmyelin ,
chosen at run time from the CPU's features (AVX\\-512, AVX2+FMA, NEON or portable C).
The same seed gives the same trained weights, byte for byte, on any number of threads.
Each command prints its options with
.BR "myelin COMMAND \\-\\-help" ;
this page lists the same texts.
EOF

"$M" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/' | while read -r cmd what; do
    printf '.SH COMMAND: %s\n' "$(echo "$cmd" | tr a-z A-Z)"
    printf '%s\n.PP\n.B Usage:\n' "$(printf '%s' "$what" | esc)."
    usage_line "$cmd"
    echo ".SS Options"
    options "$cmd"
done

cat <<'EOF'
.SH DATA SETS
.TP
.B fashion\-mnist
Debian's dataset\-fashion\-mnist (60,000 training and 10,000 test images, 28 x 28 bytes, 10 classes).
.TP
.BI mnist: DIR
The four IDX files of an MNIST\-format set in DIR, plain or gzip\-compressed.
.TP
.BI csv: FILE
A CSV file, plain or gzip\-compressed; the header line is detected, the label column chosen by
.BR \-\-label .
.TP
.BR xor ", " table3
The notebooks' tiny sets: the four XOR points, and eight rows of three binary features.
.SH ENVIRONMENT
.TP
.B MYELIN_ISA
Force a kernel path: scalar, avx2, avx512 or neon. If this CPU or build lacks it, every command
fails with a message that lists the paths it has (never a silent fallback).
.TP
.B MYELIN_NUM_THREADS
Threads (default: one per physical core); \fB\-\-threads\fR overrides it.
.TP
.B MYELIN_PIN
1 pins the threads one per physical core (hwloc), as \fB\-\-pin\fR does.
.SH EXIT STATUS
0 on success; 1 when the work fails (a bad file, a non\-finite loss), with a one\-line message on
standard error; 2 for a bad command line; 130 when training was interrupted by Ctrl\-C (the model
is still saved when \fB\-\-save\fR was given).
.SH EXAMPLES
.nf
myelin train \-\-data fashion\-mnist \-\-layers 784,128:relu,64:relu,10:softmax \e
    \-\-lr 0.05 \-\-batch 128 \-\-epochs 10 \-\-save model.myl
myelin eval \-\-model model.myl \-\-data fashion\-mnist
myelin predict \-\-model model.myl \-\-data csv:new.csv \-\-out classes.txt
myelin info
.fi
.SH SEE ALSO
The README of the source tree (the C API, the model file format, the benchmarks), and
.I myelin.h
for every function of the library.
EOF
