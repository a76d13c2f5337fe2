/* CSV reader: numeric features and an optional integer label column.
   Two passes over the text in memory: count the rows, then parse them, so
   the table is allocated once. Every error names file, line and column. */
#include "internal.h"
#include "data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MYL_CSV_MAX_CLASSES 65536   /* a label above this is a mistake, not a class */
#define MYL_CSV_MAX_FIELD 63

void myelin_csv_opts_default(myelin_csv_opts *o)
{
    if (!o)
        return;
    o->header = -1;
    o->label_name = NULL;
    o->label_index = -1;
    o->delimiter = ',';
}

typedef struct {
    const char *text, *end;
    const char *pos;
    size_t lineno;
} line_iter;

/* Next non-blank line (without its "\r\n"); 0 at the end. */
static int next_line(line_iter *it, const char **b, const char **e, size_t *lineno)
{
    while (it->pos < it->end) {
        const char *s = it->pos;
        const char *nl = memchr(s, '\n', (size_t)(it->end - s));
        const char *le = nl ? nl : it->end;
        it->pos = nl ? nl + 1 : it->end;
        it->lineno++;
        const char *t = le;
        if (t > s && t[-1] == '\r')
            t--;
        const char *q = s;
        while (q < t && (*q == ' ' || *q == '\t'))
            q++;
        if (q == t)
            continue;
        *b = s;
        *e = t;
        *lineno = it->lineno;
        return 1;
    }
    return 0;
}

/* The field starting at p (up to the delimiter or e), trimmed of blanks and
   one pair of double quotes; returns where the next field starts (or NULL at
   the end of the line). */
static const char *field(const char *p, const char *e, char delim, const char **fb, const char **fe)
{
    const char *d = p;
    while (d < e && *d != delim)
        d++;
    const char *b = p, *t = d;
    while (b < t && (*b == ' ' || *b == '\t'))
        b++;
    while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
        t--;
    if (t - b >= 2 && *b == '"' && t[-1] == '"') {
        b++;
        t--;
    }
    *fb = b;
    *fe = t;
    return d < e ? d + 1 : NULL;
}

static size_t count_fields(const char *b, const char *e, char delim)
{
    size_t n = 1;
    for (const char *p = b; p < e; p++)
        n += *p == delim;
    return n;
}

/* Parses [b, e) as a finite number; 0 if it is not one. */
static int parse_number(const char *b, const char *e, double *v)
{
    size_t n = (size_t)(e - b);
    if (n == 0 || n > MYL_CSV_MAX_FIELD)
        return 0;
    char buf[MYL_CSV_MAX_FIELD + 1];
    memcpy(buf, b, n);
    buf[n] = 0;
    if (memchr(buf, 0, n))
        return 0;
    char *end;
    double x = strtod(buf, &end);
    if (end != buf + n || !isfinite(x))
        return 0;
    *v = x;
    return 1;
}

static void shown(char *dst, size_t cap, const char *b, const char *e)
{
    size_t n = (size_t)(e - b);
    if (n > cap - 4) {
        n = cap - 4;
        memcpy(dst, b, n);
        memcpy(dst + n, "...", 4);
    } else {
        memcpy(dst, b, n);
        dst[n] = 0;
    }
    for (size_t i = 0; dst[i]; i++)
        if ((unsigned char)dst[i] < 0x20)
            dst[i] = '?';
}

static int line_is_numeric(const char *b, const char *e, char delim)
{
    const char *p = b, *fb, *fe;
    double v;
    while (p) {
        p = field(p, e, delim, &fb, &fe);
        if (!parse_number(fb, fe, &v))
            return 0;
    }
    return 1;
}

