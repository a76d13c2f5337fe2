/* Model files: save/load round trip (specs, parameters, input transform,
   loss), atomic replacement, and rejection of truncated, corrupted, foreign
   and inconsistent files without crashes or large allocations. */
#include "../harness.h"
#include "data/data.h"
#include "internal.h"
#include "myelin.h"
#include "testfiles.h"

#include <math.h>
#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

static int has(const char *msg, const char *part) { return strstr(msg, part) != NULL; }

/* A net with random parameters and transform, so nothing matches by luck. */
static myelin_net *random_net(const char *desc, myelin_loss loss, uint64_t seed)
{
    myelin_net *net = NULL;
    if (myelin_net_create_str(desc, loss, seed, &net) != MYELIN_OK)
        return NULL;
    uint64_t rng = seed * 7 + 1;
    size_t in = myelin_net_inputs(net);
    for (size_t l = 0; l < myelin_net_num_layers(net); l++) {
        myelin_layer_spec s;
        myelin_net_layer(net, l, &s);
        float *w = malloc(in * s.units * sizeof *w), *b = malloc(s.units * sizeof *b);
        for (size_t i = 0; i < in * s.units; i++)
            w[i] = th_rand_uniform(&rng, -2, 2);
        for (size_t i = 0; i < s.units; i++)
            b[i] = th_rand_uniform(&rng, -1, 1);
        myelin_net_set_params(net, l, w, b);
        free(w), free(b);
        in = s.units;
    }
    in = myelin_net_inputs(net);
    float *off = malloc(in * sizeof *off), *sc = malloc(in * sizeof *sc);
    for (size_t i = 0; i < in; i++)
        off[i] = th_rand_uniform(&rng, -5, 5), sc[i] = th_rand_uniform(&rng, 0.1f, 3);
    myelin_net_set_input_transform(net, off, sc, in);
    free(off), free(sc);
    return net;
}

/* 1 if both nets describe the same model bit for bit. */
static int same_net(const myelin_net *a, const myelin_net *b)
{
    if (myelin_net_inputs(a) != myelin_net_inputs(b) || myelin_net_num_layers(a) != myelin_net_num_layers(b) ||
        myelin_net_loss(a) != myelin_net_loss(b))
        return 0;
    size_t in = myelin_net_inputs(a);
    int same = 1;
    float *t1 = malloc(2 * in * sizeof(float)), *t2 = malloc(2 * in * sizeof(float));
    myelin_net_get_input_transform(a, t1, t1 + in, in);
    myelin_net_get_input_transform(b, t2, t2 + in, in);
    same &= memcmp(t1, t2, 2 * in * sizeof(float)) == 0;
    free(t1), free(t2);
    for (size_t l = 0; l < myelin_net_num_layers(a); l++) {
        myelin_layer_spec sa, sb;
        myelin_net_layer(a, l, &sa);
        myelin_net_layer(b, l, &sb);
        same &= sa.units == sb.units && sa.act == sb.act && sa.init == sb.init && sa.lr_mult == sb.lr_mult &&
                sa.dropout == sb.dropout && sa.dropconnect == sb.dropconnect && sa.init_scale == sb.init_scale &&
                sa.bias_init == sb.bias_init;
        size_t n = in * sa.units + sa.units;
        float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float));
        myelin_net_get_params(a, l, p1, p1 + in * sa.units);
        myelin_net_get_params(b, l, p2, p2 + in * sa.units);
        same &= memcmp(p1, p2, n * sizeof(float)) == 0;
        free(p1), free(p2);
        in = sa.units;
    }
    return same;
}

static size_t tmp_files_left(void)
{
    size_t n = 0;
    DIR *d = opendir(tf_dir());
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

TEST(model_crc32_matches_zlib)
{
    CHECK(myl_crc32(0, "123456789", 9) == 0xCBF43926u, "check value");
    uint64_t rng = 3;
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)th_rand_u64(&rng);
    CHECK(myl_crc32(0, buf, sizeof buf) == (uint32_t)crc32(0, buf, sizeof buf), "random bytes");
    CHECK(myl_crc32(myl_crc32(0, buf, 300), buf + 300, 700) == myl_crc32(0, buf, 1000), "incremental");
}

