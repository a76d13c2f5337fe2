/* Readers and data preparation: IDX (plain, gzip, truncated, corrupted,
   mismatched), CSV (header, label column, ragged rows, bad values with file,
   line and column), split, binary targets, scaling statistics. */
#include "../harness.h"
#include "data/data.h"
#include "myelin.h"
#include "testfiles.h"

#include <math.h>
#include <zlib.h>

static size_t make_idx(unsigned char *p, size_t count, size_t h, size_t w, int labels, uint64_t *rng)
{
    size_t nd = labels ? 1 : 3, n = 0;
    p[n++] = 0, p[n++] = 0, p[n++] = 8, p[n++] = (unsigned char)nd;
    size_t dims[3] = {count, h, w}, body = count;
    for (size_t d = 0; d < nd; d++) {
        p[n++] = (unsigned char)(dims[d] >> 24), p[n++] = (unsigned char)(dims[d] >> 16);
        p[n++] = (unsigned char)(dims[d] >> 8), p[n++] = (unsigned char)dims[d];
        if (d)
            body *= dims[d];
    }
    for (size_t i = 0; i < body; i++)
        p[n++] = (unsigned char)(labels ? th_rand_u64(rng) % 10 : th_rand_u64(rng));
    return n;
}

static int gzip_file(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g)
        return -1;
    int w = gzwrite(g, data, (unsigned)n);
    return (gzclose(g) == Z_OK && (size_t)w == n) ? 0 : -1;
}

static int has(const char *msg, const char *part) { return strstr(msg, part) != NULL; }

TEST(data_idx_roundtrip_plain_and_gzip)
{
    uint64_t rng = 11;
    static unsigned char img[16 + 37 * 5 * 7], lab[8 + 37];
    size_t ni = make_idx(img, 37, 5, 7, 0, &rng), nl = make_idx(lab, 37, 0, 0, 1, &rng);
    char pi[256], pl[256], gi[256], gl[256];
    CHECK(tf_write(tf_path(pi, sizeof pi, "img.idx"), img, ni) == 0, "write");
    CHECK(tf_write(tf_path(pl, sizeof pl, "lab.idx"), lab, nl) == 0, "write");
    CHECK(gzip_file(tf_path(gi, sizeof gi, "img.idx.gz"), img, ni) == 0, "gzip");
    CHECK(gzip_file(tf_path(gl, sizeof gl, "lab.idx.gz"), lab, nl) == 0, "gzip");
    for (int gz = 0; gz < 2; gz++) {
        myelin_data d;
        int st = myelin_read_idx(gz ? gi : pi, gz ? gl : pl, &d);
        if (!CHECK(st == MYELIN_OK, "read_idx gz=%d: %s", gz, myelin_last_error()))
            continue;
        CHECK(d.rows == 37 && d.cols == 35 && d.x_u8 && !d.x && d.labels, "shape %zu x %zu", d.rows, d.cols);
        CHECK(memcmp(d.x_u8, img + 16, 37 * 35) == 0, "pixels differ (gz=%d)", gz);
        size_t maxl = 0, bad = 0;
        for (size_t i = 0; i < 37; i++) {
            bad += d.labels[i] != lab[8 + i];
            maxl = (size_t)d.labels[i] > maxl ? (size_t)d.labels[i] : maxl;
        }
        CHECK(bad == 0, "%zu labels differ", bad);
        CHECK(d.n_classes == maxl + 1, "n_classes %zu, max label %zu", d.n_classes, maxl);
        myelin_dataset v = myelin_data_view(&d);
        CHECK(v.rows == 37 && v.cols == 35 && v.x_u8 == d.x_u8 && v.labels == d.labels && !v.x && !v.y, "view");
        myelin_data_free(&d);
        CHECK(d.x_u8 == NULL && d.labels == NULL && d.rows == 0, "free clears");
    }
}

