/* Communication: every call with a deadline (a rank that died or stopped
   must not hang the others), and the gradient exchange of a step.

   The exchange is a reduce-scatter over a fixed layout followed by an
   all-gather, both point to point (MPI_Isend/MPI_Irecv). The gradient vector is cut into one slice per rank; each rank
   sends, to the owner of each slice, that slice of each of its node sums
   (mpi-internal.h: the maximal tree nodes inside its chunks), and its chunks'
   losses. The owner adds the nodes of its slice on the fixed tree
   (myl_tree_sum), then every rank gathers every slice. MPI itself adds
   nothing (MPI_Allreduce's order would depend on the algorithm and the
   number of processes): it only moves bytes. */
#include "mpi-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int myl_mpi_check(const myl_mpi_ctx *c, int err, const char *what)
{
    if (err == MPI_SUCCESS)
        return MYELIN_OK;
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, s, &len) != MPI_SUCCESS)
        snprintf(s, sizeof s, "MPI error %d", err);
    return myl_fail(MYELIN_EIO, "rank %d: %s failed: %s (a rank died or the network failed)", c->rank, what, s);
}

/* How long a wait polls without pause before it sleeps 20 us between
   polls (the exchange only progresses inside MPI_Testall; sleeping at once
   costs a scheduler wake-up per message, spinning for long takes the core
   from a rank that shares it). On this 2-core VM under a load of ~9 no
   setting gave steady figures: 2 ranks, 784-128-64-10 b128, 3-19 ms a step
   in the exchange spinning 1 s, 3-15 ms sleeping after 1 ms. */
#define SPIN_SECONDS 0.002

int myl_mpi_wait(const myl_mpi_ctx *c, MPI_Request *req, const char *what)
{
    return myl_mpi_waitall(c, 1, req, what);
}

int myl_mpi_waitall(const myl_mpi_ctx *c, int n, MPI_Request *req, const char *what)
{
    /* MPI_Test drives the progress of non-blocking collectives: poll it,
       at first without pause (on an idle core the exchange takes tens of
       microseconds), then yielding the core (ranks oversubscribing cores
       would otherwise take it from the rank being waited for). */
    const double t0 = now();
    for (unsigned spin = 0;; spin++) {
        int done = 0;
        int err = n ? MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE) : (done = 1, MPI_SUCCESS);
        if (err != MPI_SUCCESS)
            return myl_mpi_check(c, err, what);
        if (done)
            return MYELIN_OK;
        if ((spin & 63) != 63)
            continue;
        const double t = now() - t0;
        if (t > c->timeout)
            return myl_fail(MYELIN_EIO, "rank %d: %s: no answer from the other ranks within %g s (a rank died, "
                            "stopped or failed before it)", c->rank, what, c->timeout);
        if (t > SPIN_SECONDS) {
            struct timespec ts = {0, 20000}; /* 20 us */
            nanosleep(&ts, NULL);
        }
    }
}

int myl_mpi_allgather(const myl_mpi_ctx *c, const void *mine, void *all, size_t len, const char *what)
{
    MPI_Request req;
    int st = myl_mpi_check(c, MPI_Iallgather(mine, (int)len, MPI_BYTE, all, (int)len, MPI_BYTE, c->comm, &req),
                           what);
    return st ? st : myl_mpi_wait(c, &req, what);
}

/* Slice s of the gradient vector: [lo(s), lo(s + 1)), whole 64-byte lines. */
size_t myl_slice_lo(size_t len, int size, int s)
{
    if (s >= size)
        return len;
    size_t lo = (size_t)((double)len * s / size) / 16 * 16;
    return lo < len ? lo : len;
}

void myl_xbuf_free(myl_xbuf *x)
{
    free(x->send);
    free(x->recv);
    free(x->counts);
    memset(x, 0, sizeof *x);
}

