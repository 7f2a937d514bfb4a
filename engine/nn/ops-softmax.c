/* ops-softmax.c — Softmax, with the axis semantics of each opset. */
#include "nn-private.h"

#include <math.h>

/* Each of the outer · inner rows of len elements strided by inner: subtract
 * the maximum, exponentiate in float, normalise by the double sum.  A row
 * holding +inf or NaN comes out NaN, as the formula gives. */
void
bs_softmax (int64_t outer, int64_t len, int64_t inner, const float *x, float *y)
{
  for (int64_t o = 0; o < outer; o++)
    for (int64_t t = 0; t < inner; t++)
      {
        const float *xr = x + o * len * inner + t;
        float *yr = y + o * len * inner + t;
        float mx = -INFINITY;
        double sum = 0;
        for (int64_t i = 0; i < len && !isnan (mx); i++)
          if (xr[i * inner] > mx || isnan (xr[i * inner]))
            mx = xr[i * inner];
        for (int64_t i = 0; i < len; i++)
          {
            float e = expf (xr[i * inner] - mx);
            yr[i * inner] = e;
            sum += e;
          }
        for (int64_t i = 0; i < len; i++)
          yr[i * inner] = (float) (yr[i * inner] / sum);
      }
}

static int
softmax_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "axis", NULL };
  if (_bs_attr_only (n, known, err, errlen) < 0)
    return -1;
  return _bs_attr_get_int (n, "axis", opset < 13 ? 1 : -1, &n->p.axis.axis, err, errlen);
}

/* outer × len × inner view of the input: before opset 13 the input is
 * coerced to 2-D at axis (len = everything from axis on); from 13 the axis
 * alone. */
static int
softmax_view (const bs_node *n, int opset, const bs_shape *x, int64_t *outer, int64_t *len,
              int64_t *inner, char *err, size_t errlen)
{
  int64_t axis;
  if (_bs_axis (n->p.axis.axis, x->ndim, opset < 13, &axis, err, errlen) < 0)
    return -1;
  *outer = *len = *inner = 1;
  for (int i = 0; i < x->ndim; i++)
    {
      if (i < axis)
        *outer *= x->dims[i];
      else if (i == axis || opset < 13)
        *len *= x->dims[i];
      else
        *inner *= x->dims[i];
    }
  return 0;
}

static int
softmax_infer (const bs_node *n, int opset, const bs_shape *const *in,
               const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  int64_t o, l, i;
  if (in[0]->ndim < 1)
    return _bs_nn_fail (err, errlen, "input must have rank ≥ 1");
  if (softmax_view (n, opset, in[0], &o, &l, &i, err, errlen) < 0)
    return -1;
  out[0] = *in[0];
  return 0;
}

static int
softmax_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
             _bs_scratch *s, char *err, size_t errlen)
{
  int64_t o, l, i;
  if (softmax_view (n, opset, &in[0]->shape, &o, &l, &i, err, errlen) < 0)
    return -1;
  bs_softmax (o, l, i, bs_tensor_f32 (in[0]), bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_softmax = {
  BS_OP_SOFTMAX, "Softmax", 1, 1, 1, softmax_parse, softmax_infer, softmax_run, NULL,
};
