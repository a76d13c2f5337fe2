/* Owned tables: freeing, views, built-in sets, a seeded train/validation
   split, binary targets from class labels and the input statistics for
   scaling and standardising (stored in the net as its input transform, so
   the model file carries them to prediction). */
#include "internal.h"
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void myelin_data_free(myelin_data *d)
{
    if (!d)
        return;
    myl_free(d->x_u8);
    myl_free(d->x);
    myl_free(d->labels);
    memset(d, 0, sizeof *d);
}

myelin_dataset myelin_data_view(const myelin_data *d)
{
    myelin_dataset v;
    memset(&v, 0, sizeof v);
    if (!d)
        return v;
    v.rows = d->rows;
    v.cols = d->cols;
    v.x = d->x;
    v.x_u8 = d->x_u8;
    v.labels = d->labels;
    return v;
}

/* The notebooks' first problems. table3: y = 1 for (1,0,0) (1,1,0) (1,1,1) (0,1,1). */
static const float xor_x[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t xor_y[] = {0, 1, 1, 0};
static const float table3_x[] = {1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1};
static const int32_t table3_y[] = {1, 0, 1, 0, 0, 0, 1, 1};

int myelin_data_builtin(const char *name, myelin_data *out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "data_builtin: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name)
        return myl_fail(MYELIN_EINVAL, "data_builtin: name is NULL");
    const float *x;
    const int32_t *y;
    size_t rows, cols;
    if (strcmp(name, "xor") == 0) {
        x = xor_x, y = xor_y, rows = 4, cols = 2;
    } else if (strcmp(name, "table3") == 0) {
        x = table3_x, y = table3_y, rows = 8, cols = 3;
    } else {
        return myl_fail(MYELIN_EINVAL, "data_builtin: unknown set \"%s\" (xor, table3)", name);
    }
    out->x = myl_alloc(rows * cols * sizeof(float));
    out->labels = myl_alloc(rows * sizeof(int32_t));
    if (!out->x || !out->labels) {
        myelin_data_free(out);
        return myl_fail(MYELIN_ENOMEM, "data_builtin: out of memory");
    }
    memcpy(out->x, x, rows * cols * sizeof(float));
    memcpy(out->labels, y, rows * sizeof(int32_t));
    out->rows = rows;
    out->cols = cols;
    out->n_classes = 2;
    return MYELIN_OK;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t below(uint64_t *s, size_t n) /* uniform in [0, n) */
{
    return (size_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
}

int myelin_data_split(myelin_data *d, double fraction, uint64_t seed, myelin_data *val)
{
    if (!val)
        return myl_fail(MYELIN_EINVAL, "data_split: val is NULL");
    memset(val, 0, sizeof *val);
    if (!d || (!d->x && !d->x_u8) || (d->x && d->x_u8))
        return myl_fail(MYELIN_EINVAL, "data_split: d must hold x or x_u8");
    if (!(fraction > 0 && fraction < 1))
        return myl_fail(MYELIN_EINVAL, "data_split: fraction %g not in (0, 1)", fraction);
    if (d->rows < 2)
        return myl_fail(MYELIN_EINVAL, "data_split: %zu rows cannot be split", d->rows);
    size_t k = (size_t)llround(fraction * (double)d->rows);
    if (k < 1)
        k = 1;
    if (k > d->rows - 1)
        k = d->rows - 1;
    size_t esz = d->x ? sizeof(float) : 1, row_bytes = d->cols * esz;
    size_t *idx = malloc(d->rows * sizeof *idx);
    uint8_t *pick = calloc(d->rows, 1);
    myelin_data v = {.rows = k, .cols = d->cols, .n_classes = d->n_classes};
    void *vx = myl_alloc(k * row_bytes);
    if (d->labels)
        v.labels = myl_alloc(k * sizeof(int32_t));
    if (!idx || !pick || !vx || (d->labels && !v.labels)) {
        free(idx);
        free(pick);
        myl_free(vx);
        myelin_data_free(&v);
        return myl_fail(MYELIN_ENOMEM, "data_split: out of memory for %zu rows", d->rows);
    }
    if (d->x)
        v.x = vx;
    else
        v.x_u8 = vx;
    /* Partial Fisher-Yates: the first k of a seeded permutation. */
    uint64_t s = seed;
    for (size_t i = 0; i < d->rows; i++)
        idx[i] = i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + below(&s, d->rows - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        pick[idx[i]] = 1;
    }
    /* Both parts keep the file's order; the training part is compacted in place. */
    uint8_t *src = d->x ? (uint8_t *)d->x : d->x_u8;
    size_t nv = 0, nt = 0;
    for (size_t i = 0; i < d->rows; i++) {
        if (pick[i]) {
            memcpy((uint8_t *)vx + nv * row_bytes, src + i * row_bytes, row_bytes);
            if (d->labels)
                v.labels[nv] = d->labels[i];
            nv++;
        } else {
            if (nt != i) {
                memmove(src + nt * row_bytes, src + i * row_bytes, row_bytes);
                if (d->labels)
                    d->labels[nt] = d->labels[i];
            }
            nt++;
        }
    }
    d->rows = nt;
    free(idx);
    free(pick);
    *val = v;
    return MYELIN_OK;
}

int myelin_data_binary(myelin_data *d, const char *positive)
{
    if (!d || !d->labels)
        return myl_fail(MYELIN_EINVAL, "data_binary: the data has no class labels");
    if (!positive)
        return myl_fail(MYELIN_EINVAL, "data_binary: positive is NULL");
    /* Which classes become 1. */
    size_t n = d->n_classes;
    uint8_t *is_pos = calloc(n ? n : 1, 1);
    if (!is_pos)
        return myl_fail(MYELIN_ENOMEM, "data_binary: out of memory");
    if (strcmp(positive, "odd") == 0 || strcmp(positive, "even") == 0) {
        int odd = positive[0] == 'o';
        for (size_t c = 0; c < n; c++)
            is_pos[c] = (c & 1) == (size_t)odd;
    } else {
        const char *p = positive;
        for (;;) {
            char *end;
            long c = strtol(p, &end, 10);
            if (end == p || c < 0 || (*end && *end != ',')) {
                free(is_pos);
                return myl_fail(MYELIN_EINVAL, "data_binary: \"%s\" is not odd, even or a list of classes like 3,5",
                                positive);
            }
            if ((size_t)c < n)
                is_pos[c] = 1;
            if (!*end)
                break;
            p = end + 1;
        }
    }
    for (size_t i = 0; i < d->rows; i++)
        d->labels[i] = (d->labels[i] >= 0 && (size_t)d->labels[i] < n) ? is_pos[d->labels[i]] : 0;
    d->n_classes = 2;
    free(is_pos);
    return MYELIN_OK;
}

static int stats_args(const char *fn, const myelin_data *d, const float *offset, const float *scale, size_t n)
{
    if (!d || (!d->x && !d->x_u8) || d->rows == 0)
        return myl_fail(MYELIN_EINVAL, "%s: no data", fn);
    if (!offset || !scale)
        return myl_fail(MYELIN_EINVAL, "%s: offset and scale must not be NULL", fn);
    if (n != d->cols)
        return myl_fail(MYELIN_EINVAL, "%s: n (%zu) differs from the data's %zu columns", fn, n, d->cols);
    return MYELIN_OK;
}

static double cell(const myelin_data *d, size_t r, size_t c)
{
    return d->x ? (double)d->x[r * d->cols + c] : (double)d->x_u8[r * d->cols + c];
}

int myelin_data_scale_stats(const myelin_data *d, float *offset, float *scale, size_t n)
{
    int st = stats_args("data_scale_stats", d, offset, scale, n);
    if (st)
        return st;
    if (d->x_u8) { /* pixels: the byte range, not each pixel's own */
        for (size_t c = 0; c < n; c++)
            offset[c] = 0.0f, scale[c] = 1.0f / 255.0f;
        return MYELIN_OK;
    }
    for (size_t c = 0; c < n; c++) {
        double lo = cell(d, 0, c), hi = lo;
        for (size_t r = 1; r < d->rows; r++) {
            double v = cell(d, r, c);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        offset[c] = (float)lo;
        scale[c] = hi > lo ? (float)(1.0 / (hi - lo)) : 1.0f;
    }
    return MYELIN_OK;
}

int myelin_data_standardize_stats(const myelin_data *d, float *offset, float *scale, size_t n)
{
    int st = stats_args("data_standardize_stats", d, offset, scale, n);
    if (st)
        return st;
    double *sum = calloc(2 * n, sizeof *sum);
    if (!sum)
        return myl_fail(MYELIN_ENOMEM, "data_standardize_stats: out of memory");
    double *sq = sum + n;
    /* Row-major passes (cache friendly); two passes for an accurate variance. */
    for (size_t r = 0; r < d->rows; r++)
        for (size_t c = 0; c < n; c++)
            sum[c] += cell(d, r, c);
    for (size_t c = 0; c < n; c++)
        sum[c] /= (double)d->rows;
    for (size_t r = 0; r < d->rows; r++)
        for (size_t c = 0; c < n; c++) {
            double t = cell(d, r, c) - sum[c];
            sq[c] += t * t;
        }
    for (size_t c = 0; c < n; c++) {
        double sd = sqrt(sq[c] / (double)d->rows);
        offset[c] = (float)sum[c];
        scale[c] = sd > 0 ? (float)(1.0 / sd) : 1.0f;
    }
    free(sum);
    return MYELIN_OK;
}
