/* window.c — Conv and pooling windows: attributes, and output geometry. */
#include "nn-private.h"

#include <string.h>

/* Copy a per-spatial-dim list (length nsp) into the 2-D slots: a 1-D list
 * goes to the width slot. */
static void
put2 (int64_t dst[2], int nsp, const int64_t *src)
{
  if (nsp == 1)
    dst[1] = src[0];
  else
    dst[0] = src[0], dst[1] = src[1];
}

int
_bs_window_parse (const bs_node *n, bool conv, bs_window *w, char *err, size_t errlen)
{
  const int64_t *ks, *st, *pd, *dl;
  int nks, nst, npd, ndl, nsp = 0;
  int64_t ceil_mode = 0, cip = 0;
  const char *ap;

  memset (w, 0, sizeof *w);
  w->stride[0] = w->stride[1] = 1;
  w->dilation[0] = w->dilation[1] = 1;
  w->kernel[0] = conv ? 0 : 1;
  if (_bs_attr_get_ints (n, "kernel_shape", &nks, &ks, err, errlen) < 0
      || _bs_attr_get_ints (n, "strides", &nst, &st, err, errlen) < 0
      || _bs_attr_get_ints (n, "pads", &npd, &pd, err, errlen) < 0
      || _bs_attr_get_ints (n, "dilations", &ndl, &dl, err, errlen) < 0
      || _bs_attr_get_string (n, "auto_pad", "NOTSET", &ap, err, errlen) < 0
      || _bs_attr_get_int (n, "ceil_mode", 0, &ceil_mode, err, errlen) < 0
      || _bs_attr_get_int (n, "count_include_pad", 0, &cip, err, errlen) < 0)
    return -1;

  if (nks >= 0)
    nsp = nks;
  else if (!conv)
    return _bs_nn_fail (err, errlen, "attribute 'kernel_shape' is required");
  else if (nst >= 0)
    nsp = nst;
  else if (ndl >= 0)
    nsp = ndl;
  else if (npd >= 0)
    nsp = npd / 2;
  if (nsp == 0 && (nks >= 0 || nst >= 0 || ndl >= 0 || npd >= 0))
    return _bs_nn_fail (err, errlen, "window attributes are empty");
  if (nsp > 2)
    return _bs_nn_fail (err, errlen, "%d-D windows are not supported (1-D and 2-D only)", nsp);
  if ((nks >= 0 && nks != nsp) || (nst >= 0 && nst != nsp) || (ndl >= 0 && ndl != nsp)
      || (npd >= 0 && npd != 2 * nsp))
    return _bs_nn_fail (err, errlen, "kernel_shape, strides, dilations and pads disagree on "
                        "the number of spatial dims");
  w->nsp = nsp;
  if (nks >= 0)
    {
      w->kernel[0] = 1;
      put2 (w->kernel, nsp, ks);
    }
  if (nst >= 0)
    put2 (w->stride, nsp, st);
  if (ndl >= 0)
    put2 (w->dilation, nsp, dl);
  if (npd >= 0)
    {
      put2 (w->pad_begin, nsp, pd);
      put2 (w->pad_end, nsp, pd + nsp);
    }
  for (int i = 0; i < 2; i++)
    {
      if ((nks >= 0 && w->kernel[i] < 1) || w->stride[i] < 1 || w->dilation[i] < 1
          || w->pad_begin[i] < 0 || w->pad_end[i] < 0)
        return _bs_nn_fail (err, errlen, "kernel, strides and dilations must be ≥ 1 and pads ≥ 0");
      if (w->kernel[i] > ((int64_t) 1 << 24) || w->stride[i] > ((int64_t) 1 << 24)
          || w->dilation[i] > ((int64_t) 1 << 24) || w->pad_begin[i] > ((int64_t) 1 << 24)
          || w->pad_end[i] > ((int64_t) 1 << 24))
        return _bs_nn_fail (err, errlen, "window attribute beyond 2^24");
    }

  if (strcmp (ap, "NOTSET") == 0 || strcmp (ap, "") == 0)
    w->auto_pad = BS_AUTO_PAD_NOTSET;
  else if (strcmp (ap, "SAME_UPPER") == 0)
    w->auto_pad = BS_AUTO_PAD_SAME_UPPER;
  else if (strcmp (ap, "SAME_LOWER") == 0)
    w->auto_pad = BS_AUTO_PAD_SAME_LOWER;
  else if (strcmp (ap, "VALID") == 0)
    w->auto_pad = BS_AUTO_PAD_VALID;
  else
    return _bs_nn_fail (err, errlen, "auto_pad '%s' is unknown", ap);
  if (w->auto_pad != BS_AUTO_PAD_NOTSET && npd >= 0)
    for (int i = 0; i < 2; i++)
      if (w->pad_begin[i] || w->pad_end[i])
        return _bs_nn_fail (err, errlen, "pads and auto_pad %s together", ap);
  if (ceil_mode != 0 && ceil_mode != 1)
    return _bs_nn_fail (err, errlen, "ceil_mode must be 0 or 1");
  if (cip != 0 && cip != 1)
    return _bs_nn_fail (err, errlen, "count_include_pad must be 0 or 1");
  w->ceil_mode = ceil_mode;
  w->count_include_pad = cip;
  return 0;
}

