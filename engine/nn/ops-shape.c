/* ops-shape.c — Flatten, Reshape, Concat: shape arithmetic and copies. */
#include "nn-private.h"

#include <string.h>

static int
copy_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  int64_t k = bs_tensor_numel (in[0]);
  if (k)
    memcpy (out[0]->data, in[0]->data, (size_t) k * bs_dtype_size (in[0]->dtype));
  return 0;
}

static int64_t
prod (const bs_shape *s, int from, int to)
{
  int64_t p = 1;
  for (int i = from; i < to; i++)
    p *= s->dims[i];
  return p;
}

/* Flatten ------------------------------------------------------------------------- */

static int
axis_parse (bs_node *n, int64_t def, bool required, char *err, size_t errlen)
{
  static const char *const known[] = { "axis", NULL };
  if (_bs_attr_only (n, known, err, errlen) < 0)
    return -1;
  if (required && !bs_node_attr (n, "axis"))
    return _bs_nn_fail (err, errlen, "attribute 'axis' is required");
  return _bs_attr_get_int (n, "axis", def, &n->p.axis.axis, err, errlen);
}

static int
flatten_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  if (axis_parse (n, 1, false, err, errlen) < 0)
    return -1;
  if (opset < 11 && n->p.axis.axis < 0)
    return _bs_nn_fail (err, errlen, "negative axis needs opset ≥ 11");
  return 0;
}

static int
flatten_infer (const bs_node *n, int opset, const bs_shape *const *in,
               const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  int64_t axis;
  if (_bs_axis (n->p.axis.axis, in[0]->ndim, true, &axis, err, errlen) < 0)
    return -1;
  out[0].ndim = 2;
  out[0].dims[0] = prod (in[0], 0, (int) axis);
  out[0].dims[1] = prod (in[0], (int) axis, in[0]->ndim);
  return 0;
}

const _bs_op_def _bs_op_flatten = {
  BS_OP_FLATTEN, "Flatten", 1, 1, 1, flatten_parse, flatten_infer, copy_run,
};

/* Reshape --------------------------------------------------------------------------- */

static int
reshape_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const old[] = { "shape", "consumed_inputs", NULL };
  static const char *const known[] = { "allowzero", NULL };
  int64_t az;

  if (opset < 5)
    {
      int c;
      const int64_t *v;
      if (n->n_inputs != 1 || _bs_attr_only (n, old, err, errlen) < 0
          || _bs_attr_get_ints (n, "shape", &c, &v, err, errlen) < 0 || c < 0)
        return _bs_nn_fail (err, errlen, "before opset 5 the shape is attribute 'shape'");
      n->p.reshape.allowzero = false;
      return 0;
    }
  if (n->n_inputs != 2 || n->inputs[1] < 0)
    return _bs_nn_fail (err, errlen, "needs a data and a shape input");
  if (_bs_attr_only (n, known, err, errlen) < 0
      || _bs_attr_get_int (n, "allowzero", 0, &az, err, errlen) < 0)
    return -1;
  if (az != 0 && az != 1)
    return _bs_nn_fail (err, errlen, "allowzero must be 0 or 1");
  n->p.reshape.allowzero = az;
  return 0;
}