TEST(data_idx_rejects_bad_files)
{
    uint64_t rng = 12;
    static unsigned char img[16 + 9 * 4 * 4], lab[8 + 9], lab8[8 + 8];
    size_t ni = make_idx(img, 9, 4, 4, 0, &rng), nl = make_idx(lab, 9, 0, 0, 1, &rng);
    size_t nl8 = make_idx(lab8, 8, 0, 0, 1, &rng);
    myelin_data d;
    /* Every truncation of either file is caught. */
    for (size_t cut = 0; cut < ni; cut += th_quick() ? 13 : 1) {
        int st = myl_idx_parse("img", img, cut, "lab", lab, nl, &d);
        CHECK(st == MYELIN_EFORMAT && has(myelin_last_error(), "img"), "image cut at %zu: %d %s", cut, st,
              myelin_last_error());
    }
    for (size_t cut = 0; cut < nl; cut++) {
        int st = myl_idx_parse("img", img, ni, "lab", lab, cut, &d);
        CHECK(st == MYELIN_EFORMAT && has(myelin_last_error(), "lab"), "labels cut at %zu: %d", cut, st);
    }
    CHECK(myl_idx_parse("img", img, ni, "lab", lab, nl, &d) == MYELIN_OK, "the intact pair loads");
    myelin_data_free(&d);
    /* Mismatched counts, swapped files, wrong type, trailing bytes. */
    CHECK(myl_idx_parse("img", img, ni, "lab", lab8, nl8, &d) == MYELIN_EFORMAT &&
              has(myelin_last_error(), "8 labels for 9 images"), "count mismatch: %s", myelin_last_error());
    CHECK(myl_idx_parse("lab", lab, nl, "img", img, ni, &d) == MYELIN_EFORMAT, "swapped files");
    unsigned char bad[sizeof img + 1];
    memcpy(bad, img, ni);
    bad[2] = 0x0d; /* float */
    CHECK(myl_idx_parse("img", bad, ni, "lab", lab, nl, &d) == MYELIN_EFORMAT && has(myelin_last_error(), "0x0d"),
          "float type: %s", myelin_last_error());
    memcpy(bad, img, ni);
    bad[0] = 0x1f;
    CHECK(myl_idx_parse("img", bad, ni, "lab", lab, nl, &d) == MYELIN_EFORMAT && has(myelin_last_error(), "magic"),
          "magic: %s", myelin_last_error());
    memcpy(bad, img, ni);
    bad[ni] = 0;
    CHECK(myl_idx_parse("img", bad, ni + 1, "lab", lab, nl, &d) == MYELIN_EFORMAT, "trailing byte");
    /* A count so large that count x width overflows or exceeds the file. */
    memcpy(bad, img, ni);
    bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0xff;
    CHECK(myl_idx_parse("img", bad, ni, "lab", lab, nl, &d) == MYELIN_EFORMAT && has(myelin_last_error(), "truncated"),
          "huge count: %s", myelin_last_error());
    CHECK(d.x_u8 == NULL && d.labels == NULL, "nothing left allocated on failure");

    /* Files: a missing path, a damaged gzip stream. */
    char p[256], q[256];
    CHECK(myelin_read_idx("/nonexistent/images", "/nonexistent/labels", &d) == MYELIN_EIO &&
              has(myelin_last_error(), "/nonexistent/images"), "missing file: %s", myelin_last_error());
    CHECK(gzip_file(tf_path(p, sizeof p, "bad-img.gz"), img, ni) == 0, "gzip");
    CHECK(tf_write(tf_path(q, sizeof q, "lab-ok"), lab, nl) == 0, "write");
    size_t gn = 0;
    unsigned char *g = tf_read(p, &gn);
    if (CHECK(g && gn > 20, "read back")) {
        CHECK(tf_write(p, g, gn - 9) == 0, "write truncated gz");
        CHECK(myelin_read_idx(p, q, &d) == MYELIN_EFORMAT && has(myelin_last_error(), "gzip"), "truncated gz: %s",
              myelin_last_error());
        g[gn / 2] ^= 0x55;
        CHECK(tf_write(p, g, gn) == 0, "write corrupted gz");
        int st = myelin_read_idx(p, q, &d);
        CHECK(st == MYELIN_EFORMAT, "corrupted gz: %d %s", st, myelin_last_error());
    }
    free(g);
    CHECK(myelin_read_idx(NULL, q, &d) == MYELIN_EINVAL, "NULL path");
    CHECK(myelin_read_idx(p, q, NULL) == MYELIN_EINVAL, "NULL out");
}