int myl_csv_parse(const char *name, const char *text, size_t len, const myelin_csv_opts *opts,
                  myelin_data *out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "read_csv: out is NULL");
    memset(out, 0, sizeof *out);
    if (!text && len)
        return myl_fail(MYELIN_EINVAL, "read_csv: text is NULL");
    if (!name)
        name = "(csv)";
    myelin_csv_opts o;
    myelin_csv_opts_default(&o);
    if (opts)
        o = *opts;
    if (o.header < -1 || o.header > 1)
        return myl_fail(MYELIN_EINVAL, "read_csv: header must be -1, 0 or 1 (got %d)", o.header);
    if (o.delimiter == 0 || o.delimiter == '\n' || o.delimiter == '\r' || o.delimiter == '"')
        return myl_fail(MYELIN_EINVAL, "read_csv: bad delimiter (code %d)", o.delimiter);
    if (o.label_index < -2)
        return myl_fail(MYELIN_EINVAL, "read_csv: label_index %ld (use >= 0, -1 last or -2 none)", o.label_index);

    line_iter it = {text, text + len, text, 0};
    const char *b, *e;
    size_t ln;
    if (!next_line(&it, &b, &e, &ln))
        return myl_fail(MYELIN_EFORMAT, "%s: empty file", name);
    size_t ncols = count_fields(b, e, o.delimiter);
    int header = o.header == -1 ? !line_is_numeric(b, e, o.delimiter) : o.header;
    const char *hb = header ? b : NULL, *he = e;
    size_t header_line = ln;

    long label = o.label_index == -1 ? (long)ncols - 1 : o.label_index;
    if (o.label_name) {
        if (!header)
            return myl_fail(MYELIN_EINVAL, "%s: label column \"%s\" named, but the file has no header line",
                            name, o.label_name);
        label = -3;
        const char *p = hb, *fb, *fe;
        for (long c = 0; p; c++) {
            p = field(p, he, o.delimiter, &fb, &fe);
            if ((size_t)(fe - fb) == strlen(o.label_name) && memcmp(fb, o.label_name, (size_t)(fe - fb)) == 0) {
                label = c;
                break;
            }
        }
        if (label == -3)
            return myl_fail(MYELIN_EINVAL, "%s:%zu: no column named \"%s\" in the header", name, header_line,
                            o.label_name);
    }
    if (label >= 0 && (size_t)label >= ncols)
        return myl_fail(MYELIN_EINVAL, "%s: label column %ld, but the file has %zu columns", name, label, ncols);
    size_t nfeat = ncols - (label >= 0 ? 1 : 0);
    if (nfeat == 0)
        return myl_fail(MYELIN_EFORMAT, "%s: no feature columns (%zu column%s, one is the label)", name, ncols,
                        ncols == 1 ? "" : "s");

    /* Pass 1: count the data rows. */
    size_t rows = header ? 0 : 1;
    line_iter it2 = it;
    while (next_line(&it2, &b, &e, &ln))
        rows++;
    if (rows == 0)
        return myl_fail(MYELIN_EFORMAT, "%s: a header but no data rows", name);
    size_t cells, bytes;
    if (!myl_mul_ok(rows, nfeat, &cells) || !myl_mul_ok(cells, sizeof(float), &bytes))
        return myl_fail(MYELIN_EFORMAT, "%s: too large (%zu rows x %zu columns)", name, rows, nfeat);
    myelin_data d = {.rows = rows, .cols = nfeat};
    d.x = myl_alloc(bytes);
    if (label >= 0)
        d.labels = myl_alloc(rows * sizeof *d.labels);
    if (!d.x || (label >= 0 && !d.labels)) {
        myelin_data_free(&d);
        return myl_fail(MYELIN_ENOMEM, "%s: cannot allocate %zu rows x %zu columns", name, rows, nfeat);
    }

    /* Pass 2: parse. */
    line_iter it3 = {text, text + len, text, 0};
    if (header)
        next_line(&it3, &b, &e, &ln);
    int st = MYELIN_OK;
    for (size_t r = 0; r < rows && !st; r++) {
        next_line(&it3, &b, &e, &ln);
        size_t nf = count_fields(b, e, o.delimiter);
        if (nf != ncols) {
            st = myl_fail(MYELIN_EFORMAT, "%s:%zu: ragged row: %zu fields, expected %zu", name, ln, nf, ncols);
            break;
        }
        float *row = d.x + r * nfeat;
        const char *p = b, *fb, *fe;
        size_t f = 0;
        for (size_t c = 0; c < ncols; c++) {
            p = field(p, e, o.delimiter, &fb, &fe);
            double v = 0;
            int ok = parse_number(fb, fe, &v);
            if (ok && (long)c != label && fabs(v) > 3.4e38)
                ok = 0; /* would overflow a float */
            if (ok && (long)c == label && (v != floor(v) || v < 0 || v >= MYL_CSV_MAX_CLASSES)) {
                char s[48];
                shown(s, sizeof s, fb, fe);
                st = myl_fail(MYELIN_EFORMAT, "%s:%zu:%zu: label '%s' is not a class number 0..%d", name, ln,
                              c + 1, s, MYL_CSV_MAX_CLASSES - 1);
                break;
            }
            if (!ok) {
                char s[48];
                shown(s, sizeof s, fb, fe);
                st = myl_fail(MYELIN_EFORMAT, "%s:%zu:%zu: bad value '%s' (not a finite number)", name, ln, c + 1, s);
                break;
            }
            if ((long)c == label) {
                d.labels[r] = (int32_t)v;
                if ((size_t)v + 1 > d.n_classes)
                    d.n_classes = (size_t)v + 1;
            } else {
                row[f++] = (float)v;
            }
        }
    }
    if (st) {
        myelin_data_free(&d);
        return st;
    }
    *out = d;
    return MYELIN_OK;
}

int myelin_read_csv(const char *path, const myelin_csv_opts *opts, myelin_data *out)
{
    if (!out)
        return myl_fail(MYELIN_EINVAL, "read_csv: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path)
        return myl_fail(MYELIN_EINVAL, "read_csv: path is NULL");
    uint8_t *buf;
    size_t len;
    int st = myl_read_file_any(path, &buf, &len);
    if (st)
        return st;
    st = myl_csv_parse(path, (const char *)buf, len, opts, out);
    myl_free(buf);
    return st;
}
