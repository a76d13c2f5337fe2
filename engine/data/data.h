/* data.h - internals shared by the readers, the model file and the fuzzers;
   not installed. The readers work on memory so that the fuzz targets can
   drive exactly the code that parses files. */
#ifndef MYL_DATA_H
#define MYL_DATA_H

#include "myelin.h"

#include <stddef.h>
#include <stdint.h>

/* Largest file (after decompression) the readers accept: guards against
   decompression bombs and absurd allocations. */
#define MYL_MAX_FILE_BYTES ((size_t)4 << 30)

/* Reads a whole file into a myl_alloc'ed buffer (*len bytes, plus one zero
   byte after them). EIO with the path on failure. */
int myl_read_file(const char *path, uint8_t **buf, size_t *len);
/* If buf starts with the gzip magic, replaces *buf and *len by the inflated
   bytes (at most max_out); otherwise leaves them. EUNSUPPORTED without zlib,
   EFORMAT on a damaged stream; `name` is used in messages. */
int myl_maybe_gunzip(const char *name, uint8_t **buf, size_t *len, size_t max_out);
/* myl_read_file followed by myl_maybe_gunzip. */
int myl_read_file_any(const char *path, uint8_t **buf, size_t *len);

/* IDX parsers on memory. myl_idx_parse takes ownership of nothing; the
   resulting data is freshly allocated. */
int myl_idx_parse(const char *img_name, const uint8_t *img, size_t img_len,
                  const char *lab_name, const uint8_t *lab, size_t lab_len, myelin_data *out);
int myl_csv_parse(const char *name, const char *text, size_t len, const myelin_csv_opts *opts,
                  myelin_data *out);

/* Model file image: serialise a net into a myl_alloc'ed buffer, or check and
   load one from memory. */
int myl_model_serialize(const myelin_net *net, uint8_t **buf, size_t *len);
int myl_model_parse(const char *name, const uint8_t *buf, size_t len, myelin_net **out);

/* CRC-32 (IEEE 802.3, the zlib/PNG polynomial), own table so that builds
   without zlib agree with it. Start with crc = 0. */
uint32_t myl_crc32(uint32_t crc, const void *data, size_t len);

#endif
