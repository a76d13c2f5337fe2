/* Model files. Written and read through the public net API only (create,
   layer specs, parameters, input transform), so the format does not depend
   on the engine's internal layout.

   Format, version 1; every field little-endian whatever the host:
     offset  size  field
     0       8     magic  89 'M' 'Y' 'L' 0d 0a 1a 0a   (catches text-mode and 7-bit copies)
     8       4     format version (1)
     12      4     byte-order mark 0x01020304 (bytes 04 03 02 01)
     16      8     total file length in bytes, CRC included
     24      4     input width
     28      4     number of layers L (1..MYELIN_MAX_LAYERS)
     32      4     loss (myelin_loss)
     36      4     flags (0; reserved)
     40      32*L  per layer: units, activation, initialiser (u32 each), then
                   init_scale, bias_init, lr_mult, dropout, dropconnect (f32)
     ...     8*in  input transform: offset[in] then scale[in] (f32): the
                   preprocessing statistics, applied again at prediction
     ...           per layer: W (inputs x units, row-major) then b (units), f32
     end-4   4     CRC-32 (IEEE, as zlib's crc32) of every byte before it

   Loading checks magic, version, byte order, the stored length against the
   file's, the CRC, then every dimension and the size they imply, before
   anything is allocated; any mismatch is MYELIN_EFORMAT with a message. */
