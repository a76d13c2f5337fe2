/* Whole-file reading, gzip inflation (zlib, when built with it) and CRC-32. */
#include "internal.h"
#include "data/data.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#ifdef MYL_HAVE_ZLIB
#include <zlib.h>
#endif

int myl_read_file(const char *path, uint8_t **buf, size_t *len)
{
    if (!path || !buf || !len)
        return myl_fail(MYELIN_EINVAL, "read_file: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return myl_fail(MYELIN_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return myl_fail(MYELIN_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > MYL_MAX_FILE_BYTES) {
        fclose(f);
        return myl_fail(MYELIN_EFORMAT, "%s: file too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = myl_alloc(n + 1);
    if (!p) {
        fclose(f);
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    size_t got = n ? fread(p, 1, n, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        myl_free(p);
        return myl_fail(MYELIN_EIO, "%s: read error after %zu of %zu bytes", path, got, n);
    }
    p[n] = 0;
    *buf = p;
    *len = n;
    return MYELIN_OK;
}

int myl_maybe_gunzip(const char *name, uint8_t **buf, size_t *len, size_t max_out)
{
    const uint8_t *in = *buf;
    size_t in_len = *len;
    if (in_len < 2 || in[0] != 0x1f || in[1] != 0x8b)
        return MYELIN_OK;
#ifndef MYL_HAVE_ZLIB
    (void)max_out;
    return myl_fail(MYELIN_EUNSUPPORTED, "%s: gzip'ed file, but this build has no zlib", name);
#else
    /* The trailer's ISIZE (size mod 2^32) is only a hint: the first guess
       of the output size, so that a normal file is inflated without copies. */
    size_t cap = 1 << 16;
    if (in_len >= 18) {
        const uint8_t *t = in + in_len - 4;
        size_t hint = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        if (hint > cap && hint <= max_out)
            cap = hint;
    }
    if (cap > max_out)
        cap = max_out;
    uint8_t *out = myl_alloc(cap + 1);
    if (!out)
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu bytes to inflate", name, cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        myl_free(out);
        return myl_fail(MYELIN_ENOMEM, "%s: zlib initialisation failed", name);
    }
    size_t done_in = 0, done_out = 0;
    int status = MYELIN_OK;
    for (;;) {
        if (done_out == cap) {
            if (cap >= max_out) {
                status = myl_fail(MYELIN_EFORMAT, "%s: inflates to more than %zu bytes", name, max_out);
                break;
            }
            size_t ncap = cap > max_out / 2 ? max_out : cap * 2;
            uint8_t *n = myl_alloc(ncap + 1);
            if (!n) {
                status = myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu bytes to inflate", name, ncap);
                break;
            }
            memcpy(n, out, done_out);
            myl_free(out);
            out = n;
            cap = ncap;
        }
        /* zlib counts in uInt: feed at most 1 GiB at a time. */
        size_t avail_in = in_len - done_in, avail_out = cap - done_out;
        zs.next_in = (Bytef *)(in + done_in);
        zs.avail_in = (uInt)(avail_in > (1u << 30) ? (1u << 30) : avail_in);
        zs.next_out = out + done_out;
        zs.avail_out = (uInt)(avail_out > (1u << 30) ? (1u << 30) : avail_out);
        uInt before_in = zs.avail_in, before_out = zs.avail_out;
        int zr = inflate(&zs, Z_NO_FLUSH);
        done_in += before_in - zs.avail_in;
        done_out += before_out - zs.avail_out;
        if (zr == Z_STREAM_END) {
            /* Concatenated gzip members are one file (gzip -c a b). */
            if (done_in < in_len && in_len - done_in >= 2 && in[done_in] == 0x1f && in[done_in + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR && zs.avail_out == 0)
            continue;
        status = myl_fail(MYELIN_EFORMAT, "%s: damaged gzip data (%s)", name,
                          zr == Z_BUF_ERROR ? "truncated" : (zs.msg ? zs.msg : "inflate error"));
        break;
    }
    inflateEnd(&zs);
    if (status) {
        myl_free(out);
        return status;
    }
    out[done_out] = 0;
    myl_free(*buf);
    *buf = out;
    *len = done_out;
    return MYELIN_OK;
#endif
}

int myl_read_file_any(const char *path, uint8_t **buf, size_t *len)
{
    int st = myl_read_file(path, buf, len);
    if (st)
        return st;
    st = myl_maybe_gunzip(path, buf, len, MYL_MAX_FILE_BYTES);
    if (st) {
        myl_free(*buf);
        *buf = NULL;
        *len = 0;
    }
    return st;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t myl_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
