/* ops-gemm.c — Gemm and MatMul over cblas_sgemm, with direct-loop references. */
#include "nn-private.h"

#include <cblas.h>
#include <string.h>

static void
gemm_init_c (int64_t m, int64_t n, float beta, const float *c, int64_t c_rs, int64_t c_cs,
             float *y)
{
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      y[i * n + j] = c ? beta * c[i * c_rs + j * c_cs] : 0.0f;
}

void
bs_gemm (int64_t m, int64_t n, int64_t k, float alpha, const float *a, bool trans_a,
         const float *b, bool trans_b, float beta, const float *c, int64_t c_rs, int64_t c_cs,
         float *y)
{
  gemm_init_c (m, n, beta, c, c_rs, c_cs, y);
  if (m == 0 || n == 0 || k == 0)
    return;
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, (int) m, (int) n, (int) k, alpha, a,
               (int) (trans_a ? m : k), b, (int) (trans_b ? k : n), 1.0f, y, (int) n);
}

void
bs_gemm_ref (int64_t m, int64_t n, int64_t k, float alpha, const float *a, bool trans_a,
             const float *b, bool trans_b, float beta, const float *c, int64_t c_rs,
             int64_t c_cs, float *y)
{
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      {
        double acc = 0;
        for (int64_t t = 0; t < k; t++)
          acc += (double) (trans_a ? a[t * m + i] : a[i * k + t])
                 * (trans_b ? b[j * k + t] : b[t * n + j]);
        y[i * n + j] = (float) (alpha * acc + (c ? (double) beta * c[i * c_rs + j * c_cs] : 0.0));
      }
}

/* MatMul ------------------------------------------------------------------------- */

/* a, b as [batch…, M, K] and [batch…, K, N] after 1-D promotion. */
typedef struct {
  bs_shape a, b;
  bool a_vec, b_vec;
} mm_view;

static void
mm_promote (const bs_shape *as, const bs_shape *bs, mm_view *v)
{
  v->a = *as;
  v->b = *bs;
  v->a_vec = as->ndim == 1;
  v->b_vec = bs->ndim == 1;
  if (v->a_vec)
    {
      v->a.ndim = 2;
      v->a.dims[1] = as->dims[0];
      v->a.dims[0] = 1;
    }
  if (v->b_vec)
    {
      v->b.ndim = 2;
      v->b.dims[0] = bs->dims[0];
      v->b.dims[1] = 1;
    }
}

int
bs_matmul_shape (const bs_shape *as, const bs_shape *bs, bs_shape *y, char *err, size_t errlen)
{
  mm_view v;
  bs_shape ba, bb, by;

  if (as->ndim < 1 || bs->ndim < 1)
    return _bs_nn_fail (err, errlen, "MatMul operands must have rank ≥ 1");
  mm_promote (as, bs, &v);
  if (v.a.dims[v.a.ndim - 1] != v.b.dims[v.b.ndim - 2])
    return _bs_nn_fail (err, errlen, "inner dims %lld and %lld differ",
                        (long long) v.a.dims[v.a.ndim - 1], (long long) v.b.dims[v.b.ndim - 2]);
  ba = bs_shape_make (v.a.ndim - 2, v.a.dims);
  bb = bs_shape_make (v.b.ndim - 2, v.b.dims);
  if (bs_broadcast_shape (&ba, &bb, &by, err, errlen) < 0)
    return -1;
  *y = by;
  if (!v.a_vec)
    y->dims[y->ndim++] = v.a.dims[v.a.ndim - 2];
  if (!v.b_vec)
    y->dims[y->ndim++] = v.b.dims[v.b.ndim - 1];
  return 0;
}

void
bs_matmul (const bs_shape *as, const float *a, const bs_shape *bs, const float *b,
           const bs_shape *ys, float *y)
{
  mm_view v;
  int ra, rb, r;
  int64_t m, k, n, nbatch = 1, coord[BS_MAX_DIMS] = { 0 };

  (void) ys;
  mm_promote (as, bs, &v);
  ra = v.a.ndim - 2;
  rb = v.b.ndim - 2;
  r = ra > rb ? ra : rb;
  m = v.a.dims[ra];
  k = v.a.dims[ra + 1];
  n = v.b.dims[rb + 1];
  int64_t dims[BS_MAX_DIMS];
  for (int i = 0; i < r; i++)
    {
      int ia = i - (r - ra), ib = i - (r - rb);
      int64_t da = ia >= 0 ? v.a.dims[ia] : 1, db = ib >= 0 ? v.b.dims[ib] : 1;
      dims[i] = da > db ? da : db;
      nbatch *= dims[i];
    }
  for (int64_t t = 0; t < nbatch; t++)
    {
      int64_t oa = 0, ob = 0, sa = 1, sb = 1;
      /* offsets of this batch entry in a and b (broadcast dims repeat) */
      for (int i = r - 1; i >= 0; i--)
        {
          int ia = i - (r - ra), ib = i - (r - rb);
          if (ia >= 0)
            {
              if (v.a.dims[ia] > 1)
                oa += coord[i] * sa;
              sa *= v.a.dims[ia];
            }
          if (ib >= 0)
            {
              if (v.b.dims[ib] > 1)
                ob += coord[i] * sb;
              sb *= v.b.dims[ib];
            }
        }
      bs_gemm (m, n, k, 1.0f, a + oa * m * k, false, b + ob * k * n, false, 0.0f, NULL, 0, 0,
               y + t * m * n);
      for (int i = r - 1; i >= 0; i--)
        {
          if (++coord[i] < dims[i])
            break;
          coord[i] = 0;
        }
    }
}

