/* ops-shape.c — Flatten, Reshape, Concat, Shape, Gather, Unsqueeze, Squeeze,
 * Cast and Pad: shape arithmetic and copies.  Reshape, Concat, Gather,
 * Unsqueeze, Squeeze and Identity move float or int64 elements alike (int64
 * ones are shapes, folded at finalize: bs-graph.h). */
#include "nn-private.h"

#include <math.h>
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
  BS_OP_FLATTEN, "Flatten", 1, 1, 1, flatten_parse, flatten_infer, copy_run, NULL,
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

static int
reshape_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  if (n->n_inputs > 1 && in[1] && in[1] != BS_DT_INT64)
    return _bs_nn_fail (err, errlen, "input 1 (the shape) is %s, expected int64",
                        bs_dtype_name (in[1]));
  out[0] = in[0];
  return 0;
}

const _bs_op_def _bs_op_reshape = {
  BS_OP_RESHAPE, "Reshape", 1, 2, 1, reshape_parse, reshape_infer, copy_run, reshape_dtypes,
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

static int
concat_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  for (int i = 1; i < n->n_inputs; i++)
    if (in[i] != in[0])
      return _bs_nn_fail (err, errlen, "input %d is %s, input 0 %s", i, bs_dtype_name (in[i]),
                          bs_dtype_name (in[0]));
  out[0] = in[0];
  return 0;
}

const _bs_op_def _bs_op_concat = {
  BS_OP_CONCAT, "Concat", 1, BS_NODE_MAX_IO, 1, concat_parse, concat_infer, concat_run,
  concat_dtypes,
};

/* Types shared by the ops below ------------------------------------------------------- */

/* Input 0 of any type, input 1 (when present) int64; the output is input 0's type. */
static int
data_index_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err,
                   size_t errlen)
{
  if (n->n_inputs > 1 && in[1] && in[1] != BS_DT_INT64)
    return _bs_nn_fail (err, errlen, "input 1 is %s, expected int64", bs_dtype_name (in[1]));
  out[0] = in[0];
  return 0;
}

/* Shape ------------------------------------------------------------------------------ */

static int
shape_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "start", "end", NULL };
  static const char *const none[] = { NULL };
  int64_t end;

  if (_bs_attr_only (n, opset >= 15 ? known : none, err, errlen) < 0
      || _bs_attr_get_int (n, "start", 0, &n->p.shape.start, err, errlen) < 0
      || _bs_attr_get_int (n, "end", 0, &end, err, errlen) < 0)
    return -1;
  n->p.shape.has_end = bs_node_attr (n, "end") != NULL;
  n->p.shape.end = end;
  return 0;
}

/* [start, end) of a rank-r shape, negative ends counted from r, clamped. */
static void
shape_range (const bs_node *n, int r, int64_t *lo, int64_t *hi)
{
  int64_t a = n->p.shape.start, b = n->p.shape.has_end ? n->p.shape.end : r;
  a = a < 0 ? a + r : a;
  b = b < 0 ? b + r : b;
  a = a < 0 ? 0 : a > r ? r : a;
  b = b < 0 ? 0 : b > r ? r : b;
  *lo = a;
  *hi = b < a ? a : b;
}

static int
shape_infer (const bs_node *n, int opset, const bs_shape *const *in,
             const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  int64_t lo, hi;
  shape_range (n, in[0]->ndim, &lo, &hi);
  out[0] = (bs_shape) { .ndim = 1, .dims = { hi - lo } };
  return 0;
}

/* Reads only in[0]'s shape (the fold passes a tensor without data). */
static int
shape_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
           _bs_scratch *s, char *err, size_t errlen)
{
  int64_t lo, hi;
  shape_range (n, in[0]->shape.ndim, &lo, &hi);
  for (int64_t i = lo; i < hi; i++)
    bs_tensor_i64 (out[0])[i - lo] = in[0]->shape.dims[i];
  return 0;
}

static int
shape_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  out[0] = BS_DT_INT64;
  return 0;
}

const _bs_op_def _bs_op_shape = {
  BS_OP_SHAPE, "Shape", 1, 1, 1, shape_parse, shape_infer, shape_run, shape_dtypes,
};