int
_bs_window_spatial (const bs_window *w, const bs_shape *x, int64_t *ih, int64_t *iw, char *err,
                    size_t errlen)
{
  if (x->ndim != 3 && x->ndim != 4)
    return _bs_nn_fail (err, errlen, "input rank %d: only 1-D and 2-D spatial inputs (rank 3 "
                        "or 4) are supported", x->ndim);
  if (w->nsp && x->ndim != w->nsp + 2)
    return _bs_nn_fail (err, errlen, "input rank %d does not fit a %d-D window", x->ndim, w->nsp);
  *ih = x->ndim == 4 ? x->dims[2] : 1;
  *iw = x->dims[x->ndim - 1];
  return 0;
}

/* One spatial dim: pads and output size (see bs_window_resolve). */
static int
resolve1 (const bs_window *w, int i, int64_t in, int64_t k, int64_t *pb, int64_t *pe,
          int64_t *out, char *err, size_t errlen)
{
  int64_t s = w->stride[i], ek = (k - 1) * w->dilation[i] + 1;

  switch (w->auto_pad)
    {
    case BS_AUTO_PAD_SAME_UPPER:
    case BS_AUTO_PAD_SAME_LOWER:
      {
        int64_t o = (in + s - 1) / s, total = (o - 1) * s + ek - in;
        if (total < 0)
          total = 0;
        if (w->auto_pad == BS_AUTO_PAD_SAME_UPPER)
          *pb = total / 2, *pe = total - total / 2;
        else
          *pe = total / 2, *pb = total - total / 2;
        *out = o;
        break;
      }
    case BS_AUTO_PAD_VALID:
      *pb = *pe = 0;
      if (in < ek)
        return _bs_nn_fail (err, errlen, "window %lld is larger than the input %lld",
                            (long long) ek, (long long) in);
      *out = (in - ek) / s + 1;
      break;
    case BS_AUTO_PAD_NOTSET:
    default:
      {
        int64_t span;
        *pb = w->pad_begin[i];
        *pe = w->pad_end[i];
        span = in + *pb + *pe - ek;
        if (span < 0)
          return _bs_nn_fail (err, errlen, "window %lld is larger than the padded input %lld",
                              (long long) ek, (long long) (in + *pb + *pe));
        if (w->ceil_mode)
          {
            *out = (span + s - 1) / s + 1;
            if ((*out - 1) * s >= in + *pb)
              (*out)--;
          }
        else
          *out = span / s + 1;
        break;
      }
    }
  if (*out < 1)
    return _bs_nn_fail (err, errlen, "empty output");
  return 0;
}

int
bs_window_resolve (const bs_window *w, int64_t ih, int64_t iw, int64_t kh_w, int64_t kw_w,
                   bs_geom *g, char *err, size_t errlen)
{
  memset (g, 0, sizeof *g);
  g->ih = ih;
  g->iw = iw;
  g->kh = w->kernel[0] ? w->kernel[0] : kh_w;
  g->kw = w->kernel[1] ? w->kernel[1] : kw_w;
  g->sh = w->stride[0];
  g->sw = w->stride[1];
  g->dh = w->dilation[0];
  g->dw = w->dilation[1];
  if (g->kh < 1 || g->kw < 1)
    return _bs_nn_fail (err, errlen, "kernel size must be ≥ 1");
  if (ih < 1 || iw < 1)
    return _bs_nn_fail (err, errlen, "empty spatial input");
  if (resolve1 (w, 0, ih, g->kh, &g->pt, &g->pb, &g->oh, err, errlen) < 0
      || resolve1 (w, 1, iw, g->kw, &g->pl, &g->pr, &g->ow, err, errlen) < 0)
    return -1;
  return 0;
}
