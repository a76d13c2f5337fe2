/* naive_trainer.c - see naive_trainer.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "naive_trainer.h"

#define MAXL 8

struct mb_naive_net {
    int nl, batch, w[MAXL + 1];
    float *W[MAXL], *b[MAXL];       /* W[l] is w[l] x w[l+1], row-major */
    float *dW[MAXL], *db[MAXL];
    float *a[MAXL + 1];              /* activations, batch x w[l] (a[0] = input) */
    float *d[MAXL + 1];              /* deltas, batch x w[l] */
    size_t *perm;
    size_t perm_n;
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void mb_naive_free(mb_naive_net *n)
{
    if (!n) return;
    for (int l = 0; l < n->nl; l++) { free(n->W[l]); free(n->b[l]); free(n->dW[l]); free(n->db[l]); }
    for (int l = 0; l <= n->nl; l++) { free(n->a[l]); free(n->d[l]); }
    free(n->perm);
    free(n);
}

mb_naive_net *mb_naive_create(const int *widths, int n_layers, int batch, uint64_t seed)
{
    if (n_layers < 1 || n_layers > MAXL || batch < 1 || batch > 4096) return NULL;
    mb_naive_net *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->nl = n_layers;
    n->batch = batch;
    int ok = 1;
    for (int l = 0; l <= n_layers; l++) {
        n->w[l] = widths[l];
        ok &= (n->a[l] = calloc((size_t)batch * widths[l], sizeof(float))) != NULL;
        ok &= (n->d[l] = calloc((size_t)batch * widths[l], sizeof(float))) != NULL;
    }
    uint64_t s = seed;
    for (int l = 0; ok && l < n_layers; l++) {
        size_t cnt = (size_t)widths[l] * widths[l + 1];
        ok &= (n->W[l] = malloc(cnt * sizeof(float))) != NULL;
        ok &= (n->dW[l] = malloc(cnt * sizeof(float))) != NULL;
        ok &= (n->b[l] = calloc(widths[l + 1], sizeof(float))) != NULL;
        ok &= (n->db[l] = calloc(widths[l + 1], sizeof(float))) != NULL;
        if (!ok) break;
        double r = sqrt(6.0 / (widths[l] + widths[l + 1]));
        for (size_t i = 0; i < cnt; i++)
            n->W[l][i] = (float)(r * (2.0 * ((double)(rng_next(&s) >> 11) / 9007199254740992.0) - 1.0));
    }
    if (!ok) { mb_naive_free(n); return NULL; }
    return n;
}

/* Forward pass for `rows` samples already in a[0]; returns nothing, leaves softmax in a[nl]. */
static void forward(mb_naive_net *n, int rows)
{
    for (int l = 0; l < n->nl; l++) {
        int in = n->w[l], out = n->w[l + 1];
        for (int s = 0; s < rows; s++) {
            const float *x = n->a[l] + (size_t)s * in;
            float *y = n->a[l + 1] + (size_t)s * out;
            for (int j = 0; j < out; j++) {
                float z = n->b[l][j];
                for (int i = 0; i < in; i++) z += x[i] * n->W[l][(size_t)i * out + j];
                y[j] = l + 1 < n->nl ? (z > 0 ? z : 0) : z;
            }
            if (l + 1 == n->nl) {  /* softmax */
                float mx = y[0], sum = 0;
                for (int j = 1; j < out; j++) if (y[j] > mx) mx = y[j];
                for (int j = 0; j < out; j++) { y[j] = expf(y[j] - mx); sum += y[j]; }
                for (int j = 0; j < out; j++) y[j] /= sum;
            }
        }
    }
}

static void load_batch(mb_naive_net *n, const uint8_t *x, const size_t *idx, int rows)
{
    int in = n->w[0];
    for (int s = 0; s < rows; s++)
        for (int i = 0; i < in; i++) n->a[0][(size_t)s * in + i] = x[idx[s] * in + i] / 255.0f;
}