/* Gather ------------------------------------------------------------------------------ */

static int
gather_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  if (axis_parse (n, 0, false, err, errlen) < 0)
    return -1;
  if (opset < 11 && n->p.axis.axis < 0)
    return _bs_nn_fail (err, errlen, "negative axis needs opset ≥ 11");
  return 0;
}

static int
gather_infer (const bs_node *n, int opset, const bs_shape *const *in,
              const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  int64_t axis;
  int r = in[0]->ndim, q = in[1]->ndim, k = 0;

  if (r < 1)
    return _bs_nn_fail (err, errlen, "data must have rank ≥ 1");
  if (_bs_axis (n->p.axis.axis, r, false, &axis, err, errlen) < 0)
    return -1;
  if (r - 1 + q > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "output rank %d exceeds %d", r - 1 + q, BS_MAX_DIMS);
  for (int i = 0; i < axis; i++)
    out[0].dims[k++] = in[0]->dims[i];
  for (int i = 0; i < q; i++)
    out[0].dims[k++] = in[1]->dims[i];
  for (int i = (int) axis + 1; i < r; i++)
    out[0].dims[k++] = in[0]->dims[i];
  out[0].ndim = k;
  if (cin[1])
    {
      const int64_t *ix = bs_tensor_i64 (cin[1]);
      int64_t d = in[0]->dims[axis];
      for (int64_t i = 0; i < bs_tensor_numel (cin[1]); i++)
        if (ix[i] < -d || ix[i] >= d)
          return _bs_nn_fail (err, errlen, "index %lld is outside [-%lld, %lld)",
                              (long long) ix[i], (long long) d, (long long) d);
    }
  return 0;
}

static int
gather_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
            _bs_scratch *s, char *err, size_t errlen)
{
  const bs_shape *xs = &in[0]->shape;
  size_t es = bs_dtype_size (in[0]->dtype);
  const int64_t *ix = bs_tensor_i64 (in[1]);
  int64_t axis, nix = bs_tensor_numel (in[1]), outer, inner, d;
  const char *x = in[0]->data;
  char *y = out[0]->data;

  _bs_axis (n->p.axis.axis, xs->ndim, false, &axis, NULL, 0);
  outer = prod (xs, 0, (int) axis);
  inner = prod (xs, (int) axis + 1, xs->ndim);
  d = xs->dims[axis];
  for (int64_t i = 0; i < nix; i++)
    if (ix[i] < -d || ix[i] >= d)
      return _bs_nn_fail (err, errlen, "index %lld is outside [-%lld, %lld)", (long long) ix[i],
                          (long long) d, (long long) d);
  if (!inner)
    return 0;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < nix; i++)
      {
        int64_t k = ix[i] < 0 ? ix[i] + d : ix[i];
        memcpy (y + (size_t) ((o * nix + i) * inner) * es,
                x + (size_t) ((o * d + k) * inner) * es, (size_t) inner * es);
      }
  return 0;
}

const _bs_op_def _bs_op_gather = {
  BS_OP_GATHER, "Gather", 2, 2, 1, gather_parse, gather_infer, gather_run, data_index_dtypes,
};

/* Unsqueeze, Squeeze -------------------------------------------------------------------- */

/* Axes from the attribute before opset 13 (required for Unsqueeze), from
 * input 1 after. */
static int
axes_parse (bs_node *n, int opset, bool unsqueeze, char *err, size_t errlen)
{
  static const char *const old[] = { "axes", NULL };
  static const char *const none[] = { NULL };
  const int64_t *v;
  int c;

  n->p.axes.n = -1;
  if (opset >= 13)
    {
      if (unsqueeze && (n->n_inputs < 2 || n->inputs[1] < 0))
        return _bs_nn_fail (err, errlen, "needs a data and an axes input");
      return _bs_attr_only (n, none, err, errlen);
    }
  if (n->n_inputs > 1)
    return _bs_nn_fail (err, errlen, "axes is an attribute before opset 13");
  if (_bs_attr_only (n, old, err, errlen) < 0
      || _bs_attr_get_ints (n, "axes", &c, &v, err, errlen) < 0)
    return -1;
  if (c < 0 && unsqueeze)
    return _bs_nn_fail (err, errlen, "attribute 'axes' is required");
  if (c > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "%d axes exceed rank %d", c, BS_MAX_DIMS);
  if (c >= 0)
    {
      n->p.axes.n = c;
      if (c)
        memcpy (n->p.axes.axes, v, (size_t) c * sizeof *v);
    }
  return 0;
}

