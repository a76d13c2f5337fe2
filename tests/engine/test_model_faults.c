/* Faults while saving a model (engine/model.c, myelin_net_save): the Nth
   write, fsync, rename or folder fsync fails with ENOSPC or EIO, for every
   N a save reaches; and saving processes killed with SIGKILL at random
   points. Every time the file at the path must load and be the previous
   model or the new one, complete; a failed save must leave no temporary
   file and name the file and the cause.

   The four calls are interposed for the whole test program: outside these
   tests (fi.armed == 0) they go straight to the system calls. */
#include "../harness.h"
#include "myelin.h"
#include "testfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OP_WRITE, OP_FSYNC, OP_RENAME, OP_DIRSYNC, N_OPS };
static const char *OP_NAMES[N_OPS] = {"write", "fsync", "rename", "folder fsync"};

static struct {
    int armed, op, err;
    long at, calls[N_OPS];
    size_t write_cap; /* short writes, so that a save makes many write calls */
} fi;

static int inject(int op)
{
    if (!fi.armed)
        return 0;
    if (++fi.calls[op] == fi.at && op == fi.op) {
        errno = fi.err;
        return 1;
    }
    return 0;
}

ssize_t write(int fd, const void *p, size_t n)
{
    if (fi.armed) {
        if (inject(OP_WRITE))
            return -1;
        if (fi.write_cap && n > fi.write_cap)
            n = fi.write_cap;
    }
    return syscall(SYS_write, fd, p, n);
}

int fsync(int fd)
{
    if (fi.armed) {
        struct stat st;
        const int dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
        if (inject(dir ? OP_DIRSYNC : OP_FSYNC))
            return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to)
{
    if (inject(OP_RENAME))
        return -1;
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
}

static void arm(int op, long at, int err)
{
    memset(&fi, 0, sizeof fi);
    fi.op = op;
    fi.at = at;
    fi.err = err;
    fi.write_cap = 4096;
    fi.armed = 1;
}

static size_t tmp_files_left(int remove_them)
{
    size_t n = 0;
    DIR *d = opendir(tf_dir());
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            n++;
            if (remove_them) {
                char p[512];
                snprintf(p, sizeof p, "%s/%s", tf_dir(), e->d_name);
                unlink(p);
            }
        }
    if (d)
        closedir(d);
    return n;
}

/* 0: the file at path is neither model (lost), 1: the old one, 2: the new one. */
static int which_model(const char *path, const unsigned char *old, size_t n_old, const unsigned char *new,
                       size_t n_new)
{
    myelin_net *net = NULL;
    if (myelin_net_load(path, &net) != MYELIN_OK)
        return 0;
    myelin_net_free(net);
    size_t n = 0;
    unsigned char *b = tf_read(path, &n);
    const int w = !b ? 0 : n == n_old && !memcmp(b, old, n) ? 1 : n == n_new && !memcmp(b, new, n) ? 2 : 0;
    free(b);
    return w;
}

/* Two nets saved once each: the bytes of the old and the new model. */
static int two_models(const char *path, myelin_net **a, myelin_net **b, unsigned char **old, size_t *n_old,
                      unsigned char **new, size_t *n_new)
{
    if (!CHECK(!myelin_net_create_str("300,64:relu,10:softmax", MYELIN_LOSS_CE, 1, a) &&
               !myelin_net_create_str("300,64:relu,10:softmax", MYELIN_LOSS_CE, 2, b), "%s", myelin_last_error()))
        return 0;
    CHECK(!myelin_net_save(*b, path), "%s", myelin_last_error());
    *new = tf_read(path, n_new);
    CHECK(!myelin_net_save(*a, path), "%s", myelin_last_error());
    *old = tf_read(path, n_old);
    return *old && *new;
}

