/* arch.c — the architectures the trainer builds (the bundled models'), and
 * their cost.
 *
 *   mlp     Flatten, Gemm 256 + BN + ReLU, Gemm 128 + BN + ReLU, Gemm classes
 *   cnn     2 × [Conv 3×3 + BN + ReLU + MaxPool 2] (32, 64 channels),
 *           Flatten, Gemm 128 + BN + ReLU, Gemm classes
 *   resnet  stem Conv 3×3 (24) + BN + ReLU at full resolution; two basic
 *           blocks (Conv 3×3 stride 2 + BN + ReLU + Conv 3×3 + BN, plus a 1×1
 *           stride-2 Conv + BN shortcut, Add, ReLU) to 32 channels at 1/2 and
 *           64 channels at 1/4 resolution; GlobalAveragePool, Flatten, Gemm
 *           (the three widths can be chosen)
 *
 * The QNN form replaces ReLU with hardtanh (Clip -1..1), drops the Conv/Gemm
 * biases and puts a BN after the last Gemm (Hubara et al.'s layout).  Graphs
 * use opset 13. */
#include "train-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARCH_OPSET 13

const char *
bs_arch_name (bs_arch a)
{
  switch (a)
    {
    case BS_ARCH_MLP:
      return "mlp";
    case BS_ARCH_CNN:
      return "cnn";
    case BS_ARCH_RESNET:
      return "resnet";
    }
  return "?";
}

int
bs_arch_parse (const char *name, bs_arch *a)
{
  for (int i = 0; i <= BS_ARCH_RESNET; i++)
    if (name && strcmp (name, bs_arch_name ((bs_arch) i)) == 0)
      {
        *a = (bs_arch) i;
        return 0;
      }
  return -1;
}

typedef struct {
  bs_graph *g;
  uint64_t rng;
  bool qnn;
  int fail;
  char *err;
  size_t errlen;
} builder;

typedef enum { INIT_HE, INIT_ZERO, INIT_ONE } init_kind;

static void
add_init (builder *b, const char *name, int ndim, const int64_t *dims, init_kind kind,
          int64_t fan_in)
{
  bs_tensor t = { 0 };
  float *p;
  int64_t n;
  if (b->fail)
    return;
  if (bs_tensor_init_f32 (&t, ndim, dims, b->err, b->errlen) < 0)
    {
      b->fail = 1;
      return;
    }
  p = bs_tensor_f32 (&t);
  n = bs_tensor_numel (&t);
  for (int64_t i = 0; i < n; i++)
    switch (kind)
      {
      case INIT_HE:
        p[i] = b->qnn ? (float) (2.0 * _tr_uniform (&b->rng) - 1.0)
                      : (float) (_tr_normal (&b->rng) * sqrt (2.0 / (double) fan_in));
        break;
      case INIT_ZERO:
        p[i] = 0.0f;
        break;
      case INIT_ONE:
        p[i] = 1.0f;
        break;
      }
  if (bs_graph_add_initializer (b->g, name, &t, b->err, b->errlen) < 0)
    {
      bs_tensor_clear (&t);
      b->fail = 1;
    }
}

static void
add_node (builder *b, const char *op, const char *name, int n_in, const char *const *in,
          const char *out, int n_attrs, const bs_attr *attrs)
{
  if (b->fail)
    return;
  if (bs_graph_add_node (b->g, op, name, n_in, in, 1, (const char *const[]) { out }, n_attrs,
                         attrs, b->err, b->errlen) < 0)
    b->fail = 1;
}

static bs_attr
attr_ints (const char *name, int n, int64_t *v)
{
  bs_attr a = { 0 };
  a.name = (char *) name;
  a.type = BS_ATTR_INTS;
  a.n = n;
  a.ints = v;
  return a;
}

static bs_attr
attr_int (const char *name, int64_t v)
{
  bs_attr a = { 0 };
  a.name = (char *) name;
  a.type = BS_ATTR_INT;
  a.i = v;
  return a;
}

/* Conv k×k, stride s, padding (k-1)/2, no bias (a BN follows). */
static void
conv (builder *b, const char *name, const char *x, int64_t cin, int64_t cout, int64_t k,
      int64_t s, const char *y)
{
  char w[96];
  int64_t dims[4] = { cout, cin, k, k }, ks[2] = { k, k }, st[2] = { s, s };
  int64_t p = (k - 1) / 2, pads[4] = { p, p, p, p };
  bs_attr at[3] = { attr_ints ("kernel_shape", 2, ks), attr_ints ("strides", 2, st),
                    attr_ints ("pads", 4, pads) };
  snprintf (w, sizeof w, "%s.weight", name);
  add_init (b, w, 4, dims, INIT_HE, cin * k * k);
  add_node (b, "Conv", name, 2, (const char *const[]) { x, w }, y, 3, at);
}