static int
unsqueeze_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  return axes_parse (n, opset, true, err, errlen);
}

static int
squeeze_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  return axes_parse (n, opset, false, err, errlen);
}

/* The axes (attribute or constant input 1) normalised against rank r into
 * mark[]: 0 ok, -1 error, BS_ERR_NONCONST, 1 when no axes are given. */
static int
axes_mark (const bs_node *n, const bs_tensor *const *cin, int r, bool *mark, char *err,
           size_t errlen)
{
  const int64_t *ax = n->p.axes.axes;
  int64_t cnt = n->p.axes.n;

  memset (mark, 0, BS_MAX_DIMS * sizeof *mark);
  if (cnt < 0 && n->n_inputs > 1 && n->inputs[1] >= 0)
    {
      if (!cin[1])
        {
          _bs_nn_fail (err, errlen, "axes input is not a constant");
          return BS_ERR_NONCONST;
        }
      if (cin[1]->shape.ndim != 1)
        return _bs_nn_fail (err, errlen, "axes must be a 1-D tensor");
      ax = bs_tensor_i64 (cin[1]);
      cnt = cin[1]->shape.dims[0];
    }
  if (cnt < 0)
    return 1;
  for (int64_t i = 0; i < cnt; i++)
    {
      int64_t a;
      if (_bs_axis (ax[i], r, false, &a, err, errlen) < 0)
        return -1;
      if (mark[a])
        return _bs_nn_fail (err, errlen, "axis %lld is repeated", (long long) ax[i]);
      mark[a] = true;
    }
  return 0;
}

static int
unsqueeze_infer (const bs_node *n, int opset, const bs_shape *const *in,
                 const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  bool mark[BS_MAX_DIMS];
  int64_t cnt = n->p.axes.n;
  int r, k = 0, rc;

  if (cnt < 0)
    cnt = cin[1] ? bs_tensor_numel (cin[1]) : 0;
  if (in[0]->ndim + cnt > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "output rank exceeds %d", BS_MAX_DIMS);
  r = in[0]->ndim + (int) cnt;
  if ((rc = axes_mark (n, cin, r, mark, err, errlen)) != 0)
    return rc == 1 ? _bs_nn_fail (err, errlen, "no axes") : rc;
  out[0].ndim = r;
  for (int i = 0; i < r; i++)
    out[0].dims[i] = mark[i] ? 1 : in[0]->dims[k++];
  return 0;
}

static int
squeeze_infer (const bs_node *n, int opset, const bs_shape *const *in,
               const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  bool mark[BS_MAX_DIMS];
  int r = in[0]->ndim, k = 0;
  int rc = axes_mark (n, cin, r, mark, err, errlen);

  if (rc < 0)
    return rc;
  for (int i = 0; i < r; i++)
    {
      if (rc == 1)
        mark[i] = in[0]->dims[i] == 1;
      else if (mark[i] && in[0]->dims[i] != 1)
        return _bs_nn_fail (err, errlen, "dim %d is %lld, not 1", i, (long long) in[0]->dims[i]);
      if (!mark[i])
        out[0].dims[k++] = in[0]->dims[i];
    }
  out[0].ndim = k;
  return 0;
}

const _bs_op_def _bs_op_unsqueeze = {
  BS_OP_UNSQUEEZE, "Unsqueeze", 1, 2, 1, unsqueeze_parse, unsqueeze_infer, copy_run,
  data_index_dtypes,
};

const _bs_op_def _bs_op_squeeze = {
  BS_OP_SQUEEZE, "Squeeze", 1, 2, 1, squeeze_parse, squeeze_infer, copy_run, data_index_dtypes,
};

