/* ops-elementwise.c — Relu, Clip, Add, Sub, Mul, Div (numpy broadcasting), inference
 * BatchNormalization, Identity and Dropout (identity at inference). */
#include "nn-private.h"
#include "bs-simd-clones.h"

#include <float.h>
#include <math.h>
#include <string.h>

void
bs_relu (int64_t n, const float *x, float *y)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

/* A 32-bit count per block, which vectorises (also for AVX2 and AVX-512,
 * bs-simd-clones.h: on blocks in the L1 cache about three times faster
 * than SSE2). */
BS_SIMD_CLONES int64_t
bs_count_zeros (const float *x, int64_t n)
{
  int64_t z = 0;

  for (int64_t base = 0; base < n; base += 1 << 20)
    {
      int64_t m = n - base < 1 << 20 ? n - base : 1 << 20;
      uint32_t zb = 0;
      for (int64_t i = 0; i < m; i++)
        zb += x[base + i] == 0.0f;
      z += zb;
    }
  return z;
}

void
bs_clip (int64_t n, const float *x, float lo, float hi, float *y)
{
  for (int64_t i = 0; i < n; i++)
    {
      float v = x[i];
      y[i] = v < lo ? lo : v > hi ? hi : v;
    }
}

void
bs_batchnorm (int64_t n, int64_t c, int64_t inner, const float *x, const float *scale,
              const float *bias, const float *mean, const float *var, float eps, float *y)
{
  for (int64_t ch = 0; ch < c; ch++)
    {
      /* y = x·a + b with a = scale / sqrt(var + eps), b = bias - mean·a (double) */
      double a = scale[ch] / sqrt ((double) var[ch] + eps);
      double b = bias[ch] - mean[ch] * a;
      for (int64_t i = 0; i < n; i++)
        {
          const float *xp = x + (i * c + ch) * inner;
          float *yp = y + (i * c + ch) * inner;
          for (int64_t t = 0; t < inner; t++)
            yp[t] = (float) (xp[t] * a + b);
        }
    }
}

int
bs_broadcast_shape (const bs_shape *a, const bs_shape *b, bs_shape *y, char *err, size_t errlen)
{
  int r = a->ndim > b->ndim ? a->ndim : b->ndim;
  bs_shape out = { .ndim = r };

  for (int i = 0; i < r; i++)
    {
      int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
      int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
      if (da != db && da != 1 && db != 1)
        {
          char sa[96], sb[96];
          bs_shape_format (a, sa, sizeof sa);
          bs_shape_format (b, sb, sizeof sb);
          return _bs_nn_fail (err, errlen, "shapes %s and %s do not broadcast", sa, sb);
        }
      out.dims[i] = da == 1 ? db : da;
    }
  *y = out;
  return 0;
}

/* Strides of a (rank ≤ r, right-aligned) read as shape ys: 0 on broadcast dims. */
static void
bcast_strides (const bs_shape *s, const bs_shape *ys, int64_t *st)
{
  int64_t acc = 1;
  for (int i = ys->ndim - 1; i >= 0; i--)
    {
      int is = i - (ys->ndim - s->ndim);
      if (is >= 0)
        {
          st[i] = s->dims[is] == 1 ? 0 : acc;
          acc *= s->dims[is];
        }
      else
        st[i] = 0;
    }
}

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

static inline float
bin (bin_kind k, float a, float b)
{
  switch (k)
    {
    case BIN_ADD:
      return a + b;
    case BIN_SUB:
      return a - b;
    case BIN_MUL:
      return a * b;
    default:
      return a / b;
    }
}

/* y = a ∘ b with numpy broadcasting (ys from bs_broadcast_shape). */
static void
binary (bin_kind k, const bs_shape *as, const float *a, const bs_shape *bs, const float *b,
        const bs_shape *ys, float *y)
{
  int64_t sa[BS_MAX_DIMS], sb[BS_MAX_DIMS], coord[BS_MAX_DIMS] = { 0 };
  int64_t n = bs_shape_numel (ys), inner, ia, ib;
  int r = ys->ndim;

  if (bs_shape_equal (as, ys) && bs_shape_equal (bs, ys))
    {
      for (int64_t i = 0; i < n; i++)
        y[i] = bin (k, a[i], b[i]);
      return;
    }
  if (r == 0 || n == 0)
    {
      if (n)
        y[0] = bin (k, a[0], b[0]);
      return;
    }
  bcast_strides (as, ys, sa);
  bcast_strides (bs, ys, sb);
  inner = ys->dims[r - 1];
  for (int64_t done = 0; done < n; done += inner)
    {
      ia = ib = 0;
      for (int i = 0; i < r - 1; i++)
        ia += coord[i] * sa[i], ib += coord[i] * sb[i];
      for (int64_t t = 0; t < inner; t++)
        y[done + t] = bin (k, a[ia + t * sa[r - 1]], b[ib + t * sb[r - 1]]);
      for (int i = r - 2; i >= 0; i--)
        {
          if (++coord[i] < ys->dims[i])
            break;
          coord[i] = 0;
        }
    }
}