static void
batchnorm (builder *b, const char *name, const char *x, int64_t c, const char *y)
{
  char s[96], bi[96], m[96], v[96];
  int64_t dims[1] = { c };
  snprintf (s, sizeof s, "%s.scale", name);
  snprintf (bi, sizeof bi, "%s.bias", name);
  snprintf (m, sizeof m, "%s.mean", name);
  snprintf (v, sizeof v, "%s.var", name);
  add_init (b, s, 1, dims, INIT_ONE, 0);
  add_init (b, bi, 1, dims, INIT_ZERO, 0);
  add_init (b, m, 1, dims, INIT_ZERO, 0);
  add_init (b, v, 1, dims, INIT_ONE, 0);
  bs_attr eps = { .name = (char *) "epsilon", .type = BS_ATTR_FLOAT, .f = 1e-5f };
  add_node (b, "BatchNormalization", name, 5, (const char *const[]) { x, s, bi, m, v }, y, 1,
            &eps);
}

/* ReLU, or hardtanh (Clip to [-1, 1]) in the QNN form. */
static void
activation (builder *b, const char *name, const char *x, const char *y)
{
  if (b->qnn)
    add_node (b, "Clip", name, 3, (const char *const[]) { x, "hardtanh.min", "hardtanh.max" },
              y, 0, NULL);
  else
    add_node (b, "Relu", name, 1, (const char *const[]) { x }, y, 0, NULL);
}

static void
gemm (builder *b, const char *name, const char *x, int64_t in, int64_t out, bool bias,
      const char *y)
{
  char w[96], bb[96];
  int64_t wd[2] = { out, in }, bd[1] = { out };
  bs_attr tb = attr_int ("transB", 1);
  snprintf (w, sizeof w, "%s.weight", name);
  snprintf (bb, sizeof bb, "%s.bias", name);
  add_init (b, w, 2, wd, INIT_HE, in);
  if (bias)
    {
      add_init (b, bb, 1, bd, INIT_ZERO, 0);
      add_node (b, "Gemm", name, 3, (const char *const[]) { x, w, bb }, y, 1, &tb);
    }
  else
    add_node (b, "Gemm", name, 2, (const char *const[]) { x, w }, y, 1, &tb);
}

static void
maxpool2 (builder *b, const char *name, const char *x, const char *y)
{
  int64_t ks[2] = { 2, 2 }, st[2] = { 2, 2 };
  bs_attr at[2] = { attr_ints ("kernel_shape", 2, ks), attr_ints ("strides", 2, st) };
  add_node (b, "MaxPool", name, 1, (const char *const[]) { x }, y, 2, at);
}

static void
flatten (builder *b, const char *name, const char *x, const char *y)
{
  bs_attr ax = attr_int ("axis", 1);
  add_node (b, "Flatten", name, 1, (const char *const[]) { x }, y, 1, &ax);
}

/* The classifier: Gemm to the classes (with a bias, or a BN in the QNN form). */
static void
classifier (builder *b, const char *x, int64_t in, int classes)
{
  if (b->qnn)
    {
      gemm (b, "fc_out", x, in, classes, false, "fc_out.y");
      batchnorm (b, "bn_out", "fc_out.y", classes, "logits");
    }
  else
    gemm (b, "fc_out", x, in, classes, true, "logits");
}

static void
build_mlp (builder *b, int64_t in, int classes)
{
  const int64_t w[2] = { 256, 128 };
  char prev[64] = "flat";
  int64_t pin = in;
  flatten (b, "flatten", "input", "flat");
  for (int i = 0; i < 2; i++)
    {
      char fc[32], fy[48], bn[32], by[48], act[32], ay[48];
      snprintf (fc, sizeof fc, "fc%d", i + 1);
      snprintf (fy, sizeof fy, "fc%d.y", i + 1);
      snprintf (bn, sizeof bn, "bn%d", i + 1);
      snprintf (by, sizeof by, "bn%d.y", i + 1);
      snprintf (act, sizeof act, "act%d", i + 1);
      snprintf (ay, sizeof ay, "act%d.y", i + 1);
      gemm (b, fc, prev, pin, w[i], !b->qnn, fy);
      batchnorm (b, bn, fy, w[i], by);
      activation (b, act, by, ay);
      snprintf (prev, sizeof prev, "%s", ay);
      pin = w[i];
    }
  classifier (b, prev, pin, classes);
}