/* Cast (between float and int64) ---------------------------------------------------------- */

static int
cast_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "to", NULL };
  int64_t to;

  if (_bs_attr_only (n, known, err, errlen) < 0)
    return -1;
  if (!bs_node_attr (n, "to"))
    return _bs_nn_fail (err, errlen, "attribute 'to' is required");
  if (_bs_attr_get_int (n, "to", 0, &to, err, errlen) < 0)
    return -1;
  if (to != BS_DT_FLOAT && to != BS_DT_INT64)
    return _bs_nn_fail (err, errlen, "cast to element type %lld is not supported (float and "
                        "int64 only)", (long long) to);
  n->p.cast.to = (bs_dtype) to;
  return 0;
}

static int
cast_infer (const bs_node *n, int opset, const bs_shape *const *in,
            const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  out[0] = *in[0];
  return 0;
}

static int
cast_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  int64_t k = bs_tensor_numel (in[0]);

  if (in[0]->dtype == out[0]->dtype)
    return copy_run (n, opset, in, out, s, err, errlen);
  if (out[0]->dtype == BS_DT_FLOAT)
    for (int64_t i = 0; i < k; i++)
      bs_tensor_f32 (out[0])[i] = (float) bs_tensor_i64 (in[0])[i];
  else
    for (int64_t i = 0; i < k; i++)
      {
        float v = bs_tensor_f32 (in[0])[i];
        /* toward zero, as C and numpy do; NaN and out of range are errors */
        if (!(v > -9.2233720e18f && v < 9.2233720e18f))
          return _bs_nn_fail (err, errlen, "%g does not fit int64", (double) v);
        bs_tensor_i64 (out[0])[i] = (int64_t) v;
      }
  return 0;
}

static int
cast_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  out[0] = n->p.cast.to;
  return 0;
}

const _bs_op_def _bs_op_cast = {
  BS_OP_CAST, "Cast", 1, 1, 1, cast_parse, cast_infer, cast_run, cast_dtypes,
};

/* Pad (mode "constant") ---------------------------------------------------------------- */

static int
pad_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const old[] = { "mode", "pads", "value", NULL };
  static const char *const known[] = { "mode", NULL };
  const char *mode;
  const int64_t *v;
  int c;

  if (opset < 2)
    return _bs_nn_fail (err, errlen, "Pad-1 (attribute 'paddings') is not supported");
  if (_bs_attr_only (n, opset < 11 ? old : known, err, errlen) < 0
      || _bs_attr_get_string (n, "mode", "constant", &mode, err, errlen) < 0)
    return -1;
  if (strcmp (mode, "constant") != 0)
    return _bs_nn_fail (err, errlen, "mode '%s' is not supported (constant only)", mode);
  n->p.pad.npads = -1;
  n->p.pad.value = 0.0f;
  if (opset >= 11)
    {
      if (n->n_inputs < 2 || n->inputs[1] < 0)
        return _bs_nn_fail (err, errlen, "needs a data and a pads input");
      return 0;
    }
  if (n->n_inputs > 1)
    return _bs_nn_fail (err, errlen, "pads and value are attributes before opset 11");
  if (_bs_attr_get_ints (n, "pads", &c, &v, err, errlen) < 0
      || _bs_attr_get_float (n, "value", 0.0f, &n->p.pad.value, err, errlen) < 0)
    return -1;
  if (c < 0)
    return _bs_nn_fail (err, errlen, "attribute 'pads' is required");
  if (c > 2 * BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "%d pads exceed rank %d", c, BS_MAX_DIMS);
  n->p.pad.npads = c;
  if (c)
    memcpy (n->p.pad.pads, v, (size_t) c * sizeof *v);
  return 0;
}

