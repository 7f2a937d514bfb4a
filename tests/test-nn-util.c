#include "test-nn-util.h"

#include <string.h>

bs_tensor
nn_tensor (int ndim, const int64_t *dims, const float *values)
{
  bs_tensor t;
  char err[200];
  g_assert_cmpint (bs_tensor_init_f32 (&t, ndim, dims, err, sizeof err), ==, 0);
  if (values)
    memcpy (t.data, values, (size_t) bs_tensor_numel (&t) * sizeof (float));
  return t;
}

bs_tensor
nn_tensor_i64 (int n, const int64_t *values)
{
  bs_tensor t;
  bs_shape s = { .ndim = 1, .dims = { n } };
  char err[200];
  g_assert_cmpint (bs_tensor_init (&t, BS_DT_INT64, &s, err, sizeof err), ==, 0);
  if (n)
    memcpy (t.data, values, (size_t) n * sizeof (int64_t));
  return t;
}

bs_attr
nn_attr_int (const char *name, int64_t v)
{
  return (bs_attr) { .name = (char *) name, .type = BS_ATTR_INT, .i = v };
}

bs_attr
nn_attr_float (const char *name, float v)
{
  return (bs_attr) { .name = (char *) name, .type = BS_ATTR_FLOAT, .f = v };
}

bs_attr
nn_attr_str (const char *name, const char *s)
{
  return (bs_attr) { .name = (char *) name, .type = BS_ATTR_STRING, .s = (char *) s };
}

bs_attr
nn_attr_ints (const char *name, int n, int64_t *v)
{
  return (bs_attr) { .name = (char *) name, .type = BS_ATTR_INTS, .n = n, .ints = v };
}

void
nn_assert_close (const float *got, const float *want, int64_t n, double tol, const char *what)
{
  for (int64_t i = 0; i < n; i++)
    {
      double g = got[i], w = want[i];
      if (isnan (w) && isnan (g))
        continue;
      if (!(fabs (g - w) <= tol * fmax (1.0, fabs (w))))
        {
          g_autofree char *msg = g_strdup_printf ("%s: element %" G_GINT64_FORMAT
                                                  ": got %.9g, want %.9g", what, i, g, w);
          g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
        }
    }
}

int
nn_try_one (const char *op, int opset, int n_in, const char *const *in_names, int n_inputs,
            const bs_tensor *inputs, int n_consts, bs_tensor *consts, int n_attrs,
            const bs_attr *attrs, bs_tensor *out, char *err, size_t errlen)
{
  bs_graph *g = bs_graph_new (opset);
  const char *outs[] = { "y" };
  bs_shape shapes[8];
  bs_exec *x = NULL;
  int rc = -1;

  memset (out, 0, sizeof *out);
  for (int i = 0; i < n_inputs; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "x%d", i);
      if (bs_graph_add_input (g, name, inputs[i].dtype, &inputs[i].shape, err, errlen) < 0)
        goto out;
      shapes[i] = inputs[i].shape;
    }
  for (int i = 0; i < n_consts; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "c%d", i);
      if (bs_graph_add_initializer (g, name, &consts[i], err, errlen) < 0)
        goto out;
    }
  if (bs_graph_add_node (g, op, "node", n_in, in_names, 1, outs, n_attrs, attrs, err, errlen) < 0
      || bs_graph_add_output (g, "y", err, errlen) < 0 || bs_graph_finalize (g, err, errlen) < 0)
    goto out;
  if (!(x = bs_exec_new (g, shapes, err, errlen)))
    goto out;
  for (int i = 0; i < n_inputs; i++)
    if (bs_exec_set_input (x, i, bs_tensor_f32 (&inputs[i]), bs_tensor_numel (&inputs[i]), err,
                           errlen) < 0)
      goto out;
  if (bs_exec_run (x, err, errlen) < 0)
    goto out;
  g_assert_cmpint (bs_tensor_copy (out, bs_exec_tensor (x, g->outputs[0]), err, errlen), ==, 0);
  rc = 0;
