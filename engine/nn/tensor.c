/* tensor.c — shapes and owned tensor storage. */
#include "nn-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
_bs_nn_fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

size_t
bs_dtype_size (bs_dtype dt)
{
  switch (dt)
    {
    case BS_DT_FLOAT: return 4;
    case BS_DT_INT64: return 8;
    }
  return 0;
}

const char *
bs_dtype_name (bs_dtype dt)
{
  switch (dt)
    {
    case BS_DT_FLOAT: return "float";
    case BS_DT_INT64: return "int64";
    }
  return "unknown";
}

bs_shape
bs_shape_make (int ndim, const int64_t *dims)
{
  bs_shape s = { 0 };
  if (ndim < 0)
    ndim = 0;
  if (ndim > BS_MAX_DIMS)
    ndim = BS_MAX_DIMS;
  s.ndim = ndim;
  for (int i = 0; i < ndim; i++)
    s.dims[i] = dims[i];
  return s;
}

int64_t
bs_shape_numel (const bs_shape *s)
{
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++)
    n *= s->dims[i];
  return n;
}

/* Overflow-safe: the running product is compared against the byte limit
 * before every multiplication, so it never exceeds 2^32 · 2^32. */
int
bs_shape_check (const bs_shape *s, size_t elsize, char *err, size_t errlen)
{
  int64_t limit = BS_TENSOR_MAX_BYTES / (int64_t) (elsize ? elsize : 1);
  int64_t n = 1;
  bool zero = false;

  if (s->ndim < 0 || s->ndim > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "rank %d is outside 0..%d", s->ndim, BS_MAX_DIMS);
  for (int i = 0; i < s->ndim; i++)
    {
      if (s->dims[i] < 0)
        return _bs_nn_fail (err, errlen, "dim %d is %lld", i, (long long) s->dims[i]);
      if (s->dims[i] == 0)
        zero = true;
      else if (s->dims[i] > limit || n > limit / s->dims[i])
        n = limit + 1;
      else
        n *= s->dims[i];
    }
  if (!zero && n > limit)
    return _bs_nn_fail (err, errlen, "shape exceeds the %lld-byte tensor limit",
                        (long long) BS_TENSOR_MAX_BYTES);
  return 0;
}

bool
bs_shape_equal (const bs_shape *a, const bs_shape *b)
{
  if (a->ndim != b->ndim)
    return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

void
bs_shape_format (const bs_shape *s, char *buf, size_t len)
{
  size_t o = 0;

  if (!len)
    return;
  buf[0] = 0;
  o += (size_t) snprintf (buf + o, len - o, "[");
  for (int i = 0; i < s->ndim && o < len; i++)
    {
      if (s->dims[i] < 0)
        o += (size_t) snprintf (buf + o, len - o, "%s?", i ? "," : "");
      else
        o += (size_t) snprintf (buf + o, len - o, "%s%lld", i ? "," : "", (long long) s->dims[i]);
    }
  if (o < len)
    snprintf (buf + o, len - o, "]");
}

int
bs_tensor_init (bs_tensor *t, bs_dtype dt, const bs_shape *shape, char *err, size_t errlen)
{
  size_t es = bs_dtype_size (dt);
  int64_t n;

  memset (t, 0, sizeof *t);
  if (!es)
    return _bs_nn_fail (err, errlen, "unknown element type %d", (int) dt);
  if (bs_shape_check (shape, es, err, errlen) < 0)
    return -1;
  n = bs_shape_numel (shape);
  t->data = calloc ((size_t) (n ? n : 1), es);
  if (!t->data)
    return _bs_nn_fail (err, errlen, "out of memory for a %lld-element tensor", (long long) n);
  t->dtype = dt;
  t->shape = *shape;
  return 0;
}

int
bs_tensor_init_f32 (bs_tensor *t, int ndim, const int64_t *dims, char *err, size_t errlen)
{
  bs_shape s;
  if (ndim < 0 || ndim > BS_MAX_DIMS)
    {
      memset (t, 0, sizeof *t);
      return _bs_nn_fail (err, errlen, "rank %d is outside 0..%d", ndim, BS_MAX_DIMS);
    }
  s = bs_shape_make (ndim, dims);
  return bs_tensor_init (t, BS_DT_FLOAT, &s, err, errlen);
}

void
bs_tensor_clear (bs_tensor *t)
{
  free (t->data);
  memset (t, 0, sizeof *t);
}

int
bs_tensor_copy (bs_tensor *dst, const bs_tensor *src, char *err, size_t errlen)
{
  bs_tensor tmp;
  if (!src->data)
    {
      bs_tensor_clear (dst);
      return 0;
    }
  if (bs_tensor_init (&tmp, src->dtype, &src->shape, err, errlen) < 0)
    return -1;
  memcpy (tmp.data, src->data, (size_t) bs_tensor_numel (src) * bs_dtype_size (src->dtype));
  bs_tensor_move (dst, &tmp);
  return 0;
}

void
bs_tensor_move (bs_tensor *dst, bs_tensor *src)
{
  if (dst == src)
    return;
  bs_tensor_clear (dst);
  *dst = *src;
  memset (src, 0, sizeof *src);
}

int64_t
bs_tensor_numel (const bs_tensor *t)
{
  return t->data ? bs_shape_numel (&t->shape) : 0;
}