#include "internal.h"
#include "data/data.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t model_magic[8] = {0x89, 'M', 'Y', 'L', 0x0d, 0x0a, 0x1a, 0x0a};
#define MODEL_VERSION 1u
#define MODEL_BOM 0x01020304u
#define MODEL_HEADER 40u
#define MODEL_LAYER 32u
#define MODEL_MAX_WIDTH (1u << 24)

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}
static void putf(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put32(p, v);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static float getf(const uint8_t *p)
{
    uint32_t v = get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Bytes of a file for this shape, or 0 on overflow. */
static size_t model_size(size_t inputs, size_t n_layers, const size_t *units)
{
    size_t total = MODEL_HEADER + MODEL_LAYER * n_layers + 8 * inputs + 4, in = inputs;
    for (size_t l = 0; l < n_layers; l++) {
        size_t w, p;
        if (!myl_mul_ok(in, units[l], &w) || w > SIZE_MAX / 4 - units[l] || !myl_mul_ok(w + units[l], 4, &p) ||
            total > SIZE_MAX - p)
            return 0;
        total += p;
        in = units[l];
    }
    return total;
}

int myl_model_serialize(const myelin_net *net, uint8_t **buf, size_t *len)
{
    if (!net || !buf || !len)
        return myl_fail(MYELIN_EINVAL, "net_save: NULL argument");
    size_t inputs = myelin_net_inputs(net), nl = myelin_net_num_layers(net);
    if (inputs == 0 || nl == 0 || nl > MYELIN_MAX_LAYERS)
        return myl_fail(MYELIN_EINVAL, "net_save: net has %zu inputs and %zu layers", inputs, nl);
    myelin_layer_spec spec[MYELIN_MAX_LAYERS];
    size_t units[MYELIN_MAX_LAYERS];
    for (size_t l = 0; l < nl; l++) {
        int st = myelin_net_layer(net, l, &spec[l]);
        if (st)
            return st;
        units[l] = spec[l].units;
    }
    size_t total = model_size(inputs, nl, units);
    if (!total)
        return myl_fail(MYELIN_EINVAL, "net_save: net too large to describe");
    uint8_t *p = myl_alloc(total);
    if (!p)
        return myl_fail(MYELIN_ENOMEM, "net_save: cannot allocate %zu bytes", total);
    memcpy(p, model_magic, 8);
    put32(p + 8, MODEL_VERSION);
    put32(p + 12, MODEL_BOM);
    put64(p + 16, total);
    put32(p + 24, (uint32_t)inputs);
    put32(p + 28, (uint32_t)nl);
    put32(p + 32, (uint32_t)myelin_net_loss(net));
    put32(p + 36, 0);
    uint8_t *q = p + MODEL_HEADER;
    for (size_t l = 0; l < nl; l++, q += MODEL_LAYER) {
        put32(q, (uint32_t)spec[l].units);
        put32(q + 4, (uint32_t)spec[l].act);
        put32(q + 8, (uint32_t)spec[l].init);
        putf(q + 12, spec[l].init_scale);
        putf(q + 16, spec[l].bias_init);
        putf(q + 20, spec[l].lr_mult);
        putf(q + 24, spec[l].dropout);
        putf(q + 28, spec[l].dropconnect);
    }
    /* Floats are staged in a scratch buffer, then stored little-endian. */
    size_t most = inputs;
    for (size_t l = 0, in = inputs; l < nl; in = units[l], l++)
        if (in * units[l] + units[l] > most)
            most = in * units[l] + units[l];
    float *tmp = myl_alloc(2 * most * sizeof(float));
    if (!tmp) {
        myl_free(p);
        return myl_fail(MYELIN_ENOMEM, "net_save: cannot allocate scratch");
    }
    int st = myelin_net_get_input_transform(net, tmp, tmp + inputs, inputs);
    for (size_t i = 0; !st && i < 2 * inputs; i++, q += 4)
        putf(q, tmp[i]);
    for (size_t l = 0, in = inputs; !st && l < nl; in = units[l], l++) {
        size_t nw = in * units[l], np = nw + units[l];
        st = myelin_net_get_params(net, l, tmp, tmp + nw);
        for (size_t i = 0; !st && i < np; i++, q += 4)
            putf(q, tmp[i]);
    }
    myl_free(tmp);
    if (st) {
        myl_free(p);
        return st;
    }
    put32(q, myl_crc32(0, p, total - 4));
    *buf = p;
    *len = total;
    return MYELIN_OK;
}

int myl_model_parse(const char *name, const uint8_t *b, size_t len, myelin_net **out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "net_load: out is NULL");
    *out = NULL;
    if (!b && len)
        return myl_fail(MYELIN_EINVAL, "net_load: buffer is NULL");
    if (!name)
        name = "(model)";
    if (len < 8 || memcmp(b, model_magic, 8) != 0)
        return myl_fail(MYELIN_EFORMAT, "%s: not a Myelin model file (bad magic)", name);
    if (len < MODEL_HEADER + 4)
        return myl_fail(MYELIN_EFORMAT, "%s: truncated model header (%zu bytes)", name, len);
    uint32_t version = get32(b + 8);
    if (version != MODEL_VERSION)
        return myl_fail(MYELIN_EFORMAT, "%s: model format version %u, this build reads version %u", name, version,
                        MODEL_VERSION);
    if (get32(b + 12) != MODEL_BOM)
        return myl_fail(MYELIN_EFORMAT, "%s: bad byte-order mark 0x%08x", name, get32(b + 12));
    uint64_t stored = get64(b + 16);
    if (stored != len)
        return myl_fail(MYELIN_EFORMAT, "%s: %s: header says %llu bytes, the file has %zu", name,
                        stored > len ? "truncated" : "trailing bytes", (unsigned long long)stored, len);
#ifndef MYL_FUZZ_NO_CRC /* the fuzz build skips it to reach the checks below */
    uint32_t crc = myl_crc32(0, b, len - 4);
    if (crc != get32(b + len - 4))
        return myl_fail(MYELIN_EFORMAT, "%s: CRC mismatch (stored %08x, computed %08x): the file is corrupted",
                        name, get32(b + len - 4), crc);
#endif
    size_t inputs = get32(b + 24), nl = get32(b + 28);
    uint32_t loss = get32(b + 32), flags = get32(b + 36);
    if (inputs == 0 || inputs > MODEL_MAX_WIDTH)
        return myl_fail(MYELIN_EFORMAT, "%s: bad input width %zu", name, inputs);
    if (nl == 0 || nl > MYELIN_MAX_LAYERS)
        return myl_fail(MYELIN_EFORMAT, "%s: bad layer count %zu (1..%d)", name, nl, MYELIN_MAX_LAYERS);
    if (loss > MYELIN_LOSS_SOFTMAX_CE)
        return myl_fail(MYELIN_EFORMAT, "%s: unknown loss %u", name, loss);
    if (flags != 0)
        return myl_fail(MYELIN_EFORMAT, "%s: unknown flags 0x%x", name, flags);
    if (len < MODEL_HEADER + MODEL_LAYER * nl + 4)
        return myl_fail(MYELIN_EFORMAT, "%s: truncated layer table", name);
    myelin_layer_spec spec[MYELIN_MAX_LAYERS];
    size_t units[MYELIN_MAX_LAYERS];
    const uint8_t *q = b + MODEL_HEADER;
    for (size_t l = 0; l < nl; l++, q += MODEL_LAYER) {
        myelin_layer_spec *s = &spec[l];
        memset(s, 0, sizeof *s);
        uint32_t act = get32(q + 4), init = get32(q + 8);
        units[l] = s->units = get32(q);
        s->init_scale = getf(q + 12);
        s->bias_init = getf(q + 16);
        s->lr_mult = getf(q + 20);
        s->dropout = getf(q + 24);
        s->dropconnect = getf(q + 28);
        if (s->units == 0 || s->units > MODEL_MAX_WIDTH)
            return myl_fail(MYELIN_EFORMAT, "%s: layer %zu: bad width %zu", name, l, s->units);
        if (act > MYELIN_ACT_SOFTMAX || init > MYELIN_INIT_NORMAL)
            return myl_fail(MYELIN_EFORMAT, "%s: layer %zu: unknown activation %u or initialiser %u", name, l,
                            act, init);
        if (!isfinite(s->init_scale) || !isfinite(s->bias_init) || !isfinite(s->lr_mult) ||
            !(s->dropout >= 0 && s->dropout < 1) || !(s->dropconnect >= 0 && s->dropconnect < 1))
            return myl_fail(MYELIN_EFORMAT, "%s: layer %zu: bad hyper-parameters", name, l);
        s->act = (myelin_act)act;
        s->init = (myelin_init)init;
    }
    size_t want = model_size(inputs, nl, units);
    if (want != len)
        return myl_fail(MYELIN_EFORMAT, "%s: the layers described need %zu bytes, the file has %zu", name, want,
                        len);
    /* Everything is consistent: values are read in place and checked. */
    const uint8_t *vals = q;
    for (const uint8_t *v = vals; v < b + len - 4; v += 4)
        if (!isfinite(getf(v)))
            return myl_fail(MYELIN_EFORMAT, "%s: non-finite value at byte %zu", name, (size_t)(v - b));

    myelin_net_spec ns = {.inputs = inputs, .n_layers = nl, .layers = spec, .loss = (myelin_loss)loss};
    myelin_net *net = NULL;
    int st = myelin_net_create(&ns, 0, &net);
    if (st)
        return myl_fail(MYELIN_EFORMAT, "%s: describes an invalid net: %s", name, myelin_last_error());
    size_t most = inputs;
    for (size_t l = 0, in = inputs; l < nl; in = units[l], l++)
        if (in * units[l] + units[l] > most)
            most = in * units[l] + units[l];
    float *tmp = myl_alloc(2 * most * sizeof(float));
    if (!tmp) {
        myelin_net_free(net);
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate scratch", name);
    }
    q = vals;
    for (size_t i = 0; i < 2 * inputs; i++, q += 4)
        tmp[i] = getf(q);
    st = myelin_net_set_input_transform(net, tmp, tmp + inputs, inputs);
    for (size_t l = 0, in = inputs; !st && l < nl; in = units[l], l++) {
        size_t nw = in * units[l], np = nw + units[l];
        for (size_t i = 0; i < np; i++, q += 4)
            tmp[i] = getf(q);
        st = myelin_net_set_params(net, l, tmp, tmp + nw);
    }
    myl_free(tmp);
    if (st) {
        myelin_net_free(net);
        return st;
    }
    *out = net;
    return MYELIN_OK;
}

int myelin_net_load(const char *path, myelin_net **out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "net_load: out is NULL");
    *out = NULL;
    if (!path)
        return myl_fail(MYELIN_EINVAL, "net_load: path is NULL");
    uint8_t *buf;
    size_t len;
    int st = myl_read_file(path, &buf, &len);
    if (st)
        return st;
    st = myl_model_parse(path, buf, len, out);
    myl_free(buf);
    return st;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int myelin_net_save(const myelin_net *net, const char *path)
{
    if (!net || !path || !*path)
        return myl_fail(MYELIN_EINVAL, "net_save: %s is NULL or empty", net ? "path" : "net");
    uint8_t *buf;
    size_t len;
    int st = myl_model_serialize(net, &buf, &len);
    if (st)
        return st;
    /* The temporary file sits in the target's folder so that rename() is
       atomic: a crash leaves either the old model or the new one. */
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16), *dir = malloc(pl + 1);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        myl_free(buf);
        return myl_fail(MYELIN_ENOMEM, "net_save: out of memory");
    }
    memcpy(dir, path, pl + 1);
    const char *folder = dirname(dir);
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = myl_fail(MYELIN_EIO, "%s: cannot create a temporary file in %s: %s", path, folder, strerror(errno));
    } else {
        if (fchmod(fd, 0644) != 0 || write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
            st = myl_fail(MYELIN_EIO, "%s: cannot write: %s", tmp, strerror(errno));
            close(fd);
        } else if (close(fd) != 0) {
            st = myl_fail(MYELIN_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        } else if (rename(tmp, path) != 0) {
            st = myl_fail(MYELIN_EIO, "%s: cannot replace: %s", path, strerror(errno));
        }
        if (st) {
            unlink(tmp);
        } else {
            /* Make the rename itself durable. */
            int dfd = open(folder, O_RDONLY | O_DIRECTORY);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
        }
    }
    free(tmp);
    free(dir);
    myl_free(buf);
    return st;
}