int myl_xbuf_alloc(myl_xbuf *x, const myl_mpi_ctx *c, size_t nch_max, size_t len)
{
    (void)nch_max;
    (void)len;
    memset(x, 0, sizeof *x);
    x->counts = malloc(4 * (size_t)c->size * sizeof(int));
    if (!x->counts)
        return myl_fail(MYELIN_ENOMEM, "myelin_train_mpi: out of memory for the exchange buffers");
    return MYELIN_OK;
}

/* The buffers grow to the largest step's needs (the first full minibatch's,
   in practice) and stay. */
static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return MYELIN_OK;
    char *p = realloc(*buf, need);
    if (!p)
        return myl_fail(MYELIN_ENOMEM, "myelin_train_mpi: out of memory for the exchange buffers (%zu bytes)", need);
    *buf = p;
    *cap = need;
    return MYELIN_OK;
}

static size_t up8(size_t b) { return (b + 7) / 8 * 8; }

int myl_grad_exchange(const myl_mpi_ctx *c, myl_xbuf *x, size_t nch, size_t len, float *const *mine,
                      const double *stats, float *grad, double *all_stats, const char *what, double *t_reduce,
                      double *bytes_sent)
{
    const int N = c->size, me = c->rank;
    myl_node nodes[64 * (2 * 64 + 2)];
    float *parts[64 * (2 * 64 + 2)];
    size_t cnt[64 + 1], first[64 + 1];
    if (N > 64)
        return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: at most 64 ranks in this version");
    /* every rank's chunks and nodes: computed alike on every rank */
    size_t total = 0;
    for (int k = 0; k < N; k++) {
        const size_t a = nch * (size_t)k / (size_t)N, b = nch * (size_t)(k + 1) / (size_t)N;
        first[k] = total;
        cnt[k] = myl_tree_cover(nch, a, b, nodes + total, 2 * 64 + 2);
        total += cnt[k];
    }
    const size_t my_a = nch * (size_t)me / (size_t)N, my_b = nch * (size_t)(me + 1) / (size_t)N;
    const size_t my_nstats = 2 * (my_b - my_a) + 1;
    const size_t lo = myl_slice_lo(len, N, me), hi = myl_slice_lo(len, N, me + 1);
    double t0 = now();
    if (N == 1) {
        for (size_t i = 0; i < cnt[0]; i++)
            parts[i] = mine[i];
        size_t r = myl_tree_sum(nch, 0, nch, nodes, total, parts, len);
        memcpy(grad, parts[r], len * sizeof(float));
        memcpy(all_stats, stats, my_nstats * sizeof(double));
        *t_reduce += now() - t0;
        return MYELIN_OK;
    }
    int *sc = x->counts, *sd = sc + N, *rc = sd + N, *rd = rc + N;
    const size_t send_need = cnt[me] * len * sizeof(float) + (size_t)N * (8 + (my_nstats + 1) * sizeof(double));
    const size_t recv_need = total * (hi - lo) * sizeof(float) + (size_t)N * 8 + (2 * nch + (size_t)N) * sizeof(double);
    int st = grow(&x->send, &x->send_cap, send_need);
    if (!st)
        st = grow(&x->recv, &x->recv_cap, recv_need);
    if (st)
        return st;
    /* pack: to rank s, our nodes' slice s, then our stats */
    size_t off = 0;
    for (int s = 0; s < N; s++) {
        const size_t slo = myl_slice_lo(len, N, s), shi = myl_slice_lo(len, N, s + 1);
        sd[s] = (int)off;
        for (size_t i = 0; i < cnt[me]; i++) {
            if (s != me)
                memcpy(x->send + off, mine[i] + slo, (shi - slo) * sizeof(float));
            off += s != me ? (shi - slo) * sizeof(float) : 0;
        }
        off = up8(off);
        memcpy(x->send + off, stats, my_nstats * sizeof(double));
        off += my_nstats * sizeof(double);
        sc[s] = (int)(off - (size_t)sd[s]);
        if (s != me)
            *bytes_sent += (double)sc[s];
    }
    size_t roff = 0;
    for (int k = 0; k < N; k++) {
        const size_t ka = nch * (size_t)k / (size_t)N, kb = nch * (size_t)(k + 1) / (size_t)N;
        rd[k] = (int)roff;
        roff += k != me ? cnt[k] * (hi - lo) * sizeof(float) : 0;
        roff = up8(roff);
        roff += (2 * (kb - ka) + 1) * sizeof(double);
        rc[k] = (int)(roff - (size_t)rd[k]);
    }
    if (off > x->send_cap || roff > x->recv_cap)
        return myl_fail(MYELIN_ENOMEM, "myelin_train_mpi: exchange buffers too small (internal error)");
    /* point to point, not MPI_Ialltoallv: libnbc's schedule took 2-6 ms
       here for what MPI_Alltoallv did in 0.1-0.6 ms (0.44 MB, 2 ranks,
       loaded machine), and Isend/Irecv progress inside MPI_Testall */
    MPI_Request req[2 * 64];
    int nreq = 0;
    for (int k = 0; k < N && !st; k++) {
        if (k == me)
            continue;
        st = myl_mpi_check(c, MPI_Irecv(x->recv + rd[k], rc[k], MPI_BYTE, k, 1, c->comm, &req[nreq++]), what);
    }
    for (int k = 0; k < N && !st; k++) {
        if (k == me)
            continue;
        st = myl_mpi_check(c, MPI_Isend(x->send + sd[k], sc[k], MPI_BYTE, k, 1, c->comm, &req[nreq++]), what);
    }
    /* our own stats, which we do not send to ourselves */
    memcpy(x->recv + rd[me] + rc[me] - (int)(my_nstats * sizeof(double)), stats, my_nstats * sizeof(double));
    if (!st)
        st = myl_mpi_waitall(c, nreq, req, what);
    if (st)
        return st;
    /* our slice: the nodes of every rank, ours in place */
    const double t1 = now();
    size_t si = 0;
    for (int k = 0; k < N; k++) {
        const char *base = x->recv + rd[k];
        for (size_t i = 0; i < cnt[k]; i++)
            parts[first[k] + i] = k == me ? mine[i] + lo : (float *)(void *)(base + i * (hi - lo) * sizeof(float));
        const size_t ka = nch * (size_t)k / (size_t)N, kb = nch * (size_t)(k + 1) / (size_t)N;
        const double *ks = (const double *)(const void *)(base + rc[k] - (2 * (kb - ka) + 1) * sizeof(double));
        memcpy(all_stats + si, ks, 2 * (kb - ka) * sizeof(double));
        si += 2 * (kb - ka);
        all_stats[2 * nch + (size_t)k] = ks[2 * (kb - ka)]; /* its flag */
    }
    const size_t r = myl_tree_sum(nch, 0, nch, nodes, total, parts, hi - lo);
    if (r == (size_t)-1)
        return myl_fail(MYELIN_EINVAL, "myelin_train_mpi: the chunk tree is not covered (internal error)");
    memcpy(grad + lo, parts[r], (hi - lo) * sizeof(float));
    const double t2 = now();
    *t_reduce += t2 - t1;
    /* every slice to every rank */
    for (int k = 0; k < N; k++) {
        const size_t klo = myl_slice_lo(len, N, k), khi = myl_slice_lo(len, N, k + 1);
        rc[k] = (int)(khi - klo);
        rd[k] = (int)klo;
    }
    *bytes_sent += (double)(hi - lo) * sizeof(float) * (double)(N - 1);
    nreq = 0;
    for (int k = 0; k < N && !st; k++)
        if (k != me)
            st = myl_mpi_check(c, MPI_Irecv(grad + rd[k], rc[k], MPI_FLOAT, k, 2, c->comm, &req[nreq++]), what);
    for (int k = 0; k < N && !st; k++)
        if (k != me)
            st = myl_mpi_check(c, MPI_Isend(grad + lo, (int)(hi - lo), MPI_FLOAT, k, 2, c->comm, &req[nreq++]), what);
    if (!st)
        st = myl_mpi_waitall(c, nreq, req, what);
    return st;
}