out:
  bs_exec_free (x);
  bs_graph_free (g);
  return rc;
}

void
nn_run_one (const char *op, int opset, int n_in, const char *const *in_names, int n_inputs,
            const bs_tensor *inputs, int n_consts, bs_tensor *consts, int n_attrs,
            const bs_attr *attrs, bs_tensor *out)
{
  char err[300] = "";
  int rc = nn_try_one (op, opset, n_in, in_names, n_inputs, inputs, n_consts, consts, n_attrs,
                       attrs, out, err, sizeof err);
  if (rc < 0)
    g_error ("%s", err);
}

#include "bs-test-ref.h"

bs_tensor
nn_random (int ndim, const int64_t *dims, uint64_t seed)
{
  bs_test_rng r = { seed };
  bs_tensor t = nn_tensor (ndim, dims, NULL);
  for (int64_t i = 0; i < bs_tensor_numel (&t); i++)
    bs_tensor_f32 (&t)[i] = (float) (2 * bs_test_rng_uniform (&r) - 1);
  return t;
}

static void
add_const (bs_graph *g, const char *name, int ndim, const int64_t *dims, uint64_t seed,
           float lo, float hi)
{
  char err[200];
  bs_tensor t = nn_random (ndim, dims, seed);
  for (int64_t i = 0; i < bs_tensor_numel (&t); i++)
    bs_tensor_f32 (&t)[i] = lo + (hi - lo) * (bs_tensor_f32 (&t)[i] + 1) / 2;
  g_assert_cmpint (bs_graph_add_initializer (g, name, &t, err, sizeof err), >=, 0);
}

static void
add_node (bs_graph *g, const char *op, const char *name, const char *ins, const char *out,
          int n_attrs, const bs_attr *attrs)
{
  char err[300];
  g_auto (GStrv) in = g_strsplit (ins, ",", -1);
  const char *outs[] = { out };
  if (bs_graph_add_node (g, op, name, (int) g_strv_length (in), (const char *const *) in, 1, outs,
                         n_attrs, attrs, err, sizeof err) < 0)
    g_error ("%s", err);
}

