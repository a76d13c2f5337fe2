/* The SGEMM driver: BLIS-style blocking around the active table's micro-kernel.
 *
 * Loops (outer to inner): NC columns of B, KC of K (B panel packed once per
 * block), MC rows of A (packed), NR micro-panels of B, MR micro-panels of A.
 * The B micro-panel (KC x NR) stays in L1 while every A micro-panel of the
 * MC block streams past it from L2. FP32 operands are read in place instead
 * of packed whenever the kernel can (A row-major or transposed, B row-major
 * with small M) and their rows do not alias in L1: the neural-net shapes
 * then run without any packing.
 *
 * Threads: the output is cut into one rectangle per thread (a tm x tn grid in
 * whole tiles), and each thread runs the serial algorithm on its rectangle
 * with its own packing buffers: no barrier, no shared packed panel, and since
 * every element sees the same K blocks in the same order, the result is
 * bit-for-bit the same for any thread count. A thread re-packs the parts of A
 * (or B) it shares with its neighbours; the grid is chosen to keep that small.
 */
#include "internal.h"
#include "bf16.h"
#include "tuning.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }
static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

static _Atomic int forced;
static myl_blocking forced_blk;

void myl_gemm_force_blocking(const myl_blocking *b)
{
    if (b)
        forced_blk = *b;
    forced = b != NULL;
}

/* Blocks and tiles come from the tuning record in use (engine/tuning.c):
   derived from the caches found there, once per record. */
static void plan_blocks(const myl_gemm_plan *p, myl_blocking *o)
{
    const size_t mr = p->v->mr, nr = p->v->nr;
    if (forced) {
        o->mc = max_sz(mr, forced_blk.mc / mr * mr);
        o->kc = max_sz(8, forced_blk.kc);
        o->nc = max_sz(nr, forced_blk.nc / nr * nr);
        return;
    }
    o->mc = p->mc;
    o->kc = p->kc;
    o->nc = p->nc;
}

/* A BF16 table's plan: the packed A block about half of L2, the B block a
   modest share of the shared L3 (the FP32 records' defaults). */
static void pairs_plan(const myl_kernels *kt, const myl_gemm_variant *v, myl_gemm_plan *p)
{
    const myl_caches *ca = myl_cache_info();
    const size_t kc = myl_gemm_kc(kt), es = kt->pack_elem_size;
    p->v = v;
    p->kc = kc;
    p->mc = max_sz(v->mr, min_sz(ca->l2 / 2 / (kc * es), 2048) / v->mr * v->mr);
    p->nc = max_sz(4 * v->nr, min_sz(ca->l3 / 4 / (kc * es), 8192) / v->nr * v->nr);
}

void myl_gemm_blocking(const myl_kernels *kt, myl_blocking *o)
{
    myl_gemm_plan p;
    myl_gemm_variant own = {kt->name, kt->mr, kt->nr, kt->mr_narrow, 0, 0, kt->gemm_ukr, kt->pack_a, kt->pack_b};
    if (kt->pairs)
        pairs_plan(kt, &own, &p);
    else
        myl_tuning_plan(kt, MYL_CLASS_LARGE, &p);
    plan_blocks(&p, o);
}

/* Per-thread packing memory, kept between calls (OpenMP's workers persist),
   and freed by a thread-specific-data destructor when a thread exits (libgomp
   retires workers when a later team is smaller). */
static _Thread_local void *scratch_ptr;
static _Thread_local size_t scratch_size;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_free(void *p) { myl_free(p); }
static void scratch_key_init(void) { scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0; }

static void *scratch(size_t bytes)
{
    if (bytes < 64) /* operands read in place need none, but NULL means failure */
        bytes = 64;
    if (bytes > scratch_size) {
        myl_free(scratch_ptr);
        scratch_ptr = myl_alloc(bytes);
        scratch_size = scratch_ptr ? bytes : 0;
        pthread_once(&scratch_once, scratch_key_init);
        if (scratch_key_ok)
            pthread_setspecific(scratch_key, scratch_ptr);
    }
    return scratch_ptr;
}

typedef struct {
    const myl_kernels *kt;
    const myl_gemm_variant *v;   /* the record's variant for this product's class */
    const myl_isa_tuning *tu;
    int ta, tb, act, direct_a, direct_b, skip_ab;
    int bt, bt_pack_a; /* B-transposed kernel; A packed for it (row-major or aliasing) */
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta, slope;
    const float *a, *b, *bias;
    float *c;
    myl_blocking blk;
    size_t kstep, nkb;   /* K is cut into nkb blocks of kstep (the last shorter) */
} gemm_job;

