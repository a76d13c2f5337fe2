/* libFuzzer target: the model-file loader. Built with MYL_FUZZ_NO_CRC so
   the fuzzer gets past the checksum to the structural checks. A file that
   loads must save back to the same bytes (the CRC aside). */
#include "internal.h"
#include "data/data.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    myelin_net *net = NULL;
    if (myl_model_parse("fuzz.myl", data, size, &net) != MYELIN_OK)
        return 0;
    uint8_t *again;
    size_t n;
    if (myl_model_serialize(net, &again, &n) == MYELIN_OK) {
        if (n != size || memcmp(again, data, size - 4) != 0)
            __builtin_trap();
        myl_free(again);
    }
    myelin_net_free(net);
    return 0;
}