void
bs_add (const bs_shape *as, const float *a, const bs_shape *bs, const float *b,
        const bs_shape *ys, float *y)
{
  binary (BIN_ADD, as, a, bs, b, ys, y);
}

/* Node glue -------------------------------------------------------------------------- */

static int
no_attrs_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { NULL };
  return _bs_attr_only (n, known, err, errlen);
}

static int
same_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
            bs_shape *out, char *err, size_t errlen)
{
  out[0] = *in[0];
  return 0;
}

static int
copy_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  int64_t k = bs_tensor_numel (in[0]);
  if (k && out[0]->data != in[0]->data)
    memcpy (out[0]->data, in[0]->data, (size_t) k * bs_dtype_size (in[0]->dtype));
  return 0;
}

static int
relu_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  bs_relu (bs_tensor_numel (in[0]), bs_tensor_f32 (in[0]), bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_relu = {
  BS_OP_RELU, "Relu", 1, 1, 1, no_attrs_parse, same_infer, relu_run, NULL,
};

static int
same_dtypes (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen)
{
  out[0] = in[0];
  return 0;
}

const _bs_op_def _bs_op_identity = {
  BS_OP_IDENTITY, "Identity", 1, 1, 1, no_attrs_parse, same_infer, copy_run, same_dtypes,
};

/* Clip: opset < 11 states min and max as attributes, later opsets as optional
 * scalar inputs 1 and 2. */
static int
clip_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const old[] = { "min", "max", NULL };
  static const char *const none[] = { NULL };

  n->p.clip.min = -FLT_MAX;
  n->p.clip.max = FLT_MAX;
  if (opset < 11)
    {
      if (n->n_inputs > 1)
        return _bs_nn_fail (err, errlen, "min and max are attributes before opset 11");
      if (_bs_attr_only (n, old, err, errlen) < 0
          || _bs_attr_get_float (n, "min", -FLT_MAX, &n->p.clip.min, err, errlen) < 0
          || _bs_attr_get_float (n, "max", FLT_MAX, &n->p.clip.max, err, errlen) < 0)
        return -1;
      return 0;
    }
  return _bs_attr_only (n, none, err, errlen);
}

static int
clip_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
            bs_shape *out, char *err, size_t errlen)
{
  for (int i = 1; i < n->n_inputs; i++)
    if (in[i] && bs_shape_numel (in[i]) != 1)
      return _bs_nn_fail (err, errlen, "%s must be a scalar", i == 1 ? "min" : "max");
  out[0] = *in[0];
  return 0;
}

static int
clip_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  float lo = n->p.clip.min, hi = n->p.clip.max;
  if (n->n_inputs > 1 && in[1])
    lo = bs_tensor_f32 (in[1])[0];
  if (n->n_inputs > 2 && in[2])
    hi = bs_tensor_f32 (in[2])[0];
  bs_clip (bs_tensor_numel (in[0]), bs_tensor_f32 (in[0]), lo, hi, bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_clip = {
  BS_OP_CLIP, "Clip", 1, 3, 1, clip_parse, clip_infer, clip_run, NULL,
};

static int
add_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  if (opset < 7)
    {
      int64_t bc;
      if (_bs_attr_get_int (n, "broadcast", 0, &bc, err, errlen) < 0)
        return -1;
      if (bc || bs_node_attr (n, "axis"))
        return _bs_nn_fail (err, errlen, "legacy (opset < 7) broadcasting is not supported");
    }
  return no_attrs_parse (n, opset, err, errlen);
}

static int
add_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
           bs_shape *out, char *err, size_t errlen)
{
  return bs_broadcast_shape (in[0], in[1], &out[0], err, errlen);
}