static void
build_cnn (builder *b, int64_t c, int64_t h, int64_t w, int classes)
{
  const int64_t ch[2] = { 32, 64 };
  char prev[64] = "input";
  int64_t pc = c;
  for (int i = 0; i < 2; i++)
    {
      char cv[32], cy[48], bn[32], by[48], act[32], ay[48], pl[32], py[48];
      snprintf (cv, sizeof cv, "conv%d", i + 1);
      snprintf (cy, sizeof cy, "conv%d.y", i + 1);
      snprintf (bn, sizeof bn, "bn%d", i + 1);
      snprintf (by, sizeof by, "bn%d.y", i + 1);
      snprintf (act, sizeof act, "act%d", i + 1);
      snprintf (ay, sizeof ay, "act%d.y", i + 1);
      snprintf (pl, sizeof pl, "pool%d", i + 1);
      snprintf (py, sizeof py, "pool%d.y", i + 1);
      conv (b, cv, prev, pc, ch[i], 3, 1, cy);
      batchnorm (b, bn, cy, ch[i], by);
      activation (b, act, by, ay);
      maxpool2 (b, pl, ay, py);
      snprintf (prev, sizeof prev, "%s", py);
      pc = ch[i];
      h /= 2;
      w /= 2;
    }
  flatten (b, "flatten", prev, "flat");
  gemm (b, "fc1", "flat", pc * h * w, 128, !b->qnn, "fc1.y");
  batchnorm (b, "bn3", "fc1.y", 128, "bn3.y");
  activation (b, "act3", "bn3.y", "act3.y");
  classifier (b, "act3.y", 128, classes);
}

/* A basic block: x → conv-bn-act-conv-bn, plus the shortcut, then act. */
static void
basic_block (builder *b, const char *name, const char *x, int64_t cin, int64_t cout,
             int64_t stride, const char *y)
{
  char n1[64], n2[64], v1[80], v2[80], v3[80], v4[80], sc[80], sum[80], nm[64];
  snprintf (n1, sizeof n1, "%s.conv1", name);
  snprintf (v1, sizeof v1, "%s.conv1.y", name);
  conv (b, n1, x, cin, cout, 3, stride, v1);
  snprintf (nm, sizeof nm, "%s.bn1", name);
  snprintf (v2, sizeof v2, "%s.bn1.y", name);
  batchnorm (b, nm, v1, cout, v2);
  snprintf (nm, sizeof nm, "%s.act1", name);
  snprintf (v3, sizeof v3, "%s.act1.y", name);
  activation (b, nm, v2, v3);
  snprintf (n2, sizeof n2, "%s.conv2", name);
  snprintf (v4, sizeof v4, "%s.conv2.y", name);
  conv (b, n2, v3, cout, cout, 3, 1, v4);
  snprintf (nm, sizeof nm, "%s.bn2", name);
  snprintf (v1, sizeof v1, "%s.bn2.y", name);
  batchnorm (b, nm, v4, cout, v1);
  if (stride != 1 || cin != cout)
    {
      char pc[64], pcy[80], pb[64];
      snprintf (pc, sizeof pc, "%s.proj", name);
      snprintf (pcy, sizeof pcy, "%s.proj.y", name);
      conv (b, pc, x, cin, cout, 1, stride, pcy);
      snprintf (pb, sizeof pb, "%s.proj_bn", name);
      snprintf (sc, sizeof sc, "%s.proj_bn.y", name);
      batchnorm (b, pb, pcy, cout, sc);
    }
  else
    snprintf (sc, sizeof sc, "%s", x);
  snprintf (nm, sizeof nm, "%s.add", name);
  snprintf (sum, sizeof sum, "%s.add.y", name);
  add_node (b, "Add", nm, 2, (const char *const[]) { v1, sc }, sum, 0, NULL);
  snprintf (nm, sizeof nm, "%s.act2", name);
  activation (b, nm, sum, y);
}

