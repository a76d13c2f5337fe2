/* IDX reader (the MNIST file format): a big-endian header of magic
   (0, 0, type, number of dimensions) and one u32 per dimension, then the
   data. Only unsigned bytes (type 0x08) are accepted, as in every MNIST-style
   set; sizes are checked against the file length before anything is used. */
#include "internal.h"
#include "data/data.h"

#include <string.h>

typedef struct {
    size_t count;    /* first dimension: the number of items */
    size_t width;    /* product of the others (1 for labels) */
    size_t offset;   /* where the data starts                */
} idx_shape;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* want_dims: 1 for labels, 0 for images (2 or more dimensions). */
static int idx_header(const char *name, const uint8_t *p, size_t len, int want_dims, idx_shape *s)
{
    if (len < 4)
        return myl_fail(MYELIN_EFORMAT, "%s: truncated IDX header (%zu bytes)", name, len);
    if (p[0] != 0 || p[1] != 0)
        return myl_fail(MYELIN_EFORMAT, "%s: not an IDX file (bad magic %02x %02x)", name, p[0], p[1]);
    if (p[2] != 0x08)
        return myl_fail(MYELIN_EFORMAT, "%s: IDX element type 0x%02x unsupported (need 0x08, unsigned bytes)",
                        name, p[2]);
    unsigned nd = p[3];
    if (want_dims == 1 && nd != 1)
        return myl_fail(MYELIN_EFORMAT, "%s: a label file has 1 dimension, this one has %u", name, nd);
    if (want_dims == 0 && (nd < 2 || nd > 8))
        return myl_fail(MYELIN_EFORMAT, "%s: an image file has 2 to 8 dimensions, this one has %u", name, nd);
    size_t hdr = 4 + 4 * (size_t)nd;
    if (len < hdr)
        return myl_fail(MYELIN_EFORMAT, "%s: truncated IDX header (%zu of %zu bytes)", name, len, hdr);
    size_t count = be32(p + 4), width = 1;
    for (unsigned d = 1; d < nd; d++) {
        size_t dim = be32(p + 4 + 4 * d);
        if (dim == 0 || !myl_mul_ok(width, dim, &width))
            return myl_fail(MYELIN_EFORMAT, "%s: bad IDX dimension %u (%zu)", name, d, dim);
    }
    size_t body;
    if (count == 0)
        return myl_fail(MYELIN_EFORMAT, "%s: IDX file holds no items", name);
    if (!myl_mul_ok(count, width, &body) || body > len - hdr)
        return myl_fail(MYELIN_EFORMAT, "%s: truncated: %zu items of %zu bytes need %zu bytes after the header, "
                        "the file has %zu", name, count, width, count * width, len - hdr);
    if (body < len - hdr)
        return myl_fail(MYELIN_EFORMAT, "%s: %zu unexpected bytes after %zu items", name,
                        len - hdr - body, count);
    s->count = count;
    s->width = width;
    s->offset = hdr;
    return MYELIN_OK;
}

static int idx_labels(const char *name, const uint8_t *p, size_t len, size_t want_count, myelin_data *out)
{
    idx_shape s;
    int st = idx_header(name, p, len, 1, &s);
    if (st)
        return st;
    if (s.count != want_count)
        return myl_fail(MYELIN_EFORMAT, "%s: %zu labels for %zu images", name, s.count, want_count);
    int32_t *labels = myl_alloc(s.count * sizeof *labels);
    if (!labels)
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu labels", name, s.count);
    size_t classes = 0;
    for (size_t i = 0; i < s.count; i++) {
        labels[i] = p[s.offset + i];
        if ((size_t)labels[i] + 1 > classes)
            classes = (size_t)labels[i] + 1;
    }
    out->labels = labels;
    out->n_classes = classes;
    return MYELIN_OK;
}

int myl_idx_parse(const char *img_name, const uint8_t *img, size_t img_len,
                  const char *lab_name, const uint8_t *lab, size_t lab_len, myelin_data *out)
{
    if (!img || !lab || !out)
        return myl_fail(MYELIN_EINVAL, "idx_parse: NULL argument");
    memset(out, 0, sizeof *out);
    idx_shape s;
    int st = idx_header(img_name, img, img_len, 0, &s);
    if (st)
        return st;
    myelin_data d = {.rows = s.count, .cols = s.width};
    d.x_u8 = myl_alloc(s.count * s.width);
    if (!d.x_u8)
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu bytes", img_name, s.count * s.width);
    memcpy(d.x_u8, img + s.offset, s.count * s.width);
    st = idx_labels(lab_name, lab, lab_len, s.count, &d);
    if (st) {
        myelin_data_free(&d);
        return st;
    }
    *out = d;
    return MYELIN_OK;
}

int myelin_read_idx(const char *images_path, const char *labels_path, myelin_data *out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "read_idx: out is NULL");
    memset(out, 0, sizeof *out);
    if (!images_path || !labels_path)
        return myl_fail(MYELIN_EINVAL, "read_idx: %s path is NULL", images_path ? "labels" : "images");
    uint8_t *img = NULL, *lab = NULL;
    size_t img_len = 0, lab_len = 0;
    int st = myl_read_file_any(images_path, &img, &img_len);
    if (st)
        return st;
    idx_shape s = {0, 0, 0};
    st = idx_header(images_path, img, img_len, 0, &s);
    if (!st)
        st = myl_read_file_any(labels_path, &lab, &lab_len);
    myelin_data d = {.rows = s.count, .cols = s.width};
    if (!st)
        st = idx_labels(labels_path, lab, lab_len, s.count, &d);
    myl_free(lab);
    if (st) {
        myl_free(img);
        myelin_data_free(&d);
        return st;
    }
    /* Keep the (possibly inflated) buffer: move the pixels to its aligned
       start rather than copying tens of megabytes. */
    memmove(img, img + s.offset, s.count * s.width);
    d.x_u8 = img;
    *out = d;
    return MYELIN_OK;
}
