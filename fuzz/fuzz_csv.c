/* libFuzzer target: the CSV reader. The first byte picks the options
   (header mode, label column, delimiter); the rest is the file. */
#include "internal.h"
#include "data/data.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    myelin_csv_opts o;
    myelin_csv_opts_default(&o);
    uint8_t k = data[0];
    o.header = (int)(k % 3) - 1;
    o.label_index = (long)((k >> 2) % 4) - 2;    /* -2 none, -1 last, 0, 1 */
    o.delimiter = (k & 0x40) ? ';' : ',';
    if (k & 0x80)
        o.label_name = "y";
    size_t n = size - 1;
    uint8_t *b = myl_alloc(n + 1);
    if (!b)
        return 0;
    memcpy(b, data + 1, n);
    if (myl_maybe_gunzip("fuzz.csv", &b, &n, (size_t)1 << 22) == MYELIN_OK) {
        myelin_data d;
        if (myl_csv_parse("fuzz.csv", (const char *)b, n, &o, &d) == MYELIN_OK) {
            for (size_t i = 0; i < d.rows * d.cols; i++)
                if (!isfinite(d.x[i]))
                    __builtin_trap();
            for (size_t i = 0; d.labels && i < d.rows; i++)
                if (d.labels[i] < 0 || (size_t)d.labels[i] >= d.n_classes)
                    __builtin_trap();
            myelin_data_free(&d);
        }
    }
    myl_free(b);
    return 0;
}