TEST(model_save_faults_on_every_call)
{
    char path[256];
    tf_path(path, sizeof path, "fault.myl");
    myelin_net *a = NULL, *b = NULL;
    unsigned char *old = NULL, *new = NULL;
    size_t n_old = 0, n_new = 0;
    if (!two_models(path, &a, &b, &old, &n_old, &new, &n_new))
        goto out;
    arm(-1, 0, 0); /* count the calls of one save */
    int st = myelin_net_save(b, path);
    long calls[N_OPS];
    memcpy(calls, fi.calls, sizeof calls);
    fi.armed = 0;
    CHECK(st == MYELIN_OK && calls[OP_WRITE] > 1 && calls[OP_FSYNC] == 1 && calls[OP_RENAME] == 1,
          "counting save: status %d, %ld writes, %ld fsyncs, %ld renames", st, calls[OP_WRITE], calls[OP_FSYNC],
          calls[OP_RENAME]);
    const int errs[] = {ENOSPC, EIO};
    long injected = 0, lost = 0, by_op[N_OPS] = {0};
    for (int op = 0; op < N_OPS; op++)
        for (size_t e = 0; e < 2; e++)
            for (long n = 1; n <= calls[op]; n++) {
                if (myelin_net_save(a, path)) { /* the previous model, disarmed */
                    CHECK(0, "re-saving the old model: %s", myelin_last_error());
                    goto out;
                }
                arm(op, n, errs[e]);
                st = myelin_net_save(b, path);
                fi.armed = 0;
                injected++;
                by_op[op]++;
                const int w = which_model(path, old, n_old, new, n_new);
                lost += w == 0;
                const char *why = strerror(errs[e]);
                if (st == MYELIN_OK) {
                    /* only the folder's fsync, after the rename, may fail unreported */
                    CHECK(w == 2 && op == OP_DIRSYNC, "%s #%ld (%s) failed, yet the save succeeded with model %d",
                          OP_NAMES[op], n, why, w);
                } else {
                    CHECK(w == 1, "%s #%ld (%s): the save failed and the file is %s", OP_NAMES[op], n, why,
                          w ? "the new model" : "lost");
                    CHECK(strstr(myelin_last_error(), path) && strstr(myelin_last_error(), why),
                          "%s #%ld: the message names neither the file nor the cause: %s", OP_NAMES[op], n,
                          myelin_last_error());
                }
                CHECK(tmp_files_left(1) == 0, "%s #%ld (%s): a temporary file was left behind", OP_NAMES[op], n,
                      why);
            }
    CHECK(lost == 0, "%ld models lost", lost);
    printf("    save faults: %ld injected (write %ld, fsync %ld, rename %ld, folder fsync %ld; ENOSPC and EIO), "
           "models lost %ld\n", injected, by_op[OP_WRITE], by_op[OP_FSYNC], by_op[OP_RENAME], by_op[OP_DIRSYNC],
           lost);
out:
    fi.armed = 0;
    myelin_net_free(a), myelin_net_free(b);
    free(old), free(new);
}

TEST(model_save_killed_at_random_points)
{
    char path[256];
    tf_path(path, sizeof path, "kill.myl");
    myelin_net *a = NULL, *b = NULL;
    unsigned char *old = NULL, *new = NULL;
    size_t n_old = 0, n_new = 0;
    if (!two_models(path, &a, &b, &old, &n_old, &new, &n_new))
        goto out;
    const int kills = th_quick() ? 50 : 200;
    uint64_t rng = 77;
    int lost = 0, killed_saving = 0;
    size_t tmp_left = 0;
    for (int i = 0; i < kills; i++) {
        fflush(stdout);
        const pid_t pid = fork();
        if (pid == 0) { /* saves the two models in turn until killed */
            for (unsigned k = 0;; k++)
                myelin_net_save(k & 1 ? a : b, path);
        }
        if (!CHECK(pid > 0, "fork failed"))
            break;
        usleep((useconds_t)(th_rand_u64(&rng) % 3000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        killed_saving += WIFSIGNALED(status);
        const int w = which_model(path, old, n_old, new, n_new);
        lost += w == 0;
        tmp_left += tmp_files_left(1); /* a killed save cannot remove its temporary file */
    }
    CHECK(lost == 0, "%d of %d kills lost the model", lost, kills);
    printf("    save kills: %d SIGKILLs (%d while saving in a loop), models lost %d, temporary files left by "
           "killed saves %zu (removed)\n", kills, killed_saving, lost, tmp_left);
out:
    myelin_net_free(a), myelin_net_free(b);
    free(old), free(new);
}