bs_graph *
nn_small_cnn (int opset, uint64_t seed)
{
  bs_graph *g = bs_graph_new (opset);
  bs_shape in = { .ndim = 4, .dims = { -1, 1, 8, 8 } };
  char err[300];
  int64_t one[] = { 1, 1, 1, 1 }, k3[] = { 3, 3 }, k2[] = { 2, 2 };
  int64_t rs[] = { -1, 10 };

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  add_const (g, "w1", 4, (int64_t[]) { 6, 1, 3, 3 }, seed + 1, -1, 1);
  add_const (g, "b1", 1, (int64_t[]) { 6 }, seed + 2, -0.5f, 0.5f);
  add_const (g, "bn1_s", 1, (int64_t[]) { 6 }, seed + 3, 0.5f, 1.5f);
  add_const (g, "bn1_b", 1, (int64_t[]) { 6 }, seed + 4, -0.5f, 0.5f);
  add_const (g, "bn1_m", 1, (int64_t[]) { 6 }, seed + 5, -0.5f, 0.5f);
  add_const (g, "bn1_v", 1, (int64_t[]) { 6 }, seed + 6, 0.5f, 1.5f);
  add_const (g, "w2", 4, (int64_t[]) { 6, 3, 3, 3 }, seed + 7, -0.5f, 0.5f);
  add_const (g, "w3", 4, (int64_t[]) { 6, 1, 3, 3 }, seed + 8, -0.5f, 0.5f);
  add_const (g, "b3", 1, (int64_t[]) { 6 }, seed + 9, -0.5f, 0.5f);
  add_const (g, "wg", 2, (int64_t[]) { 10, 48 }, seed + 10, -0.3f, 0.3f);
  add_const (g, "bg", 1, (int64_t[]) { 10 }, seed + 11, -0.5f, 0.5f);
  add_const (g, "bn2_s", 1, (int64_t[]) { 10 }, seed + 12, 0.5f, 1.5f);
  add_const (g, "bn2_b", 1, (int64_t[]) { 10 }, seed + 13, -0.5f, 0.5f);
  add_const (g, "bn2_m", 1, (int64_t[]) { 10 }, seed + 14, -0.5f, 0.5f);
  add_const (g, "bn2_v", 1, (int64_t[]) { 10 }, seed + 15, 0.5f, 1.5f);
  add_const (g, "wm", 2, (int64_t[]) { 10, 10 }, seed + 16, -1, 1);
  {
    bs_tensor s = nn_tensor_i64 (2, rs);
    g_assert_cmpint (bs_graph_add_initializer (g, "shape", &s, err, sizeof err), >=, 0);
  }

  bs_attr conv1[] = { nn_attr_ints ("pads", 4, one), nn_attr_ints ("kernel_shape", 2, k3) };
  add_node (g, "Conv", "conv1", "x,w1,b1", "a1", 2, conv1);
  bs_attr bn[] = { nn_attr_float ("epsilon", 1e-3f) };
  add_node (g, "BatchNormalization", "bn1", "a1,bn1_s,bn1_b,bn1_m,bn1_v", "a2", 1, bn);
  add_node (g, "Relu", "relu1", "a2", "a3", 0, NULL);
  bs_attr mp[] = { nn_attr_ints ("kernel_shape", 2, k2), nn_attr_ints ("strides", 2, k2) };
  add_node (g, "MaxPool", "pool1", "a3", "a4", 2, mp);
  bs_attr conv2[] = { nn_attr_ints ("pads", 4, one), nn_attr_int ("group", 2) };
  add_node (g, "Conv", "conv2", "a4,w2", "a5", 2, conv2);
  bs_attr conv3[] = { nn_attr_ints ("pads", 4, one), nn_attr_int ("group", 6) };
  add_node (g, "Conv", "conv3", "a4,w3,b3", "a6", 2, conv3);
  add_node (g, "Add", "add1", "a5,a6", "a7", 0, NULL);
  if (opset >= 11)
    {
      add_const (g, "clip_lo", 0, NULL, seed + 17, -0.5f, -0.5f);
      add_const (g, "clip_hi", 0, NULL, seed + 18, 1.0f, 1.0f);
      add_node (g, "Clip", "clip1", "a7,clip_lo,clip_hi", "a8", 0, NULL);
    }
  else
    {
      bs_attr cl[] = { nn_attr_float ("min", -0.5f), nn_attr_float ("max", 1.0f) };
      add_node (g, "Clip", "clip1", "a7", "a8", 2, cl);
    }
  bs_attr ap[] = { nn_attr_ints ("kernel_shape", 2, k2), nn_attr_ints ("strides", 2, k2) };
  add_node (g, "AveragePool", "pool2", "a8", "a9", 2, ap);
  bs_attr cat[] = { nn_attr_int ("axis", 1) };
  add_node (g, "Concat", "cat1", "a9,a9", "a10", 1, cat);
  add_node (g, "Flatten", "flat1", "a10", "a11", 0, NULL);
  bs_attr gemm[] = { nn_attr_int ("transB", 1) };
  add_node (g, "Gemm", "fc1", "a11,wg,bg", "a12", 1, gemm);
  add_node (g, "BatchNormalization", "bn2", "a12,bn2_s,bn2_b,bn2_m,bn2_v", "a13", 0, NULL);
  add_node (g, "Reshape", "reshape1", "a13,shape", "a14", 0, NULL);
  add_node (g, "MatMul", "mm1", "a14,wm", "a15", 0, NULL);
  bs_attr sm[] = { nn_attr_int ("axis", 1) };
  add_node (g, "Softmax", "softmax1", "a15", "y", 1, sm);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  if (bs_graph_finalize (g, err, sizeof err) < 0)
    g_error ("%s", err);
  return g;
}