static const float *a_at(const gemm_job *g, size_t i, size_t p)
{
    return g->ta ? g->a + p * g->lda + i : g->a + i * g->lda + p;
}
static const float *b_at(const gemm_job *g, size_t p, size_t j)
{
    return g->tb ? g->b + j * g->ldb + p : g->b + p * g->ldb + j;
}

/* Bytes of one packed micro-panel of A (MR rows) or B (NR columns) for a K
   block of kc: FP32 panels are kc deep; BF16 panels hold K pairs, A's rows
   with the padded stride of kernels/bf16.h. */
static size_t a_panel_bytes(const myl_kernels *kt, const myl_gemm_variant *v, size_t kc)
{
    return kt->pairs ? v->mr * myl_bf16_a_stride(kc) * 4 : v->mr * kc * kt->pack_elem_size;
}
static size_t b_panel_bytes(const myl_kernels *kt, const myl_gemm_variant *v, size_t kc)
{
    return kt->pairs ? v->nr * ((kc + 1) / 2) * 4 : v->nr * kc * kt->pack_elem_size;
}

static size_t a_buf_bytes(const gemm_job *g, size_t rows)
{
    const myl_kernels *kt = g->kt;
    if (g->bt)
        return g->bt_pack_a ? kt->mr_bt * div_up(max_sz(g->kstep, 1), 16) * 16 * sizeof(float) : 0; /* packer writes whole 16-step groups */
    if (g->direct_a)
        return 0;
    return div_up(min_sz(g->blk.mc, rows), g->v->mr) * a_panel_bytes(kt, g->v, max_sz(g->kstep, 1));
}
static size_t b_buf_bytes(const gemm_job *g, size_t cols)
{
    const myl_kernels *kt = g->kt;
    size_t w = g->direct_b || g->bt ? 0 : div_up(min_sz(g->blk.nc, cols), g->v->nr);
    return w * b_panel_bytes(kt, g->v, max_sz(g->kstep, 1));
}

static void softmax_rows(const gemm_job *g, size_t r0, size_t r1)
{
    for (size_t i = r0; i < r1; i++)
        g->kt->softmax(g->n, g->c + i * g->ldc, g->c + i * g->ldc);
}

/* op(B) stored transposed, small M (dY.W^T): the B-transposed kernel reads
   B in place, tiles of mr_bt rows (A as one panel, contiguous along the
   rows) by nr_bt columns, the same K blocks as run_rect. */
static void run_rect_bt(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, float *pa)
{
    const myl_kernels *kt = g->kt;
    const size_t mr = kt->mr_bt, nr = kt->nr_bt;
    const int softmax = g->act == MYL_ACT_SOFTMAX;
    for (size_t kb = 0; kb < g->nkb; kb++) {
        const size_t pc = kb * g->kstep, kc = min_sz(g->kstep, g->k - pc);
        const int last = kb + 1 == g->nkb;
        myl_epilogue ep = {g->alpha, kb == 0 ? g->beta : 1.0f, NULL, last && !softmax ? g->act : MYL_ACT_LINEAR,
                           g->slope};
        for (size_t ic = m0; ic < m1; ic += mr) {
            const size_t mc = min_sz(mr, m1 - ic);
            const float *ap = a_at(g, ic, pc);
            size_t csa = g->lda;
            if (g->bt_pack_a) { /* pa[p*mr + i] = A(ic + i, pc + p) */
                kt->pack_a_bt(g->ta, mc, kc, ap, g->lda, pa);
                ap = pa;
                csa = mr;
            }
            for (size_t jr = n0; jr < n1; jr += nr) {
                myl_epilogue e = ep;
                if (last && g->bias)
                    e.bias = g->bias + jr;
                kt->gemm_ukr_bt(kc, ap, 1, csa, b_at(g, pc, jr), g->ldb, g->c + ic * g->ldc + jr, g->ldc, mc,
                                min_sz(nr, n1 - jr), &e);
            }
            if (softmax && last) /* softmax grids give each thread whole rows */
                softmax_rows(g, ic, ic + mc);
        }
    }
}