TEST(model_save_load_roundtrip)
{
    struct { const char *desc; myelin_loss loss; } nets[] = {
        {"784,128:relu,64:relu,10:softmax", MYELIN_LOSS_CE},
        {"2,3:relu,1:sigmoid", MYELIN_LOSS_BCE},
        {"3,4:sigmoid,1", MYELIN_LOSS_MSE},
        {"5,7:tanh:he_normal,6:leaky_relu,3:linear", MYELIN_LOSS_MAE},
    };
    char path[256];
    tf_path(path, sizeof path, "m.myl");
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        myelin_net *a = random_net(nets[i].desc, nets[i].loss, 10 + i), *b = NULL;
        if (!CHECK(a, "create %s: %s", nets[i].desc, myelin_last_error()))
            continue;
        CHECK(myelin_net_save(a, path) == MYELIN_OK, "save %s: %s", nets[i].desc, myelin_last_error());
        if (CHECK(myelin_net_load(path, &b) == MYELIN_OK, "load %s: %s", nets[i].desc, myelin_last_error())) {
            CHECK(same_net(a, b), "%s differs after the round trip", nets[i].desc);
            /* Saving the loaded net gives the same bytes. */
            uint8_t *x, *y;
            size_t nx, ny;
            if (myl_model_serialize(a, &x, &nx) == 0 && myl_model_serialize(b, &y, &ny) == 0) {
                CHECK(nx == ny && memcmp(x, y, nx) == 0, "re-serialised bytes differ");
                myl_free(x), myl_free(y);
            }
        }
        myelin_net_free(a);
        myelin_net_free(b);
    }
    CHECK(tmp_files_left() == 0, "temporary files left behind");
}

TEST(model_failed_save_keeps_old_file)
{
    char path[256], dirpath[256];
    tf_path(path, sizeof path, "keep.myl");
    myelin_net *a = random_net("4,3:relu,2:softmax", MYELIN_LOSS_CE, 1);
    if (!CHECK(a, "create"))
        return;
    CHECK(myelin_net_save(a, path) == MYELIN_OK, "save: %s", myelin_last_error());
    size_t n0 = 0, n1 = 0;
    unsigned char *before = tf_read(path, &n0);
    /* A folder that does not exist, a directory in the way. */
    CHECK(myelin_net_save(a, "/nonexistent-myelin-dir/m.myl") == MYELIN_EIO &&
              has(myelin_last_error(), "/nonexistent-myelin-dir"), "missing folder: %s", myelin_last_error());
    tf_path(dirpath, sizeof dirpath, "adir");
    mkdir(dirpath, 0755);
    CHECK(myelin_net_save(a, dirpath) == MYELIN_EIO, "directory target: %s", myelin_last_error());
    CHECK(tmp_files_left() == 0, "a failed save left its temporary file");
    /* Overwriting with another net replaces the file in one step. */
    myelin_net *b = random_net("4,3:relu,2:softmax", MYELIN_LOSS_CE, 2), *c = NULL;
    CHECK(myelin_net_save(b, path) == MYELIN_OK && myelin_net_load(path, &c) == MYELIN_OK && same_net(b, c),
          "overwrite");
    unsigned char *after = tf_read(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) != 0, "overwritten with new parameters");
    free(before), free(after);
    myelin_net_free(c);
    CHECK(myelin_net_save(NULL, path) == MYELIN_EINVAL && myelin_net_save(a, "") == MYELIN_EINVAL, "bad args");
    CHECK(myelin_net_load(NULL, &c) == MYELIN_EINVAL && c == NULL && myelin_net_load(path, NULL) == MYELIN_EINVAL,
          "bad args");
    myelin_net_free(a), myelin_net_free(b);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static void fix_crc(uint8_t *p, size_t n) { put32(p + n - 4, myl_crc32(0, p, n - 4)); }