double mb_naive_train_epoch(mb_naive_net *n, const uint8_t *x, const int32_t *labels, size_t rows,
                            float lr, uint64_t epoch_seed)
{
    if (n->perm_n != rows) {
        free(n->perm);
        n->perm = malloc(rows * sizeof *n->perm);
        if (!n->perm) { n->perm_n = 0; return NAN; }
        n->perm_n = rows;
    }
    for (size_t i = 0; i < rows; i++) n->perm[i] = i;
    uint64_t s = epoch_seed;
    for (size_t i = rows; i > 1; i--) {
        size_t j = (size_t)(rng_next(&s) % i);
        size_t t = n->perm[i - 1]; n->perm[i - 1] = n->perm[j]; n->perm[j] = t;
    }
    double total = 0;
    int L = n->nl, classes = n->w[L];
    for (size_t start = 0; start < rows; start += (size_t)n->batch) {
        int bs = (int)(rows - start < (size_t)n->batch ? rows - start : (size_t)n->batch);
        load_batch(n, x, n->perm + start, bs);
        forward(n, bs);
        /* Output delta of softmax cross-entropy: (p - onehot) / batch. */
        for (int r = 0; r < bs; r++) {
            int y = labels[n->perm[start + r]];
            float *p = n->a[L] + (size_t)r * classes, *d = n->d[L] + (size_t)r * classes;
            total += -log(p[y] > 1e-30f ? p[y] : 1e-30f);
            for (int j = 0; j < classes; j++) d[j] = (p[j] - (j == y)) / (float)bs;
        }
        for (int l = L - 1; l >= 0; l--) {
            int in = n->w[l], out = n->w[l + 1];
            /* dW = a[l]^T d[l+1], db = column sums of d[l+1]. */
            for (int i = 0; i < in; i++)
                for (int j = 0; j < out; j++) {
                    float g = 0;
                    for (int r = 0; r < bs; r++) g += n->a[l][(size_t)r * in + i] * n->d[l + 1][(size_t)r * out + j];
                    n->dW[l][(size_t)i * out + j] = g;
                }
            for (int j = 0; j < out; j++) {
                float g = 0;
                for (int r = 0; r < bs; r++) g += n->d[l + 1][(size_t)r * out + j];
                n->db[l][j] = g;
            }
            /* d[l] = d[l+1] W^T (.) relu'(a[l]); not needed for the input layer. */
            if (l > 0)
                for (int r = 0; r < bs; r++)
                    for (int i = 0; i < in; i++) {
                        float g = 0;
                        for (int j = 0; j < out; j++) g += n->d[l + 1][(size_t)r * out + j] * n->W[l][(size_t)i * out + j];
                        n->d[l][(size_t)r * in + i] = n->a[l][(size_t)r * in + i] > 0 ? g : 0;
                    }
            for (size_t i = 0; i < (size_t)in * out; i++) n->W[l][i] -= lr * n->dW[l][i];
            for (int j = 0; j < out; j++) n->b[l][j] -= lr * n->db[l][j];
        }
    }
    return total / (double)rows;
}

double mb_naive_accuracy(mb_naive_net *n, const uint8_t *x, const int32_t *labels, size_t rows)
{
    size_t right = 0, idx[4096];
    int classes = n->w[n->nl];
    for (size_t start = 0; start < rows; start += (size_t)n->batch) {
        int bs = (int)(rows - start < (size_t)n->batch ? rows - start : (size_t)n->batch);
        for (int r = 0; r < bs && r < 4096; r++) idx[r] = start + (size_t)r;
        load_batch(n, x, idx, bs);
        forward(n, bs);
        for (int r = 0; r < bs; r++) {
            const float *p = n->a[n->nl] + (size_t)r * classes;
            int best = 0;
            for (int j = 1; j < classes; j++) if (p[j] > p[best]) best = j;
            right += best == labels[start + (size_t)r];
        }
    }
    return rows ? (double)right / (double)rows : 0;
}
