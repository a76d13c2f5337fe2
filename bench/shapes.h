/* shapes.h - the neural-net layers every family measures: 784-128-64-10. */
#ifndef MB_SHAPES_H
#define MB_SHAPES_H

static const int mb_layers[][2] = { { 784, 128 }, { 128, 64 }, { 64, 10 } };  /* in, out */
#define MB_NLAYERS 3
static const int mb_batches[] = { 32, 128, 256 };
#define MB_NBATCHES 3

#endif
