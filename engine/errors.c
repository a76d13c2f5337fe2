/* Status strings, the thread-local last-error message, and the text writer. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char last_error[512];

const char *myelin_strerror(int status)
{
    switch (status) {
    case MYELIN_OK: return "success";
    case MYELIN_EINVAL: return "invalid argument";
    case MYELIN_ENOMEM: return "out of memory";
    case MYELIN_EUNSUPPORTED: return "not supported on this CPU or build";
    case MYELIN_EIO: return "input/output error";
    case MYELIN_EFORMAT: return "malformed file";
    case MYELIN_ENUMERIC: return "non-finite loss";
    case MYELIN_ESTOPPED: return "stopped by a callback";
    default: return "unknown status";
    }
}

const char *myelin_last_error(void) { return last_error; }
void myl_clear_error(void) { last_error[0] = 0; }

int myl_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *myelin_version(void)
{
#define MYL_STR2(x) #x
#define MYL_STR(x) MYL_STR2(x)
    return MYL_STR(MYELIN_VERSION_MAJOR) "." MYL_STR(MYELIN_VERSION_MINOR) "." MYL_STR(MYELIN_VERSION_PATCH);
}

void *myl_alloc(size_t bytes)
{
    if (bytes == 0)
        bytes = 64;
    if (bytes > SIZE_MAX - 63)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, (bytes + 63) & ~(size_t)63) != 0)
        return NULL;
    return p;
}

void myl_free(void *p) { free(p); }

int myl_mul_ok(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return 0;
    *out = r;
    return 1;
}

void myl_put(myl_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(w->off < w->len ? w->buf + w->off : NULL, w->off < w->len ? w->len - w->off : 0, fmt, ap);
    va_end(ap);
    if (r > 0)
        w->off += (size_t)r;
}