static int
binary_run (bin_kind k, const bs_tensor *const *in, bs_tensor *const *out)
{
  binary (k, &in[0]->shape, bs_tensor_f32 (in[0]), &in[1]->shape, bs_tensor_f32 (in[1]),
          &out[0]->shape, bs_tensor_f32 (out[0]));
  return 0;
}

static int
add_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  return binary_run (BIN_ADD, in, out);
}

static int
sub_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  return binary_run (BIN_SUB, in, out);
}

static int
mul_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  return binary_run (BIN_MUL, in, out);
}

static int
div_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
         _bs_scratch *s, char *err, size_t errlen)
{
  return binary_run (BIN_DIV, in, out);
}

/* Mul, Sub and Div share Add's attributes (none from opset 7), shapes and
 * float-only types. */
const _bs_op_def _bs_op_add = {
  BS_OP_ADD, "Add", 2, 2, 1, add_parse, add_infer, add_run, NULL,
};

const _bs_op_def _bs_op_sub = {
  BS_OP_SUB, "Sub", 2, 2, 1, add_parse, add_infer, sub_run, NULL,
};

const _bs_op_def _bs_op_mul = {
  BS_OP_MUL, "Mul", 2, 2, 1, add_parse, add_infer, mul_run, NULL,
};

const _bs_op_def _bs_op_div = {
  BS_OP_DIV, "Div", 2, 2, 1, add_parse, add_infer, div_run, NULL,
};

static int
bn_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "epsilon", "momentum", "spatial", "training_mode",
                                       "is_test", "consumed_inputs", NULL };
  int64_t spatial, training;

  if (_bs_attr_only (n, known, err, errlen) < 0
      || _bs_attr_get_float (n, "epsilon", 1e-5f, &n->p.bn.epsilon, err, errlen) < 0
      || _bs_attr_get_int (n, "spatial", 1, &spatial, err, errlen) < 0
      || _bs_attr_get_int (n, "training_mode", 0, &training, err, errlen) < 0)
    return -1;
  if (spatial != 1)
    return _bs_nn_fail (err, errlen, "spatial=0 (per-activation statistics) is not supported");
  if (training != 0)
    return _bs_nn_fail (err, errlen, "training_mode=1 is not supported (inference only)");
  if (!(n->p.bn.epsilon >= 0))
    return _bs_nn_fail (err, errlen, "epsilon must be ≥ 0");
  return 0;
}

static int
bn_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
          bs_shape *out, char *err, size_t errlen)
{
  if (in[0]->ndim < 2)
    return _bs_nn_fail (err, errlen, "input rank %d: need N and C", in[0]->ndim);
  for (int i = 1; i < 5; i++)
    if (in[i]->ndim != 1 || in[i]->dims[0] != in[0]->dims[1])
      return _bs_nn_fail (err, errlen, "input %d must have shape [%lld]", i,
                          (long long) in[0]->dims[1]);
  out[0] = *in[0];
  return 0;
}

static int
bn_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
        _bs_scratch *s, char *err, size_t errlen)
{
  const bs_shape *x = &in[0]->shape;
  int64_t inner = 1;
  for (int i = 2; i < x->ndim; i++)
    inner *= x->dims[i];
  bs_batchnorm (x->dims[0], x->dims[1], inner, bs_tensor_f32 (in[0]), bs_tensor_f32 (in[1]),
                bs_tensor_f32 (in[2]), bs_tensor_f32 (in[3]), bs_tensor_f32 (in[4]),
                n->p.bn.epsilon, bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_batchnorm = {
  BS_OP_BATCHNORM, "BatchNormalization", 5, 5, 1, bn_parse, bn_infer, bn_run, NULL,
};

/* Dropout at inference passes its input through; the ratio (attribute before
 * opset 12, input after) and seed do not matter then. */
static int
dropout_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "ratio", "seed", "is_test", "consumed_inputs", NULL };
  if (opset < 12 && n->n_inputs > 1)
    return _bs_nn_fail (err, errlen, "ratio is an attribute before opset 12");
  if (n->n_inputs > 2 && n->inputs[2] >= 0)
    return _bs_nn_fail (err, errlen, "the training_mode input is not supported (inference only)");
  return _bs_attr_only (n, known, err, errlen);
}

const _bs_op_def _bs_op_dropout = {
  BS_OP_DROPOUT, "Dropout", 1, 3, 1, dropout_parse, same_infer, copy_run, NULL,
};