/* The pads (attribute or input 1) as begin[0..r) and end[0..r). */
static int
pad_amounts (const bs_node *n, const bs_tensor *pads_in, int r, const int64_t **p, char *err,
             size_t errlen)
{
  int64_t cnt = n->p.pad.npads;
  *p = n->p.pad.pads;
  if (cnt < 0)
    {
      if (!pads_in)
        {
          _bs_nn_fail (err, errlen, "pads input is not a constant");
          return BS_ERR_NONCONST;
        }
      if (pads_in->shape.ndim != 1)
        return _bs_nn_fail (err, errlen, "pads must be a 1-D tensor");
      *p = bs_tensor_i64 (pads_in);
      cnt = pads_in->shape.dims[0];
    }
  if (cnt != 2 * r)
    return _bs_nn_fail (err, errlen, "%lld pads for rank %d (need %d)", (long long) cnt, r,
                        2 * r);
  return 0;
}

static int
pad_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
           bs_shape *out, char *err, size_t errlen)
{
  const int64_t *p;
  int r = in[0]->ndim, rc = pad_amounts (n, n->n_inputs > 1 ? cin[1] : NULL, r, &p, err, errlen);

  if (rc < 0)
    return rc;
  if (n->n_inputs > 2 && in[2] && bs_shape_numel (in[2]) != 1)
    return _bs_nn_fail (err, errlen, "constant_value must be a scalar");
  out[0].ndim = r;
  for (int i = 0; i < r; i++)
    {
      int64_t d = in[0]->dims[i] + p[i] + p[r + i];
      if (p[i] > BS_TENSOR_MAX_BYTES || p[r + i] > BS_TENSOR_MAX_BYTES || d < 0)
        return _bs_nn_fail (err, errlen, "pads %lld, %lld on dim %d of %lld", (long long) p[i],
                            (long long) p[r + i], i, (long long) in[0]->dims[i]);
      out[0].dims[i] = d;
    }
  return 0;
}

static int
pad_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  const bs_shape *xs = &in[0]->shape, *ys = &out[0]->shape;
  const float *x = bs_tensor_f32 (in[0]);
  float *y = bs_tensor_f32 (out[0]);
  float value = n->p.pad.value;
  int r = xs->ndim;
  int64_t ny = bs_shape_numel (ys), inner, coord[BS_MAX_DIMS] = { 0 };
  const int64_t *p;

  if (pad_amounts (n, n->n_inputs > 1 ? in[1] : NULL, r, &p, err, errlen) < 0)
    return -1;
  if (n->n_inputs > 2 && in[2])
    value = bs_tensor_f32 (in[2])[0];
  if (r == 0)
    {
      if (ny)
        y[0] = x[0];
      return 0;
    }
  inner = ys->dims[r - 1];
  /* one output row (last dim) at a time: its source row, or all padding */
  for (int64_t done = 0; done < ny; done += inner)
    {
      bool inside = true;
      int64_t src = 0;
      for (int i = 0; i < r - 1; i++)
        {
          int64_t c = coord[i] - p[i];
          inside = inside && c >= 0 && c < xs->dims[i];
          src = src * xs->dims[i] + c;
        }
      for (int64_t t = 0; t < inner; t++)
        {
          int64_t c = t - p[r - 1];
          y[done + t] = inside && c >= 0 && c < xs->dims[r - 1]
                          ? x[src * xs->dims[r - 1] + c] : value;
        }
      for (int i = r - 2; i >= 0; i--)
        {
          if (++coord[i] < ys->dims[i])
            break;
          coord[i] = 0;
        }
    }
  return 0;
}

static int
pad_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  if (in[0] != BS_DT_FLOAT)
    return _bs_nn_fail (err, errlen, "input 0 is %s, expected float", bs_dtype_name (in[0]));
  if (n->n_inputs > 1 && in[1] && in[1] != BS_DT_INT64)
    return _bs_nn_fail (err, errlen, "input 1 (pads) is %s, expected int64",
                        bs_dtype_name (in[1]));
  if (n->n_inputs > 2 && in[2] && in[2] != BS_DT_FLOAT)
    return _bs_nn_fail (err, errlen, "input 2 (constant_value) is %s, expected float",
                        bs_dtype_name (in[2]));
  out[0] = BS_DT_FLOAT;
  return 0;
}

const _bs_op_def _bs_op_pad = {
  BS_OP_PAD, "Pad", 1, 3, 1, pad_parse, pad_infer, pad_run, pad_dtypes,
};