/* The serial algorithm on rows [m0,m1) x columns [n0,n1) of C. */
static void run_rect(const gemm_job *g, size_t m0, size_t m1, size_t n0, size_t n1, char *pa, char *pb)
{
    const myl_kernels *kt = g->kt;
    if (g->bt) {
        run_rect_bt(g, m0, m1, n0, n1, (float *)(void *)pa);
        return;
    }
    const myl_gemm_variant *v = g->v;
    const myl_isa_tuning *tu = g->tu;
    const size_t mr = v->mr, nr = v->nr;
    const size_t MC = g->blk.mc, NC = g->blk.nc;
    /* Narrow panels (the output layer) take taller tiles where the variant
       has them, and rows along the lanes where the record says so. */
    const size_t mr_narrow = tu->mr_narrow && tu->mr_narrow < v->mr_narrow_max ? tu->mr_narrow : v->mr_narrow_max;
    const size_t lanes_n = g->direct_a && !g->ta ? tu->lanes_rowmajor_nmax : tu->lanes_nmax;
    const int softmax = g->act == MYL_ACT_SOFTMAX;
    const int one_nblock = n1 - n0 <= NC;
    for (size_t jc = n0; jc < n1; jc += NC) {
        const size_t nc = min_sz(NC, n1 - jc);
        for (size_t kb = 0; kb < g->nkb; kb++) {
            const size_t pc = kb * g->kstep;
            const size_t kc = g->skip_ab ? 0 : min_sz(g->kstep, g->k - pc);
            const int last = kb + 1 == g->nkb;
            myl_epilogue ep = {g->alpha, kb == 0 ? g->beta : 1.0f, NULL,
                               last && !softmax ? g->act : MYL_ACT_LINEAR, g->slope};
            /* Packed panels' sizes, and how the kernel walks a packed A panel:
               K-major (FP32), rows of pairs or K-major pairs (BF16, bf16.h). */
            const size_t apb = a_panel_bytes(kt, v, kc), bpb = b_panel_bytes(kt, v, kc);
            size_t prsa = 1, pcsa = mr;
            if (kt->pairs)
                myl_bf16_a_steps(g->ta, mr, kc, &prsa, &pcsa);
            /* B in place (row-major, FP32: kernels read no column past n), or packed. */
            if (kc && !g->direct_b)
                v->pack_b(g->tb, kc, nc, b_at(g, pc, jc), g->ldb, pb);
            for (size_t ic = m0; ic < m1; ic += MC) {
                const size_t mc = min_sz(MC, m1 - ic);
                if (kc && !g->direct_a)
                    v->pack_a(g->ta, mc, kc, a_at(g, ic, pc), g->lda, pa);
                for (size_t jr = 0; jr < nc; jr += nr) {
                    const size_t nj = min_sz(nr, nc - jr);
                    const void *bp = pb + jr / nr * bpb;
                    size_t ldpb = nr;
                    if (g->direct_b && kc) {
                        bp = b_at(g, pc, jc + jr);
                        ldpb = g->ldb;
                    }
                    myl_epilogue e = ep;
                    if (last && g->bias)
                        e.bias = g->bias + jc + jr;
                    float *cj = g->c + jc + jr;
                    const int lanes = nj <= lanes_n;
                    const size_t mrd = nj <= nr / 2 && mr_narrow > mr ? mr_narrow : mr;
                    if (g->direct_a && kc) {
                        for (size_t ir = 0; ir < mc; ir += mrd) {
                            const size_t mi = min_sz(mrd, mc - ir);
                            (lanes && mi > tu->lanes_min_rows ? kt->gemm_ukr_lanes : v->ukr)(
                                kc, a_at(g, ic + ir, pc), g->ta ? 1 : g->lda, g->ta ? g->lda : 1, bp, ldpb,
                                cj + (ic + ir) * g->ldc, g->ldc, mi, nj, &e);
                        }
                    } else {
                        /* BF16 A packed by rows: consecutive panels are consecutive
                           rows, so narrow panels take taller tiles there too. */
                        const size_t mrp = kt->pairs && !g->ta ? mrd : mr;
                        for (size_t ir = 0; ir < mc; ir += mrp) {
                            const size_t mi = min_sz(mrp, mc - ir);
                            (lanes && mi > tu->lanes_min_rows ? kt->gemm_ukr_lanes : v->ukr)(
                                kc, pa + ir / mr * apb, prsa, pcsa, bp, ldpb, cj + (ic + ir) * g->ldc, g->ldc, mi,
                                nj, &e);
                        }
                    }
                }
                /* Rows are finished here when one column block covers them: softmax while hot. */
                if (softmax && last && one_nblock)
                    softmax_rows(g, ic, ic + mc);
            }
        }
    }
    if (softmax && !one_nblock)
        softmax_rows(g, m0, m1);
}

