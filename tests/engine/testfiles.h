/* testfiles.h - scratch files for the reader and model-file tests. */
#ifndef MYL_TESTFILES_H
#define MYL_TESTFILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void tf_cleanup(void);

/* A fresh folder under $TMPDIR (or /tmp), removed at exit. */
static inline const char *tf_dir(void)
{
    static char dir[160];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/myelin-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir))
            dir[0] = 0;
        else
            atexit(tf_cleanup);
    }
    return dir;
}

static inline const char *tf_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tf_dir(), name);
    return buf;
}

static inline int tf_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static inline unsigned char *tf_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(len > 0 ? (size_t)len : 1);
    if (p && len > 0 && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = len > 0 ? (size_t)len : 0;
    return p;
}

static inline void tf_cleanup(void)
{
    char cmd[300];
    const char *d = tf_dir();
    if (d[0] == '/' && strstr(d, "/myelin-test-")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        if (system(cmd) != 0) { /* best effort */ }
    }
}

#endif
