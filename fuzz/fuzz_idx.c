/* libFuzzer target: the IDX reader, gzip'ed or not. The input is split in
   two files at a position given by its first two bytes. */
#include "internal.h"
#include "data/data.h"

#include <string.h>

static uint8_t *copy_maybe_gunzip(const uint8_t *p, size_t n, size_t *len)
{
    uint8_t *b = myl_alloc(n + 1);
    if (!b)
        return NULL;
    memcpy(b, p, n);
    *len = n;
    if (myl_maybe_gunzip("fuzz", &b, len, (size_t)1 << 22)) {
        myl_free(b);
        return NULL;
    }
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t split = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
    size_t ni, nl;
    uint8_t *img = copy_maybe_gunzip(data + 2, split, &ni);
    uint8_t *lab = copy_maybe_gunzip(data + 2 + split, size - 2 - split, &nl);
    if (img && lab) {
        myelin_data d;
        if (myl_idx_parse("img", img, ni, "lab", lab, nl, &d) == MYELIN_OK) {
            /* Touch everything the reader claims to own. */
            volatile unsigned s = 0;
            for (size_t i = 0; i < d.rows * d.cols; i++)
                s += d.x_u8[i];
            for (size_t i = 0; i < d.rows; i++)
                if (d.labels[i] < 0 || (size_t)d.labels[i] >= d.n_classes)
                    __builtin_trap();
            myelin_data_free(&d);
        }
    }
    myl_free(img);
    myl_free(lab);
    return 0;
}
