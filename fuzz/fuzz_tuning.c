/* libFuzzer target: the tuning-file reader (engine/tuning-file.c). A file it
   accepts must format again and read back to the same record. */
#include "internal.h"
#include "tuning.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    myl_tuning t, u;
    char sig[512];
    if (myl_tuning_parse((const char *)data, size, &t, sig, sizeof sig) != MYELIN_OK)
        return 0;
    char *a = malloc(16384), *b = malloc(16384);
    if (a && b && myl_tuning_format(&t, sig, a, 16384) == MYELIN_OK) {
        if (myl_tuning_parse(a, strlen(a), &u, NULL, 0) != MYELIN_OK)
            __builtin_trap();
        if (myl_tuning_format(&u, sig, b, 16384) != MYELIN_OK || strcmp(a, b) != 0)
            __builtin_trap();
    }
    free(a);
    free(b);
    return 0;
}