/* Node glue ------------------------------------------------------------------------ */

static int
gemm_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { "alpha", "beta", "transA", "transB", "broadcast", NULL };
  bs_gemm_params *p = &n->p.gemm;
  int64_t ta, tb;

  if (_bs_attr_only (n, known, err, errlen) < 0
      || _bs_attr_get_float (n, "alpha", 1.0f, &p->alpha, err, errlen) < 0
      || _bs_attr_get_float (n, "beta", 1.0f, &p->beta, err, errlen) < 0
      || _bs_attr_get_int (n, "transA", 0, &ta, err, errlen) < 0
      || _bs_attr_get_int (n, "transB", 0, &tb, err, errlen) < 0)
    return -1;
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    return _bs_nn_fail (err, errlen, "transA and transB must be 0 or 1");
  p->trans_a = ta;
  p->trans_b = tb;
  return 0;
}

/* M, N, K of a Gemm and the strides of C broadcast to [M, N]. */
static int
gemm_dims (const bs_node *n, const bs_shape *a, const bs_shape *b, const bs_shape *c,
           int64_t *m, int64_t *nn, int64_t *k, int64_t *c_rs, int64_t *c_cs, char *err,
           size_t errlen)
{
  const bs_gemm_params *p = &n->p.gemm;
  int64_t kb;

  if (a->ndim != 2 || b->ndim != 2)
    return _bs_nn_fail (err, errlen, "A and B must be 2-D (got rank %d and %d)", a->ndim,
                        b->ndim);
  *m = p->trans_a ? a->dims[1] : a->dims[0];
  *k = p->trans_a ? a->dims[0] : a->dims[1];
  kb = p->trans_b ? b->dims[1] : b->dims[0];
  *nn = p->trans_b ? b->dims[0] : b->dims[1];
  if (*k != kb)
    return _bs_nn_fail (err, errlen, "A gives K = %lld, B gives %lld", (long long) *k,
                        (long long) kb);
  *c_rs = *c_cs = 0;
  if (c)
    {
      int64_t cm = c->ndim == 2 ? c->dims[0] : 1;
      int64_t cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
      if (c->ndim > 2 || (cm != 1 && cm != *m) || (cn != 1 && cn != *nn))
        return _bs_nn_fail (err, errlen, "C does not broadcast to [%lld,%lld]", (long long) *m,
                            (long long) *nn);
      *c_cs = cn == 1 ? 0 : 1;
      *c_rs = cm == 1 ? 0 : cn;
    }
  return 0;
}

static int
gemm_infer (const bs_node *n, int opset, const bs_shape *const *in, const bs_tensor *const *cin,
            bs_shape *out, char *err, size_t errlen)
{
  int64_t m = 0, nn = 0, k = 0, rs = 0, cs = 0;
  const bs_shape *c = n->n_inputs > 2 ? in[2] : NULL;
  if (gemm_dims (n, in[0], in[1], c, &m, &nn, &k, &rs, &cs, err, errlen) < 0)
    return -1;
  out[0].ndim = 2;
  out[0].dims[0] = m;
  out[0].dims[1] = nn;
  return 0;
}

static int
gemm_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
          _bs_scratch *s, char *err, size_t errlen)
{
  const bs_gemm_params *p = &n->p.gemm;
  const bs_tensor *c = n->n_inputs > 2 ? in[2] : NULL;
  int64_t m = 0, nn = 0, k = 0, rs = 0, cs = 0;

  if (gemm_dims (n, &in[0]->shape, &in[1]->shape, c ? &c->shape : NULL, &m, &nn, &k, &rs, &cs,
                 err, errlen) < 0)
    return -1;
  bs_gemm (m, nn, k, p->alpha, bs_tensor_f32 (in[0]), p->trans_a, bs_tensor_f32 (in[1]),
           p->trans_b, p->beta, c ? bs_tensor_f32 (c) : NULL, rs, cs, bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_gemm = {
  BS_OP_GEMM, "Gemm", 2, 3, 1, gemm_parse, gemm_infer, gemm_run, NULL,
};

static int
matmul_parse (bs_node *n, int opset, char *err, size_t errlen)
{
  static const char *const known[] = { NULL };
  return _bs_attr_only (n, known, err, errlen);
}

static int
matmul_infer (const bs_node *n, int opset, const bs_shape *const *in,
              const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen)
{
  return bs_matmul_shape (in[0], in[1], &out[0], err, errlen);
}

static int
matmul_run (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
            _bs_scratch *s, char *err, size_t errlen)
{
  bs_matmul (&in[0]->shape, bs_tensor_f32 (in[0]), &in[1]->shape, bs_tensor_f32 (in[1]),
             &out[0]->shape, bs_tensor_f32 (out[0]));
  return 0;
}

const _bs_op_def _bs_op_matmul = {
  BS_OP_MATMUL, "MatMul", 2, 2, 1, matmul_parse, matmul_infer, matmul_run, NULL,
};
