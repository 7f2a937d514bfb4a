/* dataset-private.h — shared by the dataset readers. */
#pragma once

#include "nn-private.h"
#include "bs-dataset.h"

/* A numeric array inside a file buffer. */
typedef struct {
  int ndim;
  int64_t dims[BS_MAX_DIMS];
  int64_t count;          /* product of dims */
  char kind;              /* 'u' unsigned int, 'i' signed int, 'f' float */
  int size;               /* bytes per element: 1, 2, 4, 8 */
  bool big_endian;
  const uint8_t *data;    /* count · size bytes, inside the buffer */
} _bs_array;

/* Read a whole file, gunzipping it when it starts with the gzip magic.
 * -1 with "path: reason" (missing, unreadable, corrupt or truncated gzip). */
int _bs_read_maybe_gz (const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);
/* Parse an idx (or .npy) file held in buf.  -1 with "path: reason". */
int _bs_idx_parse (const char *path, const uint8_t *buf, size_t len, _bs_array *a, char *err,
                   size_t errlen);
int _bs_npy_parse (const char *path, const uint8_t *buf, size_t len, _bs_array *a, char *err,
                   size_t errlen);
/* Element i as a double. */
double _bs_array_get (const _bs_array *a, int64_t i);
/* Check dims (each ≥ 0, product within the tensor limit) and that exactly
 * count · size bytes remain after the header. */
int _bs_array_finish (const char *path, _bs_array *a, size_t avail, char *err, size_t errlen);
