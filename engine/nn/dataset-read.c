/* dataset-read.c — whole-file reads with transparent gunzip, and element
 * access for the idx and npy parsers. */
#include "dataset-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzread handles plain files too (it passes them through), so one path
 * serves both; a corrupt or truncated stream shows up in gzerror. */
int
_bs_read_maybe_gz (const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
  gzFile f;
  uint8_t *b = NULL;
  size_t cap = 0, n = 0;
  int zerr = Z_OK;

  *buf = NULL;
  *len = 0;
  errno = 0;
  f = gzopen (path, "rb");
  if (!f)
    return _bs_nn_fail (err, errlen, "%s: %s", path, errno ? strerror (errno) : "cannot open");
  for (;;)
    {
      int got;
      if (cap - n < (1u << 20))
        {
          size_t ncap = cap ? 2 * cap : (size_t) 1 << 22;
          uint8_t *nb;
          if (ncap > ((size_t) 1 << 33))
            {
              free (b);
              gzclose (f);
              return _bs_nn_fail (err, errlen, "%s: larger than 8 GiB", path);
            }
          nb = realloc (b, ncap);
          if (!nb)
            {
              free (b);
              gzclose (f);
              return _bs_nn_fail (err, errlen, "%s: out of memory", path);
            }
          b = nb;
          cap = ncap;
        }
      got = gzread (f, b + n, (unsigned) (cap - n > (1u << 30) ? (1u << 30) : cap - n));
      if (got < 0)
        break;
      n += (size_t) got;
      if (got == 0)
        break;
    }
  const char *msg = gzerror (f, &zerr);
  if (zerr != Z_OK && zerr != Z_STREAM_END)
    {
      char copy[160];
      snprintf (copy, sizeof copy, "%s", zerr == Z_ERRNO ? strerror (errno) : msg);
      free (b);
      gzclose (f);
      return _bs_nn_fail (err, errlen, "%s: corrupt or truncated gzip data (%s)", path, copy);
    }
  gzclose (f);
  *buf = b;
  *len = n;
  return 0;
}

static uint64_t
load_uint (const uint8_t *p, int size, bool big)
{
  uint64_t v = 0;
  for (int i = 0; i < size; i++)
    v |= (uint64_t) p[big ? size - 1 - i : i] << (8 * i);
  return v;
}

double
_bs_array_get (const _bs_array *a, int64_t i)
{
  uint64_t u = load_uint (a->data + i * a->size, a->size, a->big_endian);

  switch (a->kind)
    {
    case 'u':
      return (double) u;
    case 'i':
      if (a->size < 8 && (u >> (8 * a->size - 1)) & 1)
        u |= ~(uint64_t) 0 << (8 * a->size);
      return (double) (int64_t) u;
    default:
      if (a->size == 4)
        {
          uint32_t w = (uint32_t) u;
          float f;
          memcpy (&f, &w, 4);
          return f;
        }
      else
        {
          double d;
          memcpy (&d, &u, 8);
          return d;
        }
    }
}

int
_bs_array_finish (const char *path, _bs_array *a, size_t avail, char *err, size_t errlen)
{
  bs_shape s = bs_shape_make (a->ndim, a->dims);
  char msg[160];

  if (bs_shape_check (&s, (size_t) a->size, msg, sizeof msg) < 0)
    return _bs_nn_fail (err, errlen, "%s: bad shape: %s", path, msg);
  a->count = bs_shape_numel (&s);
  if ((uint64_t) avail < (uint64_t) a->count * (uint64_t) a->size)
    return _bs_nn_fail (err, errlen, "%s: truncated: %zu of %llu data bytes", path, avail,
                        (unsigned long long) a->count * (unsigned long long) a->size);
  if ((uint64_t) avail > (uint64_t) a->count * (uint64_t) a->size)
    return _bs_nn_fail (err, errlen, "%s: %llu bytes after the data", path,
                        (unsigned long long) (avail - (size_t) a->count * (size_t) a->size));
  return 0;
}