/* Cost model for a tm x tn grid, in FMA-lane units: the slowest thread's
   tiles plus what it packs (a packed float costs about a dozen FMAs). */
static double grid_cost(const gemm_job *g, size_t tm, size_t tn)
{
    const size_t mr = g->v->mr, nr = g->v->nr;
    size_t rows = div_up(div_up(g->m, mr), tm) * mr, cols = div_up(div_up(g->n, nr), tn) * nr;
    rows = min_sz(rows, div_up(g->m, mr) * mr);
    cols = min_sz(cols, div_up(g->n, nr) * nr);
    double k = (double)g->k, pack = g->tu->pack_cost;
    double cost = (double)rows * (double)cols * k;
    if (!g->direct_a)
        cost += pack * (double)rows * k * (double)div_up(cols, g->blk.nc);
    if (!g->direct_b)
        cost += pack * (double)cols * k;
    return cost;
}

/* Rows a multiple of 2 KiB apart (the record's alias_ld floats) fall into
   one or two L1 sets: a kernel reading such a matrix in place would thrash
   L1, so it is packed instead. */
static int l1_aliasing(const myl_isa_tuning *tu, size_t ld) { return tu->alias_ld && ld % tu->alias_ld == 0; }

int myl_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
             const float *b, size_t ldb, float beta, float *c, size_t ldc,
             const float *bias, int act, float slope)
{
    if (m == 0 || n == 0)
        return MYELIN_OK;
    const myl_kernels *kt;
    int st = myl_kernels_get(&kt);
    if (st)
        return st;
    return myl_gemm_with(kt, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, slope);
}

