/* Before training, the ranks agree: every rank's own checks, then hashes of
   the options, the net and the data compared with rank 0's, so that a rank
   with other options, another data file or another kernel path is named
   before any step runs, instead of training apart or hanging. */
#include "mpi-agree.h"
#include "rng.h"

#include <stdio.h>
#include <string.h>

/* ---- hashes: 64-bit, four lanes over 8-byte words (tens of ms for
   Fashion-MNIST's 47 MB), for telling data apart, not for security */
typedef struct {
    uint64_t h[4];
    uint64_t n;
} hasher;

static void h_init(hasher *s)
{
    for (int i = 0; i < 4; i++)
        s->h[i] = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    s->n = 0;
}

static void h_bytes(hasher *s, const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        for (int j = 0; j < 4; j++) {
            uint64_t w;
            memcpy(&w, b + i + 8 * j, 8);
            s->h[j] = (s->h[j] ^ w) * 0x100000001B3ull + (s->h[j] >> 29);
        }
    for (; i < len; i++)
        s->h[0] = (s->h[0] ^ b[i]) * 0x100000001B3ull;
    s->n += len;
}

static void h_u64(hasher *s, uint64_t v) { h_bytes(s, &v, sizeof v); }
static void h_f32(hasher *s, float v) { h_bytes(s, &v, sizeof v); }

static uint64_t h_final(const hasher *s)
{
    uint64_t r = myl_mix64(s->n);
    for (int i = 0; i < 4; i++)
        r = myl_mix64(r ^ s->h[i]);
    return r;
}

uint64_t myl_hash_opts(const myelin_train_opts *o, size_t chunk)
{
    hasher s;
    h_init(&s);
    h_u64(&s, (uint64_t)o->opt);
    h_f32(&s, o->lr);
    h_f32(&s, o->momentum);
    h_f32(&s, o->beta1);
    h_f32(&s, o->beta2);
    h_f32(&s, o->rho);
    h_f32(&s, o->eps);
    h_u64(&s, (uint64_t)o->schedule);
    h_f32(&s, o->decay);
    h_u64(&s, o->decay_epochs);
    h_f32(&s, o->layer_decay);
    h_f32(&s, o->l1);
    h_f32(&s, o->l2);
    h_u64(&s, o->epochs);
    h_u64(&s, o->batch);
    h_u64(&s, (uint64_t)o->shuffle);
    h_u64(&s, o->seed);
    h_u64(&s, chunk);
    h_f32(&s, myelin_leaky_slope());
    return h_final(&s);
}

uint64_t myl_hash_net(const myelin_net *net)
{
    hasher s;
    h_init(&s);
    h_u64(&s, net->inputs);
    h_u64(&s, net->n_layers);
    h_u64(&s, (uint64_t)net->loss);
    for (size_t l = 0; l < net->n_layers; l++) {
        const myelin_layer_spec *p = &net->spec[l];
        h_u64(&s, p->units);
        h_u64(&s, (uint64_t)p->act);
        h_f32(&s, p->lr_mult);
        h_f32(&s, p->dropout);
        h_f32(&s, p->dropconnect);
        h_bytes(&s, net->w[l], net->fan_in[l] * p->units * sizeof(float));
        h_bytes(&s, net->b[l], p->units * sizeof(float));
    }
    h_u64(&s, (uint64_t)net->has_transform);
    if (net->has_transform) {
        h_bytes(&s, net->in_offset, net->inputs * sizeof(float));
        h_bytes(&s, net->in_scale, net->inputs * sizeof(float));
    }
    return h_final(&s);
}

uint64_t myl_hash_data(const myelin_dataset *d)
{
    hasher s;
    h_init(&s);
    h_u64(&s, d->rows);
    h_u64(&s, d->cols);
    if (d->x_u8)
        h_bytes(&s, d->x_u8, d->rows * d->cols);
    else if (d->x)
        h_bytes(&s, d->x, d->rows * d->cols * sizeof(float));
    if (d->labels)
        h_bytes(&s, d->labels, d->rows * sizeof(int32_t));
    if (d->y)
        h_bytes(&s, d->y, d->rows * d->y_cols * sizeof(float));
    return h_final(&s);
}

/* ---- the agreement */

