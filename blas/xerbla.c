/* The error handlers: xerbla_ (Fortran) and cblas_xerbla (C), both weak so
 * that a program's own definitions win when it links statically, and called
 * through the PLT so that they win when it links dynamically or preloads this
 * library (netlib's testers rely on both).
 *
 * Unlike netlib's, which STOP (Fortran) or exit(-1) (C), these print netlib's
 * message and return, as OpenBLAS's do: nothing has been computed, C is
 * untouched, and the host program (NumPy, PyTorch) is not killed by a BLAS
 * call it may recover from. */
#include "blas.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((weak)) void cblas_xerbla(int info, const char *rout, const char *form, ...)
{
    /* A row-major call reported the numbers of the swapped column-major call:
       translate them back (netlib's table for gemm; this library has no other routine). */
    if (RowMajorStrg && strstr(rout, "gemm")) {
        if (info == 4 || info == 5)
            info = 9 - info;
        else if (info == 9 || info == 11)
            info = 20 - info;
    }
    if (info)
        fprintf(stderr, "Parameter %d to routine %s was incorrect\n", info, rout);
    va_list ap;
    va_start(ap, form);
    vfprintf(stderr, form, ap);
    va_end(ap);
}

__attribute__((weak)) void xerbla_(const char *srname, const int *info, size_t srname_len)
{
    /* Called by cblas_sgemm's checks: hand over to the C handler with the C
       routine's name and the C numbering (one more: the layout argument). */
    if (CBLAS_CallFromC) {
        char rout[32] = "cblas_";
        size_t n = 6;
        for (size_t i = 0; i < srname_len && srname[i] != ' ' && n + 1 < sizeof rout; i++)
            rout[n++] = (char)tolower((unsigned char)srname[i]);
        rout[n] = 0;
        cblas_xerbla(*info + 1, rout, "");
        return;
    }
    /* netlib's text: ' ** On entry to ', SRNAME(1:LEN_TRIM(SRNAME)), ' parameter number ', I2, ... */
    int len = (int)srname_len;
    while (len > 0 && srname[len - 1] == ' ')
        len--;
    fprintf(stderr, " ** On entry to %.*s parameter number %2d had an illegal value\n", len, srname, *info);
}