int myl_gemm_with(const myl_kernels *kt, int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc,
                  const float *bias, int act, float slope)
{
    if (m == 0 || n == 0)
        return MYELIN_OK;
    /* Every field named: a partial initializer zero-fills the struct first
       with rep stos, about 25 ns a call on Zen 5. */
    const myl_gemm_plan *plans;
    const myl_isa_tuning *tu = myl_tuning_path(kt, &plans);
    const myl_gemm_plan *plan = &plans[(double)m * (double)n * (double)k >= tu->large_work ? MYL_CLASS_LARGE : MYL_CLASS_NN];
    const myl_gemm_variant *v = plan->v;
    /* BF16 tables have one tile of their own and no variants: their blocks
       come from the caches here, and of the record only the thresholds serve
       them, with twice the work before a team pays (twice the products per
       instruction; reasoned from the FP32 figures, not measured). */
    myl_gemm_variant own_v;
    myl_gemm_plan own_plan;
    myl_isa_tuning own_tu;
    if (kt->pairs) {
        own_v = (myl_gemm_variant){kt->name, kt->mr, kt->nr, kt->mr_narrow, 0, 0, kt->gemm_ukr, kt->pack_a, kt->pack_b};
        pairs_plan(kt, &own_v, &own_plan);
        own_tu = *tu;
        own_tu.lanes_nmax = own_tu.lanes_rowmajor_nmax = own_tu.mr_narrow = 0;
        own_tu.team_work *= 2;
        v = &own_v, plan = &own_plan, tu = &own_tu;
    }
    gemm_job g = {.kt = kt, .v = v, .tu = tu, .ta = ta, .tb = tb, .act = act, .direct_a = 0, .direct_b = 0,
                  .skip_ab = 0, .bt = 0, .bt_pack_a = 0, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                  .alpha = alpha, .beta = beta, .slope = slope, .a = a, .b = b, .bias = bias, .c = c,
                  .blk = {0, 0, 0}, .kstep = 0, .nkb = 0};
    plan_blocks(plan, &g.blk);
    /* BLAS: with k == 0 or alpha == 0, A and B are not read: C = beta*C (+ epilogue). */
    g.skip_ab = k == 0 || alpha == 0.0f;
    if (g.skip_ab) {
        g.nkb = 1;
        g.kstep = 0;
    } else if (k <= g.blk.kc) { /* one K block: no divisions on the small products' path */
        g.nkb = 1;
        g.kstep = k;
    } else {
        /* Equal K blocks (784 = 3 x 264 rather than 2 x 288 + 208), multiples of 8. */
        g.nkb = div_up(k, g.blk.kc);
        g.kstep = min_sz(k, div_up(div_up(k, g.nkb), 8) * 8);
        g.nkb = div_up(k, g.kstep);
    }
    /* Read row-major B in place when packing it would cost more than it saves:
       small M (the forward and dY.W^T products of a minibatch). */
    const int fp32 = kt->pack_elem_size == sizeof(float) && !g.skip_ab;
    g.direct_b = fp32 && !tb && (double)m <= tu->direct_b_mc * (double)g.blk.mc && !l1_aliasing(tu, ldb);
    /* A in place too, row-major (MR row streams) or transposed (one stream
       of MR-float runs): the kernel broadcasts from either as fast as from a
       packed panel (measured), and packing A costs as much as the whole
       product on the narrow output layer. Variants that want row-major A
       packed (rows along the lanes) get it packed. */
    g.direct_a = fp32 && !l1_aliasing(tu, lda) && (ta || v->a_rowmajor_in_place);
    /* B stored transposed with small M: read in place by the B-transposed
       kernel instead of packed, when packing B (about 0.3 cycle a float)
       costs more than what that kernel adds: A packed transposed (as much)
       and its tiles' transposed epilogues (about 0.4 cycle an element of
       C). 32x784x128 NT: 165 -> 189 GFLOP/s. */
    g.bt = fp32 && tb && kt->gemm_ukr_bt && kt->pack_a_bt && !l1_aliasing(tu, ldb) && tu->bt_pack_b > 0 &&
           tu->bt_pack_b * (double)n * (double)k > tu->bt_pack_a * (double)m * (double)k + tu->bt_epi * (double)m * (double)n;
    g.bt_pack_a = !ta || l1_aliasing(tu, lda);

    /* Threads: none for small products. Waking a team and joining it costs
       about as much as a million FMAs on one core (measured on Zen 5, 2
       threads: 128x64x64 and 512x10x64 run faster on one, 256x64x64 and
       256x10x256 on two); narrow products count as 16 columns wide, the
       kernels' vector width (the record's team_work and team_min_cols). */
    size_t nt = 1;
    double work = (double)m * (double)max_sz(n, tu->team_min_cols) * (double)(g.skip_ab ? 1 : k);
    if (work >= tu->team_work)
        nt = (size_t)myl_threads();
    size_t mu = 1, nu = 1, tm = 1, tn = 1;
    if (nt > 1) {
        mu = div_up(m, v->mr);
        nu = div_up(n, v->nr);
        nt = min_sz(nt, mu * nu);
    }
    if (nt > 1) {
        double best = -1;
        for (size_t d = 1; d <= nt; d++) {
            if (nt % d || d > mu || nt / d > nu)
                continue;
            if (act == MYL_ACT_SOFTMAX && nt / d != 1)
                continue; /* softmax needs whole rows in one thread */
            double cst = grid_cost(&g, d, nt / d);
            if (best < 0 || cst < best) {
                best = cst;
                tm = d;
                tn = nt / d;
            }
        }
        if (best < 0) { /* no exact grid fits (e.g. softmax with few row tiles) */
            tm = min_sz(nt, mu);
            tn = 1;
        }
        nt = tm * tn;
    }

    if (nt == 1) {
        size_t abytes = (a_buf_bytes(&g, m) + 63) & ~(size_t)63;
        char *buf = scratch(abytes + b_buf_bytes(&g, n));
        if (!buf)
            return myl_fail(MYELIN_ENOMEM, "myl_gemm: cannot allocate packing buffers");
        run_rect(&g, 0, m, 0, n, buf, buf + abytes);
        return MYELIN_OK;
    }

    int failed = 0;
#pragma omp parallel num_threads((int)nt) reduction(| : failed)
    {
        myl_pin_team();
        size_t team = (size_t)omp_get_num_threads();
        /* Work items are the nt rectangles; a smaller team than asked takes several. */
        for (size_t w = (size_t)omp_get_thread_num(); w < nt; w += team) {
            size_t ti = w / tn, tj = w % tn;
            size_t m0 = min_sz(m, ti * mu / tm * v->mr), m1 = min_sz(m, (ti + 1) * mu / tm * v->mr);
            size_t n0 = min_sz(n, tj * nu / tn * v->nr), n1 = min_sz(n, (tj + 1) * nu / tn * v->nr);
            if (m0 >= m1 || n0 >= n1)
                continue;
            size_t abytes = (a_buf_bytes(&g, m1 - m0) + 63) & ~(size_t)63;
            char *buf = scratch(abytes + b_buf_bytes(&g, n1 - n0));
            if (!buf) {
                failed = 1;
                continue;
            }
            run_rect(&g, m0, m1, n0, n1, buf, buf + abytes);
        }
    }
    if (failed)
        return myl_fail(MYELIN_ENOMEM, "myl_gemm: cannot allocate packing buffers");
    return MYELIN_OK;
}