static int csv(const char *text, const myelin_csv_opts *o, myelin_data *d)
{
    return myl_csv_parse("t.csv", text, strlen(text), o, d);
}

TEST(data_csv_parses_headers_and_labels)
{
    myelin_data d;
    myelin_csv_opts o;
    myelin_csv_opts_default(&o);
    CHECK(o.header == -1 && o.label_index == -1 && o.delimiter == ',' && !o.label_name, "defaults");
    /* Detected header, label last, CRLF, blank lines, quotes and spaces. */
    if (CHECK(csv("a,b,y\r\n1.5, -2 ,1\r\n\r\n\"3\",4e1,0\n", NULL, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.rows == 2 && d.cols == 2 && d.x && !d.x_u8 && d.n_classes == 2, "shape %zu x %zu", d.rows, d.cols);
        CHECK(d.x[0] == 1.5f && d.x[1] == -2.0f && d.x[2] == 3.0f && d.x[3] == 40.0f, "values");
        CHECK(d.labels[0] == 1 && d.labels[1] == 0, "labels");
        myelin_data_free(&d);
    }
    /* No header, label by index 0, last line without newline. */
    o.label_index = 0;
    if (CHECK(csv("2,0.25,0.5\n7,1,2", &o, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.rows == 2 && d.cols == 2 && d.labels[0] == 2 && d.labels[1] == 7 && d.n_classes == 8, "index 0");
        CHECK(d.x[0] == 0.25f && d.x[3] == 2.0f, "values");
        myelin_data_free(&d);
    }
    /* Label by name; semicolons. */
    myelin_csv_opts_default(&o);
    o.label_name = "cls";
    o.delimiter = ';';
    if (CHECK(csv("x;cls;z\n1;2;3\n4;5;6\n", &o, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.cols == 2 && d.x[0] == 1 && d.x[1] == 3 && d.labels[1] == 5, "by name");
        myelin_data_free(&d);
    }
    /* No label column: features only. */
    myelin_csv_opts_default(&o);
    o.label_index = -2;
    if (CHECK(csv("1,2\n3,4\n", &o, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.rows == 2 && d.cols == 2 && !d.labels && d.n_classes == 0 && d.x[3] == 4, "no label");
        myelin_data_free(&d);
    }
    /* A declared header that is numeric is still skipped. */
    myelin_csv_opts_default(&o);
    o.header = 1;
    if (CHECK(csv("0,1\n5,1\n", &o, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.rows == 1 && d.x[0] == 5, "declared header");
        myelin_data_free(&d);
    }
}

TEST(data_csv_errors_name_file_line_column)
{
    myelin_data d;
    myelin_csv_opts o;
    myelin_csv_opts_default(&o);
    struct { const char *text; const char *msg; } cases[] = {
        {"a,b,y\n1,2,0\n3,4\n", "t.csv:3: ragged row: 2 fields, expected 3"},
        {"a,b,y\n1,2,0\n3,4,1,9\n", "t.csv:3: ragged row: 4 fields, expected 3"},
        {"1,2,0\n3,x7,1\n", "t.csv:2:2: bad value 'x7'"},
        {"1,2,0\n3,,1\n", "t.csv:2:2: bad value ''"},
        {"1,2,0\n3,nan,1\n", "t.csv:2:2: bad value 'nan'"},
        {"1,2,0\n3,1e999,1\n", "t.csv:2:2: bad value '1e999'"},
        {"1,2,0\n\n\n3,4,1.5\n", "t.csv:4:3: label '1.5'"},
        {"1,2,-1\n", "t.csv:1:3: label '-1'"},
        {"", "t.csv: empty file"},
        {"\n \n", "t.csv: empty file"},
        {"a,b,y\n", "no data rows"},
        {"7\n8\n", "no feature columns"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = csv(cases[i].text, &o, &d);
        CHECK(st == MYELIN_EFORMAT && has(myelin_last_error(), cases[i].msg), "case %zu: %d \"%s\" lacks \"%s\"", i, st,
              myelin_last_error(), cases[i].msg);
        CHECK(!d.x && !d.labels, "case %zu left memory", i);
    }
    o.label_name = "nope";
    CHECK(csv("a,b\n1,2\n", &o, &d) == MYELIN_EINVAL && has(myelin_last_error(), "nope"), "unknown label name");
    CHECK(csv("1,2\n1,2\n", &o, &d) == MYELIN_EINVAL && has(myelin_last_error(), "no header"), "name without header");
    myelin_csv_opts_default(&o);
    o.label_index = 5;
    CHECK(csv("1,2\n", &o, &d) == MYELIN_EINVAL && has(myelin_last_error(), "label column 5"), "index out of range");
    o.label_index = -3;
    CHECK(csv("1,2\n", &o, &d) == MYELIN_EINVAL, "bad label_index");
    myelin_csv_opts_default(&o);
    o.delimiter = '\n';
    CHECK(csv("1,2\n", &o, &d) == MYELIN_EINVAL, "bad delimiter");
    CHECK(myelin_read_csv("/nonexistent.csv", NULL, &d) == MYELIN_EIO && has(myelin_last_error(), "/nonexistent.csv"),
          "missing file");
    /* A gzip'ed CSV reads like the plain one. */
    char p[256];
    const char *text = "f1,f2,label\n0.5,1,3\n2,3,1\n";
    CHECK(gzip_file(tf_path(p, sizeof p, "t.csv.gz"), text, strlen(text)) == 0, "gzip");
    if (CHECK(myelin_read_csv(p, NULL, &d) == MYELIN_OK, "gz csv: %s", myelin_last_error())) {
        CHECK(d.rows == 2 && d.cols == 2 && d.labels[0] == 3 && d.n_classes == 4 && d.x[0] == 0.5f, "gz content");
        myelin_data_free(&d);
    }
}

TEST(data_csv_random_tables_roundtrip)
{
    uint64_t rng = 99;
    int rounds = th_quick() ? 3 : 20;
    for (int r = 0; r < rounds; r++) {
        size_t rows = 1 + th_rand_u64(&rng) % 50, cols = 1 + th_rand_u64(&rng) % 9;
        size_t cap = 64 + rows * (cols + 1) * 24;
        char *text = malloc(cap), *q = text;
        float *ref = malloc(rows * cols * sizeof *ref);
        int32_t *lab = malloc(rows * sizeof *lab);
        q += sprintf(q, "h0");
        for (size_t c = 1; c <= cols; c++)
            q += sprintf(q, ",h%zu", c);
        *q++ = '\n';
        for (size_t i = 0; i < rows; i++) {
            lab[i] = (int32_t)(th_rand_u64(&rng) % 5);
            q += sprintf(q, "%d", lab[i]);
            for (size_t c = 0; c < cols; c++) {
                ref[i * cols + c] = th_rand_uniform(&rng, -1e3f, 1e3f);
                q += sprintf(q, ",%.9g", ref[i * cols + c]);
            }
            *q++ = '\n';
        }
        *q = 0;
        myelin_csv_opts o;
        myelin_csv_opts_default(&o);
        o.label_name = "h0";
        myelin_data d;
        if (CHECK(csv(text, &o, &d) == MYELIN_OK, "round %d: %s", r, myelin_last_error())) {
            CHECK(d.rows == rows && d.cols == cols, "shape");
            size_t bad = 0;
            for (size_t i = 0; i < rows * cols; i++)
                bad += d.x[i] != ref[i];
            for (size_t i = 0; i < rows; i++)
                bad += d.labels[i] != lab[i];
            CHECK(bad == 0, "round %d: %zu cells differ", r, bad);
            myelin_data_free(&d);
        }
        free(text), free(ref), free(lab);
    }
}

TEST(data_builtin_sets)
{
    myelin_data d;
    CHECK(myelin_data_builtin("xor", &d) == MYELIN_OK, "xor");
    CHECK(d.rows == 4 && d.cols == 2 && d.n_classes == 2, "xor shape");
    for (size_t i = 0; i < 4; i++)
        CHECK(d.labels[i] == ((d.x[2 * i] != 0) ^ (d.x[2 * i + 1] != 0)), "xor row %zu", i);
    myelin_data_free(&d);
    CHECK(myelin_data_builtin("table3", &d) == MYELIN_OK, "table3");
    CHECK(d.rows == 8 && d.cols == 3, "table3 shape");
    /* The notebooks' rule: y = x1 XOR x2 when x3 = 0 ... stated row by row in issue 4. */
    static const float rows[8][4] = {{1, 0, 0, 1}, {0, 1, 0, 0}, {1, 1, 0, 1}, {0, 0, 0, 0},
                                     {1, 0, 1, 0}, {0, 0, 1, 0}, {1, 1, 1, 1}, {0, 1, 1, 1}};
    for (size_t i = 0; i < 8; i++)
        CHECK(d.x[3 * i] == rows[i][0] && d.x[3 * i + 1] == rows[i][1] && d.x[3 * i + 2] == rows[i][2] &&
                  d.labels[i] == (int32_t)rows[i][3], "table3 row %zu", i);
    myelin_data_free(&d);
    CHECK(myelin_data_builtin("iris", &d) == MYELIN_EINVAL && has(myelin_last_error(), "iris"), "unknown set");
}

TEST(data_split_is_seeded_and_partitions)
{
    myelin_data d, v;
    size_t n = 1000, cols = 3;
    for (int seed = 1; seed <= 2; seed++) {
        d = (myelin_data){.rows = n, .cols = cols, .n_classes = 7};
        d.x = malloc(n * cols * sizeof(float));
        d.labels = malloc(n * sizeof(int32_t));
        for (size_t i = 0; i < n; i++) {
            for (size_t c = 0; c < cols; c++)
                d.x[i * cols + c] = (float)(i * 10 + c);
            d.labels[i] = (int32_t)(i % 7);
        }
        CHECK(myelin_data_split(&d, 0.1, 42, &v) == MYELIN_OK, "%s", myelin_last_error());
        CHECK(d.rows == 900 && v.rows == 100 && v.cols == cols && v.n_classes == 7, "sizes %zu %zu", d.rows, v.rows);
        /* Every original row lands exactly once; rows stay intact, in order. */
        unsigned char *seen = calloc(n, 1);
        size_t bad = 0;
        for (int part = 0; part < 2; part++) {
            const myelin_data *p = part ? &v : &d;
            size_t prev = 0;
            for (size_t i = 0; i < p->rows; i++) {
                size_t id = (size_t)p->x[i * cols] / 10;
                bad += id >= n || seen[id]++ || p->x[i * cols + 2] != (float)(id * 10 + 2) ||
                       p->labels[i] != (int32_t)(id % 7) || (i && id <= prev);
                prev = id;
            }
        }
        CHECK(bad == 0, "%zu rows misplaced", bad);
        /* The same seed picks the same rows. */
        static float first[2];
        if (seed == 1)
            first[0] = v.x[0], first[1] = v.x[3 * 50];
        else
            CHECK(first[0] == v.x[0] && first[1] == v.x[3 * 50], "same seed, different split");
        free(seen);
        myelin_data_free(&v);
        free(d.x), free(d.labels);
    }
    d = (myelin_data){.rows = 1, .cols = 1};
    float one = 1;
    d.x = &one;
    CHECK(myelin_data_split(&d, 0.5, 1, &v) == MYELIN_EINVAL, "one row");
    d.rows = 10;
    CHECK(myelin_data_split(&d, 1.0, 1, &v) == MYELIN_EINVAL && myelin_data_split(&d, NAN, 1, &v) == MYELIN_EINVAL,
          "bad fractions");
}

TEST(data_binary_targets)
{
    int32_t lab[10];
    myelin_data d = {.rows = 10, .cols = 1, .labels = lab, .n_classes = 10};
    for (int i = 0; i < 10; i++)
        lab[i] = i;
    CHECK(myelin_data_binary(&d, "odd") == MYELIN_OK && d.n_classes == 2, "odd");
    for (int i = 0; i < 10; i++)
        CHECK(lab[i] == (i & 1), "odd %d -> %d", i, lab[i]);
    for (int i = 0; i < 10; i++)
        lab[i] = i;
    d.n_classes = 10;
    CHECK(myelin_data_binary(&d, "3,5,9") == MYELIN_OK, "list");
    for (int i = 0; i < 10; i++)
        CHECK(lab[i] == (i == 3 || i == 5 || i == 9), "list %d -> %d", i, lab[i]);
    d.n_classes = 10;
    CHECK(myelin_data_binary(&d, "3,x") == MYELIN_EINVAL && myelin_data_binary(&d, "") == MYELIN_EINVAL, "bad rule");
    d.labels = NULL;
    CHECK(myelin_data_binary(&d, "odd") == MYELIN_EINVAL, "no labels");
}

TEST(data_scale_and_standardize_stats)
{
    uint64_t rng = 5;
    size_t rows = 257, cols = 6;
    float *x = malloc(rows * cols * sizeof *x);
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = (i % cols == 4) ? 2.5f : th_rand_uniform(&rng, -3, 10);
    myelin_data d = {.rows = rows, .cols = cols, .x = x};
    float off[6], sc[6];
    CHECK(myelin_data_scale_stats(&d, off, sc, cols) == MYELIN_OK, "scale");
    for (size_t c = 0; c < cols; c++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t r = 0; r < rows; r++)
            lo = fmin(lo, x[r * cols + c]), hi = fmax(hi, x[r * cols + c]);
        double want = hi > lo ? 1 / (hi - lo) : 1;
        CHECK(off[c] == (float)lo && fabs(sc[c] - want) <= 1e-6 * want, "scale col %zu", c);
    }
    CHECK(myelin_data_standardize_stats(&d, off, sc, cols) == MYELIN_OK, "standardize");
    for (size_t c = 0; c < cols; c++) {
        double m = 0, v = 0;
        for (size_t r = 0; r < rows; r++)
            m += x[r * cols + c];
        m /= rows;
        for (size_t r = 0; r < rows; r++)
            v += (x[r * cols + c] - m) * (x[r * cols + c] - m);
        double sd = sqrt(v / rows), want = sd > 0 ? 1 / sd : 1;
        CHECK(fabs(off[c] - m) <= 1e-5 * (1 + fabs(m)) && fabs(sc[c] - want) <= 1e-5 * want,
              "standardize col %zu: %g %g vs %g %g", c, off[c], sc[c], m, want);
    }
    CHECK(sc[4] == 1.0f, "constant column keeps scale 1");
    uint8_t px[4] = {0, 10, 200, 255};
    myelin_data b = {.rows = 2, .cols = 2, .x_u8 = px};
    CHECK(myelin_data_scale_stats(&b, off, sc, 2) == MYELIN_OK && off[0] == 0 && sc[1] == 1.0f / 255, "bytes");
    CHECK(myelin_data_scale_stats(&d, off, sc, 5) == MYELIN_EINVAL, "n mismatch");
    CHECK(myelin_data_standardize_stats(&d, NULL, sc, cols) == MYELIN_EINVAL, "NULL offset");
    free(x);
}

TEST(data_real_files_when_present)
{
    const char *img = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const char *lab = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(img, R_OK) != 0 || th_quick()) {
        th_skip(th_quick() ? "quick run" : "fashion-mnist not installed");
        return;
    }
    myelin_data d;
    if (CHECK(myelin_read_idx(img, lab, &d) == MYELIN_OK, "%s", myelin_last_error())) {
        CHECK(d.rows == 10000 && d.cols == 784 && d.n_classes == 10, "t10k shape %zu x %zu, %zu classes", d.rows,
              d.cols, d.n_classes);
        size_t count[10] = {0};
        for (size_t i = 0; i < d.rows; i++)
            count[d.labels[i]]++;
        CHECK(count[0] == 1000 && count[9] == 1000, "balanced classes (%zu, %zu)", count[0], count[9]);
        myelin_data_free(&d);
    }
    const char *digits = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
    if (access(digits, R_OK) == 0) {
        if (CHECK(myelin_read_csv(digits, NULL, &d) == MYELIN_OK, "%s", myelin_last_error())) {
            CHECK(d.rows == 1797 && d.cols == 64 && d.n_classes == 10, "digits %zu x %zu", d.rows, d.cols);
            myelin_data_free(&d);
        }
    } else {
        th_note("sklearn digits.csv.gz not installed: not read");
    }
}