int myl_agree(const myl_mpi_ctx *c, const myl_hello *mine, const char *what)
{
    myl_hello all_stack[8], *all = all_stack;
    const size_t N = (size_t)c->size;
    if (N > sizeof all_stack / sizeof all_stack[0] && !(all = myl_alloc(N * sizeof *all)))
        return myl_fail(MYELIN_ENOMEM, "rank %d: out of memory for the agreement of %zu ranks", c->rank, N);
    int st = myl_mpi_allgather(c, mine, all, sizeof *mine, what);
    if (st)
        goto out;
    /* every rank reaches the same verdict from the same table */
    int failed = 0, first = -1;
    for (size_t k = 0; k < N; k++)
        if (all[k].status) {
            failed++;
            first = first < 0 ? (int)k : first;
        }
    if (failed) {
        char more[64] = "";
        if (failed > 1)
            snprintf(more, sizeof more, " (and %d more rank%s failed)", failed - 1, failed > 2 ? "s" : "");
        all[first].message[sizeof all[first].message - 1] = 0;
        st = myl_fail(all[first].status, "rank %d: %s%s", first, all[first].message, more);
        goto out;
    }
    for (size_t k = 1; k < N && mine->check; k++) {
        const myl_hello *a = &all[0], *b = &all[k];
        if (strncmp(a->isa, b->isa, sizeof a->isa)) {
            st = myl_fail(MYELIN_EUNSUPPORTED, "rank %zu runs the %.15s kernels and rank 0 the %.15s ones: the "
                          "ranks would compute different bytes (set MYELIN_ISA alike on every rank)", k, b->isa,
                          a->isa);
            break;
        }
        if (a->rows != b->rows || a->cols != b->cols) {
            st = myl_fail(MYELIN_EINVAL, "rank %zu has %llu training rows x %llu columns, rank 0 %llu x %llu: every "
                          "rank must read the same data", k, (unsigned long long)b->rows,
                          (unsigned long long)b->cols, (unsigned long long)a->rows, (unsigned long long)a->cols);
            break;
        }
        if (a->opts_hash != b->opts_hash) {
            st = myl_fail(MYELIN_EINVAL, "rank %zu was given other training options than rank 0 (hash %016llx, "
                          "rank 0 %016llx): every rank must train with the same options", k,
                          (unsigned long long)b->opts_hash, (unsigned long long)a->opts_hash);
            break;
        }
        if (a->net_hash != b->net_hash) {
            st = myl_fail(MYELIN_EINVAL, "rank %zu holds another network than rank 0 (its layers, weights or input "
                          "transform differ): create it with the same description and seed on every rank", k);
            break;
        }
        if (a->data_hash != b->data_hash) {
            st = myl_fail(MYELIN_EINVAL, "rank %zu read other training data than rank 0 (same shape, other "
                          "contents): every rank must read the same data", k);
            break;
        }
    }
out:
    if (all != all_stack)
        myl_free(all);
    return st;
}

int myl_ctx_open(MPI_Comm comm, double timeout, myl_mpi_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->comm = MPI_COMM_NULL;
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin)
        return myl_fail(MYELIN_EINVAL, "myelin_train_mpi: MPI is %s", fin ? "finalized" : "not initialised");
    if (comm == MPI_COMM_NULL)
        return myl_fail(MYELIN_EINVAL, "myelin_train_mpi: comm is MPI_COMM_NULL");
    int level = 0;
    MPI_Query_thread(&level);
    if (level < MPI_THREAD_FUNNELED)
        return myl_fail(MYELIN_EUNSUPPORTED, "myelin_train_mpi: MPI was initialised with MPI_THREAD_SINGLE; the "
                        "engine's OpenMP threads need MPI_THREAD_FUNNELED (MPI_Init_thread)");
    /* our own communicator: our messages never meet the caller's, and its
       errors come back to us instead of aborting (MPI_ERRORS_RETURN) */
    MPI_Comm_rank(comm, &c->rank);
    MPI_Comm_size(comm, &c->size);
    c->timeout = timeout;
    /* non-blocking, with the deadline: a rank that never comes (it failed
       or stopped before this call) must not hang the others here either */
    MPI_Request req;
    c->comm = comm; /* for the messages of myl_mpi_wait */
    int err = MPI_Comm_idup(comm, &c->comm, &req);
    int st = myl_mpi_check(c, err, "the duplication of the communicator");
    if (!st)
        st = myl_mpi_wait(c, &req, "the duplication of the communicator");
    if (st) {
        c->comm = MPI_COMM_NULL;
        return st;
    }
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    return MYELIN_OK;
}

void myl_ctx_close(myl_mpi_ctx *c, int healthy)
{
    /* after a failed exchange the duplicate may have requests in flight:
       freeing it is collective-ish in practice, so it is left to MPI_Abort */
    if (healthy && c->comm != MPI_COMM_NULL)
        MPI_Comm_free(&c->comm);
    c->comm = MPI_COMM_NULL;
}

int myelin_mpi_agree(MPI_Comm comm, int status, const char *message)
{
    if (status > 0 || status < MYELIN_ESTOPPED)
        return myl_fail(MYELIN_EINVAL, "myelin_mpi_agree: status %d is not a myelin_status", status);
    myl_mpi_ctx c;
    int st = myl_ctx_open(comm, myl_mpi_timeout(), &c);
    if (st)
        return st;
    myl_hello h;
    memset(&h, 0, sizeof h);
    h.status = status;
    snprintf(h.message, sizeof h.message, "%s", message ? message : myelin_strerror(status));
    st = myl_agree(&c, &h, "the agreement before training");
    myl_ctx_close(&c, st != MYELIN_EIO);
    return st;
}