/* ------------------------------------------------------------ public API */

/* A stored rows x cols matrix with leading dimension ld: not NULL when it has
   elements, ld >= cols, and its extent in bytes fits a size_t. */
static int check_operand(const char *fn, const char *name, const char *ldname, const float *p,
                         size_t rows, size_t cols, size_t ld)
{
    if (rows == 0 || cols == 0)
        return MYELIN_OK;
    if (!p)
        return myl_fail(MYELIN_EINVAL, "%s: %s is NULL but holds a %zu x %zu matrix", fn, name, rows, cols);
    if (ld < cols)
        return myl_fail(MYELIN_EINVAL, "%s: %s (%zu) is smaller than the %zu columns of %s as stored", fn,
                        ldname, ld, cols, name);
    size_t span, bytes;
    if (!myl_mul_ok(rows - 1, ld, &span) || span > SIZE_MAX - cols ||
        !myl_mul_ok(span + cols, sizeof(float), &bytes))
        return myl_fail(MYELIN_EINVAL, "%s: %s (%zu x %zu, %s %zu) overflows the address space", fn, name,
                        rows, cols, ldname, ld);
    return MYELIN_OK;
}

int myl_check_gemm(const char *fn, int ta, int tb, size_t m, size_t n, size_t k, const float *a,
                      size_t lda, const float *b, size_t ldb, const float *c, size_t ldc)
{
    if (ta != MYELIN_NOTRANS && ta != MYELIN_TRANS)
        return myl_fail(MYELIN_EINVAL, "%s: ta is %d, not MYELIN_NOTRANS or MYELIN_TRANS", fn, ta);
    if (tb != MYELIN_NOTRANS && tb != MYELIN_TRANS)
        return myl_fail(MYELIN_EINVAL, "%s: tb is %d, not MYELIN_NOTRANS or MYELIN_TRANS", fn, tb);
    int st;
    /* A and B are only read when the product has terms. */
    if (m && n) {
        if ((st = check_operand(fn, "a", "lda", a, ta ? k : m, ta ? m : k, lda)))
            return st;
        if ((st = check_operand(fn, "b", "ldb", b, tb ? n : k, tb ? k : n, ldb)))
            return st;
    }
    return check_operand(fn, "c", "ldc", c, m, n, ldc);
}

int myelin_sgemm(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k, float alpha,
                 const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    int st = myl_check_gemm("myelin_sgemm", (int)ta, (int)tb, m, n, k, a, lda, b, ldb, c, ldc);
    if (st)
        return st;
    return myl_gemm((int)ta, (int)tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, MYL_ACT_LINEAR,
                    0.0f);
}

int myelin_sgemm_bias_act(myelin_transpose ta, myelin_transpose tb, size_t m, size_t n, size_t k,
                          const float *a, size_t lda, const float *b, size_t ldb, const float *bias,
                          myelin_act act, float *c, size_t ldc)
{
    const char *fn = "myelin_sgemm_bias_act";
    if ((int)act < MYELIN_ACT_LINEAR || (int)act > MYELIN_ACT_SOFTMAX)
        return myl_fail(MYELIN_EINVAL, "%s: act is %d, not a myelin_act", fn, (int)act);
    int st = myl_check_gemm(fn, (int)ta, (int)tb, m, n, k, a, lda, b, ldb, c, ldc);
    if (st)
        return st;
    return myl_gemm((int)ta, (int)tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, bias, (int)act,
                    myelin_leaky_slope());
}