static void
build_resnet (builder *b, int64_t c, const int64_t *ch, int classes)
{
  char prev[64], next[64];
  conv (b, "stem", "input", c, ch[0], 3, 1, "stem.y");
  batchnorm (b, "stem_bn", "stem.y", ch[0], "stem_bn.y");
  activation (b, "stem_act", "stem_bn.y", "stem_act.y");
  snprintf (prev, sizeof prev, "stem_act.y");
  int64_t pc = ch[0];
  for (int s = 1; s < 3; s++)
    {
      char name[32];
      snprintf (name, sizeof name, "block%d", s);
      snprintf (next, sizeof next, "block%d.y", s);
      basic_block (b, name, prev, pc, ch[s], 2, next);
      snprintf (prev, sizeof prev, "%s", next);
      pc = ch[s];
    }
  add_node (b, "GlobalAveragePool", "gap", 1, (const char *const[]) { prev }, "gap.y", 0, NULL);
  flatten (b, "flatten", "gap.y", "flat");
  classifier (b, "flat", pc, classes);
}

int
bs_train_build (bs_arch arch, bool qnn, int64_t c, int64_t h, int64_t w, int classes,
                const int64_t *widths, int n_widths, uint64_t seed, bs_graph **out, char *err,
                size_t errlen)
{
  static const int64_t resnet_widths[BS_RESNET_STAGES] = { 24, 32, 64 };
  builder b = { 0 };
  bs_shape in;
  int64_t dims[4] = { -1, c, h, w };

  *out = NULL;
  if (c < 1 || h < 4 || w < 4 || classes < 2)
    return _tr_fail (err, errlen, "input %lld×%lld×%lld with %d classes is too small",
                     (long long) c, (long long) h, (long long) w, classes);
  if (n_widths > 0 && arch != BS_ARCH_RESNET)
    return _tr_fail (err, errlen, "channel widths apply to resnet only, not %s",
                     bs_arch_name (arch));
  if (n_widths > 0 && n_widths != BS_RESNET_STAGES)
    return _tr_fail (err, errlen, "resnet takes %d channel widths (stem, block 1, block 2), "
                     "not %d", BS_RESNET_STAGES, n_widths);
  for (int i = 0; i < n_widths; i++)
    if (widths[i] < 1 || widths[i] > 4096)
      return _tr_fail (err, errlen, "channel width %lld is out of range (1..4096)",
                       (long long) widths[i]);
  if (n_widths == 0)
    widths = resnet_widths;
  b.g = bs_graph_new (ARCH_OPSET);
  if (!b.g)
    return _tr_fail (err, errlen, "out of memory");
  b.rng = _tr_mix (seed, 0x1417u, (uint64_t) arch);
  b.qnn = qnn;
  b.err = err;
  b.errlen = errlen;
  in = bs_shape_make (4, dims);
  if (bs_graph_add_input (b.g, "input", BS_DT_FLOAT, &in, err, errlen) < 0)
    b.fail = 1;
  if (qnn)
    {
      add_init (&b, "hardtanh.min", 0, NULL, INIT_ONE, 0);
      add_init (&b, "hardtanh.max", 0, NULL, INIT_ONE, 0);
      if (!b.fail)
        bs_tensor_f32 (&b.g->values[bs_graph_find_value (b.g, "hardtanh.min")].data)[0] = -1.0f;
    }
  switch (arch)
    {
    case BS_ARCH_MLP:
      build_mlp (&b, c * h * w, classes);
      break;
    case BS_ARCH_CNN:
      build_cnn (&b, c, h, w, classes);
      break;
    case BS_ARCH_RESNET:
      build_resnet (&b, c, widths, classes);
      break;
    }
  if (!b.fail && (bs_graph_add_output (b.g, "logits", err, errlen) < 0
                  || bs_graph_finalize (b.g, err, errlen) < 0))
    b.fail = 1;
  if (b.fail)
    {
      bs_graph_free (b.g);
      return -1;
    }
  *out = b.g;
  return 0;
}

int
bs_train_graph_cost (const bs_graph *g, int64_t *macs, int64_t *params, int64_t *all_params,
                     char *err, size_t errlen)
{
  bs_layer_info *layers = NULL;
  int n = 0;
  int64_t m = 0, p = 0, a = 0;
  if (bs_graph_compute_layers (g, NULL, &layers, &n, err, errlen) < 0)
    return -1;
  for (int i = 0; i < n; i++)
    {
      m += layers[i].macs;
      p += layers[i].params;
    }
  free (layers);
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].kind == BS_VALUE_INITIALIZER && g->values[v].dtype == BS_DT_FLOAT)
      a += bs_tensor_numel (&g->values[v].data);
  if (macs)
    *macs = m;
  if (params)
    *params = p;
  if (all_params)
    *all_params = a;
  return 0;
}
