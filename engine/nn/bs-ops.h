/* bs-ops.h — float32 kernels of the network ops, callable on their own.
 *
 * The graph runs nodes through these; the quantized evaluator and the trainer
 * call them directly (e.g. bs_im2col to lower a Conv into dot products of
 * quantized operands).  Layouts are NCHW, row-major.  1-D convolutions and
 * pools are run as 2-D ones with height 1.
 *
 * Fast paths (im2col + cblas_sgemm, the depthwise loop) sit beside plain
 * scalar references (bs_conv2d_ref): they agree up to float summation order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Window geometry --------------------------------------------------------- */

typedef enum {
  BS_AUTO_PAD_NOTSET,
  BS_AUTO_PAD_SAME_UPPER,   /* out = ceil(in / stride), extra padding at the end */
  BS_AUTO_PAD_SAME_LOWER,   /* same, extra padding at the beginning */
  BS_AUTO_PAD_VALID,        /* no padding */
} bs_auto_pad;

/* Attributes of a Conv or pooling window as the model states them, always in
 * 2-D form: a 1-D window has kernel, stride and dilation 1 and no padding in
 * the height dimension. */
typedef struct {
  int nsp;                  /* spatial dims of the model's tensors: 1 or 2 */
  int64_t kernel[2];        /* [kh, kw]; 0 = take from the weight (Conv) */
  int64_t stride[2];
  int64_t dilation[2];
  int64_t pad_begin[2];     /* [top, left] (auto_pad NOTSET) */
  int64_t pad_end[2];       /* [bottom, right] */
  bs_auto_pad auto_pad;
  bool ceil_mode;           /* pools: output size rounds up */
  bool count_include_pad;   /* AveragePool: padding counts in the divisor */
} bs_window;

/* A window resolved against a concrete input size. */
typedef struct {
  int64_t ih, iw;           /* input height, width */
  int64_t oh, ow;           /* output height, width */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pt, pl, pb, pr;   /* padding top, left, bottom, right */
} bs_geom;

/* Resolve w for an ih × iw input (kernel from kh_w × kw_w when w->kernel is 0):
 * pads from auto_pad, output size from ONNX's formulas — floor((in + pads -
 * ((k-1)·d + 1)) / s) + 1, or ceil in ceil_mode, where a last window that
 * would start in the end padding is dropped.  Returns -1 when the output
 * would be empty or a parameter is out of range. */
int bs_window_resolve (const bs_window *w, int64_t ih, int64_t iw, int64_t kh_w, int64_t kw_w,
                       bs_geom *g, char *err, size_t errlen);

/* Convolution -------------------------------------------------------------- */

typedef struct {
  int64_t n, c, m, group;   /* batch, input channels, output channels, groups */
  bs_geom g;
} bs_conv_dims;

/* y[n, m, oh, ow] = Σ x[n, c, ·, ·] · w[m, c/group, kh, kw] + b[m] (b may be
 * NULL).  Generic path: per group, im2col of one image (or, for small outputs,
 * of a few images side by side) then one cblas_sgemm; an image's result does
 * not depend on the images beside it.  Groups with one input channel
 * (depthwise) use a direct loop.  scratch holds bs_conv2d_scratch(d) floats
 * (may be NULL when that is 0), which grows with d->n up to a few images. */
void bs_conv2d (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                float *y, float *scratch);
size_t bs_conv2d_scratch (const bs_conv_dims *d);
/* bs_conv2d with an epilogue: y = relu (conv + add), add (NULL: none) of
 * y's shape, the Relu only when relu — the bits of bs_conv2d, then an Add
 * (one float addition), then a Relu (x < 0 ? 0 : x), without the passes. */
void bs_conv2d_fused (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                      const float *add, bool relu, float *y, float *scratch);
/* Where the CPU has AVX-512 (x86-64), ungrouped convolutions with a
 * horizontal stride of 1 or 2 run as direct loops instead (ops-conv-direct.c):
 * each output is the bias followed by one fused multiply-add per tap (c, ky,
 * kx) in that order, over the zero-padded input — the bits of that loop
 * written with fmaf.  With the environment variable BITSCAPE_SIMD=0 they do
 * not.  bs_conv_simd (-1) returns the level in use (0: im2col + GEMM, 1:
 * direct AVX-512); bs_conv_simd (0 or 1) asks for one (at most what the CPU
 * has) and returns what it got. */