static int
reshape_infer (const bs_node *n, int opset, const bs_shape *const *in,
               const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  const int64_t *req;
  int64_t cnt, known = 1, total = bs_shape_numel (in[0]);
  int minus = -1;
  bool has_zero = false;

  if (opset < 5)
    {
      int c;
      _bs_attr_get_ints (n, "shape", &c, &req, NULL, 0);
      cnt = c;
    }
  else
    {
      if (!cin[1])
        {
          _bs_nn_fail (err, errlen, "shape input is not a constant");
          return BS_ERR_NONCONST;
        }
      if (cin[1]->dtype != BS_DT_INT64 || cin[1]->shape.ndim != 1)
        return _bs_nn_fail (err, errlen, "shape input must be a 1-D int64 tensor");
      req = bs_tensor_i64 (cin[1]);
      cnt = cin[1]->shape.dims[0];
    }
  if (cnt > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "rank %lld exceeds %d", (long long) cnt, BS_MAX_DIMS);
  out[0].ndim = (int) cnt;
  for (int i = 0; i < cnt; i++)
    {
      int64_t d = req[i];
      if (d == -1)
        {
          if (minus >= 0)
            return _bs_nn_fail (err, errlen, "more than one -1 in the shape");
          minus = i;
          continue;
        }
      if (d == 0 && !n->p.reshape.allowzero)
        {
          if (i >= in[0]->ndim)
            return _bs_nn_fail (err, errlen, "0 at index %d copies a dim the input lacks", i);
          d = in[0]->dims[i];
        }
      if (d < 0)
        return _bs_nn_fail (err, errlen, "dim %lld is invalid", (long long) d);
      if (d == 0)
        has_zero = true;
      else if (d > BS_TENSOR_MAX_BYTES || known > BS_TENSOR_MAX_BYTES / d)
        return _bs_nn_fail (err, errlen, "shape is too large");
      out[0].dims[i] = d;
      known *= d;
    }
  if (minus >= 0)
    {
      if (has_zero || known == 0 || total % known)
        return _bs_nn_fail (err, errlen, "cannot infer the -1 dim: %lld elements into %lld",
                            (long long) total, (long long) known);
      out[0].dims[minus] = total / known;
      known = total;
    }
  if (known != total)
    return _bs_nn_fail (err, errlen, "%lld elements cannot take a shape of %lld",
                        (long long) total, (long long) known);
  return 0;
}

const _bs_op_def _bs_op_reshape = {
  BS_OP_RESHAPE, "Reshape", 1, 2, 1, reshape_parse, reshape_infer, copy_run,
};

/* Concat ------------------------------------------------------------------------------ */

static int
concat_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  if (axis_parse (n, 1, opset >= 4, err, errlen) < 0)
    return -1;
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] < 0)
      return _bs_nn_fail (err, errlen, "input %d has no name", i);
  return 0;
}

static int
concat_infer (const bs_node *n, int opset, const bs_shape *const *in,
              const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  int64_t axis;
  if (_bs_axis (n->p.axis.axis, in[0]->ndim, false, &axis, err, errlen) < 0)
    return -1;
  out[0] = *in[0];
  for (int i = 1; i < n->n_inputs; i++)
    {
      if (in[i]->ndim != in[0]->ndim)
        return _bs_nn_fail (err, errlen, "input %d has rank %d, input 0 rank %d", i, in[i]->ndim,
                            in[0]->ndim);
      for (int d = 0; d < in[0]->ndim; d++)
        if (d != axis && in[i]->dims[d] != in[0]->dims[d])
          return _bs_nn_fail (err, errlen, "input %d differs from input 0 in dim %d", i, d);
      out[0].dims[axis] += in[i]->dims[axis];
    }
  return 0;
}

static int
concat_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
            _bs_scratch *s, char *err, size_t errlen)
{
  int64_t axis;
  const bs_shape *ys = &out[0]->shape;
  size_t es = bs_dtype_size (out[0]->dtype);
  char *y = out[0]->data;
  int64_t outer, off = 0, row;

  _bs_axis (n->p.axis.axis, ys->ndim, false, &axis, NULL, 0);
  outer = prod (ys, 0, (int) axis);
  row = prod (ys, (int) axis, ys->ndim);
  for (int i = 0; i < n->n_inputs; i++)
    {
      int64_t part = prod (&in[i]->shape, (int) axis, ys->ndim);
      const char *x = in[i]->data;
      for (int64_t o = 0; o < outer && part; o++)
        memcpy (y + (size_t) (o * row + off) * es, x + (size_t) (o * part) * es, (size_t) part * es);
      off += part;
    }
  return 0;
}

const _bs_op_def _bs_op_concat = {
  BS_OP_CONCAT, "Concat", 1, BS_NODE_MAX_IO, 1, concat_parse, concat_infer, concat_run,
};