TEST(model_rejects_bad_files)
{
    myelin_net *a = random_net("6,5:relu,3:softmax", MYELIN_LOSS_CE, 4), *b = NULL;
    uint8_t *img;
    size_t n;
    if (!CHECK(a && myl_model_serialize(a, &img, &n) == MYELIN_OK, "serialize"))
        return;
    CHECK(myl_model_parse("m", img, n, &b) == MYELIN_OK, "intact image loads: %s", myelin_last_error());
    myelin_net_free(b);
    /* Every truncation and every single-bit flip is an EFORMAT, nothing else. */
    size_t bad = 0, step = th_quick() ? 7 : 1;
    for (size_t cut = 0; cut < n; cut += step) {
        b = NULL;
        bad += myl_model_parse("m", img, cut, &b) != MYELIN_EFORMAT || b;
    }
    CHECK(bad == 0, "%zu truncations not rejected", bad);
    uint8_t *c = malloc(n + 8);
    for (size_t i = 0; i < n; i += step)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, img, n);
            c[i] ^= (uint8_t)(1u << bit);
            b = NULL;
            bad += myl_model_parse("m", c, n, &b) != MYELIN_EFORMAT || b;
        }
    CHECK(bad == 0, "%zu bit flips not rejected", bad);
    memcpy(c, img, n);
    c[n / 2] ^= 1;
    myl_model_parse("m", c, n, &b);
    CHECK(has(myelin_last_error(), "CRC"), "flip reports the CRC: %s", myelin_last_error());
    /* Trailing bytes, a newer version, a foreign file. */
    memcpy(c, img, n);
    CHECK(myl_model_parse("m", c, n + 8, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "trailing"), "trailing");
    put32(c + 8, 2);
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "version 2"), "version: %s",
          myelin_last_error());
    CHECK(myl_model_parse("m", (const uint8_t *)"784,128:relu\n", 13, &b) == MYELIN_EFORMAT &&
              has(myelin_last_error(), "not a Myelin model"), "foreign: %s", myelin_last_error());
    /* Valid CRC and length field, but dimensions that would need gigabytes:
       refused from the sizes, before any allocation. */
    memcpy(c, img, n);
    put32(c + 24, 1u << 24);
    put32(c + 40, 1u << 24);
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "need"), "huge dims: %s",
          myelin_last_error());
    memcpy(c, img, n);
    put32(c + 28, 65);
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "layer count"), "65 layers");
    memcpy(c, img, n);
    put32(c + 44, 9); /* layer 0's activation */
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "activation"), "bad act");
    memcpy(c, img, n);
    memcpy(c + n - 8, "\x00\x00\xc0\x7f", 4); /* a NaN bias */
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "non-finite"), "NaN: %s",
          myelin_last_error());
    /* A softmax in the middle is a description the engine refuses. */
    memcpy(c, img, n);
    put32(c + 44, MYELIN_ACT_SOFTMAX);
    fix_crc(c, n);
    CHECK(myl_model_parse("m", c, n, &b) == MYELIN_EFORMAT && has(myelin_last_error(), "invalid net"),
          "softmax inside: %s", myelin_last_error());
    /* From a file: a missing path is EIO, a corrupted one EFORMAT. */
    char path[256];
    CHECK(myelin_net_load("/nonexistent.myl", &b) == MYELIN_EIO, "missing");
    memcpy(c, img, n);
    c[n - 20] ^= 0x40;
    tf_write(tf_path(path, sizeof path, "bad.myl"), c, n);
    CHECK(myelin_net_load(path, &b) == MYELIN_EFORMAT && has(myelin_last_error(), path) && b == NULL,
          "corrupted file: %s", myelin_last_error());
    free(c);
    myl_free(img);
    myelin_net_free(a);
}