int bs_conv_simd (int want);
/* The direct loops read the weights packed by output-channel blocks, a copy
 * made at each call.  A bs_conv_pack keeps that copy between calls for one
 * set of weights and bias (bs_layer_override.pack): the first call that can
 * use it fills it (threads may race; one copy wins), later calls with the
 * same weight and bias pointers and dims read it.  Its owner must call
 * bs_conv_pack_reset whenever the values behind those pointers change, and
 * not while a convolution using it runs. */
typedef struct bs_conv_pack bs_conv_pack;
bs_conv_pack *bs_conv_pack_new (void);
void bs_conv_pack_reset (bs_conv_pack *p);
void bs_conv_pack_free (bs_conv_pack *p);
/* The same convolution by direct loops, summing in double: the reference. */
void bs_conv2d_ref (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                    float *y);
/* Patches of one image's channels [c0, c0 + nc) as a [nc·kh·kw, oh·ow]
 * matrix (rows ordered channel, ky, kx; zeros where the window is in the
 * padding): conv = W[m, nc·kh·kw] · cols. */
void bs_im2col (const bs_geom *g, int64_t nc, const float *x, float *cols);
/* bs_im2col with patch row r at cols + r·ld (ld ≥ oh·ow), so that the
 * patches of several images can sit side by side (columns [0, oh·ow) of
 * each row written, the others left alone). */
void bs_im2col_ld (const bs_geom *g, int64_t nc, const float *x, float *cols, int64_t ld);

/* Gemm and MatMul ----------------------------------------------------------- */

/* Y[M, N] = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ.  A is [M, K]
 * ([K, M] when trans_a), B is [K, N] ([N, K] when trans_b).  C (may be NULL)
 * is read as C[i·c_rs + j·c_cs]: strides 0 broadcast (a scalar, a row, a
 * column). */
void bs_gemm (int64_t m, int64_t n, int64_t k, float alpha, const float *a, bool trans_a,
              const float *b, bool trans_b, float beta, const float *c, int64_t c_rs,
              int64_t c_cs, float *y);
/* The same by direct loops, summing in double. */
void bs_gemm_ref (int64_t m, int64_t n, int64_t k, float alpha, const float *a, bool trans_a,
                  const float *b, bool trans_b, float beta, const float *c, int64_t c_rs,
                  int64_t c_cs, float *y);

/* numpy matmul: 1-D operands are promoted (and the added dim removed from
 * the result), leading dims broadcast.  Fills *y (shape) and returns 0, or -1
 * if the shapes do not match. */
int bs_matmul_shape (const bs_shape *a, const bs_shape *b, bs_shape *y, char *err, size_t errlen);
void bs_matmul (const bs_shape *as, const float *a, const bs_shape *bs, const float *b,
                const bs_shape *ys, float *y);

/* Pools -------------------------------------------------------------------- */

/* nc = batch · channels planes of ih × iw → oh × ow.  MaxPool ignores the
 * padding (-inf); AveragePool divides by the count of input cells in the
 * window, padding included when count_include_pad (never the ceil_mode
 * overhang past the end padding). */
void bs_maxpool2d (const bs_geom *g, int64_t nc, const float *x, float *y);
void bs_avgpool2d (const bs_geom *g, bool count_include_pad, int64_t nc, const float *x,
                   float *y);
/* y[p] = mean of plane p (hw cells), summed in double. */
void bs_global_avgpool (int64_t nc, int64_t hw, const float *x, float *y);

/* Element-wise --------------------------------------------------------------- */

void bs_relu (int64_t n, const float *x, float *y);     /* NaN stays NaN */
/* How many of x[0, n) are zero (either sign). */
int64_t bs_count_zeros (const float *x, int64_t n);
void bs_clip (int64_t n, const float *x, float lo, float hi, float *y);
/* Inference batch norm over channel axis 1: y = (x - mean) / sqrt(var + eps)
 * · scale + bias, for x of n × c × inner. */
void bs_batchnorm (int64_t n, int64_t c, int64_t inner, const float *x, const float *scale,
                   const float *bias, const float *mean, const float *var, float eps, float *y);

/* numpy broadcasting of two shapes; -1 if they do not broadcast. */
int bs_broadcast_shape (const bs_shape *a, const bs_shape *b, bs_shape *y, char *err,
                        size_t errlen);
/* y = a + b with numpy broadcasting into ys (from bs_broadcast_shape). */
void bs_add (const bs_shape *as, const float *a, const bs_shape *bs, const float *b,
             const bs_shape *ys, float *y);

/* Softmax over the middle axis of an outer × len × inner view, with the
 * maximum subtracted first and the sum taken in double. */
void bs_softmax (int64_t outer, int64_t len, int64_t inner, const float *x, float *y);

#ifdef __cplusplus
}
#endif
