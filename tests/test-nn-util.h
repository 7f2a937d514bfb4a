/* test-nn-util.h — small helpers shared by the engine/nn tests (they build
 * inputs and compare results; nothing here computes expected values). */
#pragma once

#include <glib.h>
#include <math.h>
#include <stdint.h>

#include "bs-graph.h"
#include "bs-tensor.h"

/* A float tensor with the given dims and values (values may be NULL: zeros). */
bs_tensor nn_tensor (int ndim, const int64_t *dims, const float *values);
/* An int64 tensor [n]. */
bs_tensor nn_tensor_i64 (int n, const int64_t *values);

bs_attr nn_attr_int (const char *name, int64_t v);
bs_attr nn_attr_float (const char *name, float v);
bs_attr nn_attr_str (const char *name, const char *s);
/* ints: n values (the array is borrowed, not copied). */
bs_attr nn_attr_ints (const char *name, int n, int64_t *v);

/* Assert |got - want| ≤ tol · max(1, |want|) element-wise (NaN equal to NaN). */
void nn_assert_close (const float *got, const float *want, int64_t n, double tol,
                      const char *what);

/* Build, finalize and run a graph of one node.  inputs[i] are the runtime
 * inputs named "x0", "x1", …; consts[i] initializers named "c0", "c1", …;
 * node input names are listed in in_names ("" for omitted).  The output is
 * named "y" and returned in *out (allocated). */
void nn_run_one (const char *op, int opset, int n_in, const char *const *in_names,
                 int n_inputs, const bs_tensor *inputs, int n_consts, bs_tensor *consts,
                 int n_attrs, const bs_attr *attrs, bs_tensor *out);
/* The same, but return -1 and the message when building or running fails. */
int nn_try_one (const char *op, int opset, int n_in, const char *const *in_names, int n_inputs,
                const bs_tensor *inputs, int n_consts, bs_tensor *consts, int n_attrs,
                const bs_attr *attrs, bs_tensor *out, char *err, size_t errlen);

/* A small CNN over [N,1,8,8] inputs touching most ops: Conv+BN+Relu,
 * MaxPool, grouped and depthwise Conv, Add, Clip, AveragePool, Concat,
 * Flatten, Gemm+BN, Reshape, MatMul, Softmax → "y" [N,10].  Weights are
 * pseudo-random from seed.  Finalized. */
bs_graph *nn_small_cnn (int opset, uint64_t seed);
/* Convolutions in every position bs_graph_conv_fusion tells apart, over
 * [N,16,6,6] inputs ("x"; all 3×3 convs pad 1, 20 or 32 channels):
 *   c1 → r1 (Relu)                     fused: relu
 *   c2 (32 → 20), then c3 (1×1 of x)   c2 not fused: a conv comes next
 *   c3 → add1 (+ c2's) → r2            fused: add, relu
 *   c4 → add2 (+ r2's, no Relu)        fused: add
 *   c5 → r3, c5's output a graph output ("a9")          not fused
 *   c6 → r4 and add3 (two readers)                      not fused
 * → "y" (6 × 6), then
 *   c7 (20 → 24) → r5 → p1 (MaxPool 2×2 stride 2)       fused: relu, pool
 *   c8 (24 → 8) → p2 (MaxPool 2×2 stride 1)             fused: pool
 * → "z" (2 × 2).  Weights pseudo-random from seed.  Finalized. */
bs_graph *nn_residual_net (uint64_t seed);
/* A float tensor [n, c, h, w] of pseudo-random values in [-1, 1). */
bs_tensor nn_random (int ndim, const int64_t *dims, uint64_t seed);
