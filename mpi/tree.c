/* The fixed summation tree over the chunks of a minibatch (see
   mpi-internal.h). A fixed tree rather than chunk order: a rank can then add
   up its own neighbouring chunks before sending (one part per node instead
   of one per chunk: about a gradient's worth per rank for 2 or 3 ranks),
   and the owner of a slice adds the nodes with the same operations whoever
   sent them. */
#include "mpi-internal.h"

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static size_t cover(size_t n, size_t lo, size_t span, size_t a, size_t b, myl_node *out, size_t cap, size_t k)
{
    const size_t hi = lo + span < n ? lo + span : n;
    if (lo >= hi || lo >= b || hi <= a)
        return k;
    if (lo >= a && hi <= b) {
        if (k < cap)
            out[k] = (myl_node){lo, hi};
        return k + 1;
    }
    k = cover(n, lo, span / 2, a, b, out, cap, k);
    return cover(n, lo + span / 2, span / 2, a, b, out, cap, k);
}

size_t myl_tree_cover(size_t n, size_t a, size_t b, myl_node *out, size_t cap)
{
    return cover(n, 0, pow2_at_least(n), a, b, out, cap, 0);
}

static void add(float *dst, const float *src, size_t len)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++)
        dst[i] += src[i];
}

/* The sum of the tree node [lo, lo + span) clipped to n; the index of the
   part that holds it, or (size_t)-1 if the nodes given do not cover it. */
static size_t node_sum(size_t n, size_t lo, size_t span, const myl_node *nodes, size_t count, float *const *parts,
                       size_t len)
{
    const size_t hi = lo + span < n ? lo + span : n;
    for (size_t i = 0; i < count; i++)
        if (nodes[i].lo == lo && nodes[i].hi == hi)
            return i;
    if (span == 1)
        return (size_t)-1;
    const size_t left = node_sum(n, lo, span / 2, nodes, count, parts, len);
    if (left == (size_t)-1 || lo + span / 2 >= n) /* no right child: the left one's sum */
        return left;
    const size_t right = node_sum(n, lo + span / 2, span / 2, nodes, count, parts, len);
    if (right == (size_t)-1)
        return (size_t)-1;
    add(parts[left], parts[right], len);
    return left;
}

size_t myl_tree_sum(size_t n, size_t lo, size_t hi, const myl_node *nodes, size_t count, float *const *parts,
                    size_t len)
{
    /* find the tree node whose leaves are [lo, hi) */
    size_t nlo = 0, span = pow2_at_least(n);
    for (;;) {
        const size_t nhi = nlo + span < n ? nlo + span : n;
        if (nlo == lo && nhi == hi)
            break;
        if (span == 1)
            return (size_t)-1;
        span /= 2;
        if (lo >= nlo + span)
            nlo += span;
    }
    return node_sum(n, nlo, span, nodes, count, parts, len);
}
