/*
 * naive_trainer.h - the baseline: a dense ReLU net with a softmax
 * cross-entropy output trained by minibatch SGD in plain loops, the way the
 * from-scratch notebooks write it (one dot product per neuron, no blocking,
 * no SIMD beyond what the compiler finds). Same net, same data, same
 * optimiser as the Myelin training benchmark.
 */
#ifndef MB_NAIVE_TRAINER_H
#define MB_NAIVE_TRAINER_H

#include <stddef.h>
#include <stdint.h>

typedef struct mb_naive_net mb_naive_net;

/* widths[0] inputs, widths[n_layers] outputs; Glorot-uniform weights, zero biases. */
mb_naive_net *mb_naive_create(const int *widths, int n_layers, int batch, uint64_t seed);
void mb_naive_free(mb_naive_net *net);
/* One epoch over rows samples (bytes scaled by 1/255), shuffled; returns the mean loss. */
double mb_naive_train_epoch(mb_naive_net *net, const uint8_t *x, const int32_t *labels, size_t rows,
                            float lr, uint64_t epoch_seed);
/* Fraction of rows whose argmax output equals the label. */
double mb_naive_accuracy(mb_naive_net *net, const uint8_t *x, const int32_t *labels, size_t rows);

#endif