bs_graph *
nn_residual_net (uint64_t seed)
{
  bs_graph *g = bs_graph_new (13);
  bs_shape in = { .ndim = 4, .dims = { -1, 16, 6, 6 } };
  char err[300];
  int64_t one[] = { 1, 1, 1, 1 };

  g_assert_cmpint (bs_graph_add_input (g, "x", BS_DT_FLOAT, &in, err, sizeof err), >=, 0);
  add_const (g, "w1", 4, (int64_t[]) { 32, 16, 3, 3 }, seed + 1, -0.3f, 0.3f);
  add_const (g, "b1", 1, (int64_t[]) { 32 }, seed + 2, -0.5f, 0.5f);
  add_const (g, "w2", 4, (int64_t[]) { 20, 32, 3, 3 }, seed + 3, -0.2f, 0.2f);
  add_const (g, "b2", 1, (int64_t[]) { 20 }, seed + 4, -0.5f, 0.5f);
  add_const (g, "w3", 4, (int64_t[]) { 20, 16, 1, 1 }, seed + 5, -0.5f, 0.5f);
  add_const (g, "w4", 4, (int64_t[]) { 20, 20, 3, 3 }, seed + 6, -0.2f, 0.2f);
  add_const (g, "w5", 4, (int64_t[]) { 20, 20, 3, 3 }, seed + 7, -0.2f, 0.2f);
  add_const (g, "w6", 4, (int64_t[]) { 20, 20, 3, 3 }, seed + 8, -0.2f, 0.2f);

  bs_attr pad[] = { nn_attr_ints ("pads", 4, one) };
  add_node (g, "Conv", "c1", "x,w1,b1", "a1", 1, pad);
  add_node (g, "Relu", "r1", "a1", "a2", 0, NULL);
  add_node (g, "Conv", "c2", "a2,w2,b2", "a3", 1, pad);
  add_node (g, "Conv", "c3", "x,w3", "a4", 0, NULL);
  add_node (g, "Add", "add1", "a3,a4", "a5", 0, NULL);
  add_node (g, "Relu", "r2", "a5", "a6", 0, NULL);
  add_node (g, "Conv", "c4", "a6,w4", "a7", 1, pad);
  add_node (g, "Add", "add2", "a6,a7", "a8", 0, NULL);
  add_node (g, "Conv", "c5", "a8,w5", "a9", 1, pad);
  add_node (g, "Relu", "r3", "a9", "a10", 0, NULL);
  add_node (g, "Conv", "c6", "a10,w6", "a11", 1, pad);
  add_node (g, "Relu", "r4", "a11", "a12", 0, NULL);
  add_node (g, "Add", "add3", "a11,a12", "y", 0, NULL);
  add_const (g, "w7", 4, (int64_t[]) { 24, 20, 3, 3 }, seed + 9, -0.2f, 0.2f);
  add_const (g, "w8", 4, (int64_t[]) { 8, 24, 3, 3 }, seed + 10, -0.2f, 0.2f);
  bs_attr p2[] = { nn_attr_ints ("kernel_shape", 2, (int64_t[]) { 2, 2 }),
                   nn_attr_ints ("strides", 2, (int64_t[]) { 2, 2 }) };
  bs_attr p2s1[] = { nn_attr_ints ("kernel_shape", 2, (int64_t[]) { 2, 2 }) };
  add_node (g, "Conv", "c7", "y,w7", "a13", 1, pad);
  add_node (g, "Relu", "r5", "a13", "a14", 0, NULL);
  add_node (g, "MaxPool", "p1", "a14", "a15", 2, p2);
  add_node (g, "Conv", "c8", "a15,w8", "a16", 1, pad);
  add_node (g, "MaxPool", "p2", "a16", "z", 1, p2s1);
  g_assert_cmpint (bs_graph_add_output (g, "y", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "z", err, sizeof err), >=, 0);
  g_assert_cmpint (bs_graph_add_output (g, "a9", err, sizeof err), >=, 0);
  if (bs_graph_finalize (g, err, sizeof err) < 0)
    g_error ("%s", err);
  return g;
}
