/* nn-private.h — internals shared by the files of engine/nn. */
#pragma once

#include "bs-graph.h"
#include "bs-ops.h"
#include "bs-tensor.h"

#define BS_NODE_MAX_IO 64   /* inputs or outputs of one node (Concat may have many) */

/* Write a one-line reason into err (if any) and return -1. */
int _bs_nn_fail (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Returned by shape inference when a shape depends on a runtime input (a
 * Reshape shape fed at run time): not an error in the model itself. */
#define BS_ERR_NONCONST (-2)

/* Growable per-exec scratch memory. */
typedef struct {
  float *p;
  size_t n;   /* floats */
} _bs_scratch;

/* At least n floats (contents undefined), or NULL when out of memory. */
float *_bs_scratch_get (_bs_scratch *s, size_t n);

/* One op: how to read its attributes, infer its output shapes and run it.
 * The graph prefixes every message with the node's name and op. */
typedef struct {
  bs_op op;
  const char *name;           /* ONNX op_type */
  int min_in, max_in;         /* input count range; inputs [0, min_in) may not be omitted */
  int max_out;                /* outputs supported (the first is required) */
  /* Attributes → n->p.  opset is the graph's. */
  int (*parse) (bs_node *n, int opset, char *err, size_t errlen);
  /* Output shapes from input shapes (in[i] NULL when omitted) and constant
   * inputs (cin[i]: the initializer's data, or NULL). */
  int (*infer) (const bs_node *n, int opset, const bs_shape *const *in,
                const bs_tensor *const *cin, bs_shape *out, char *err, size_t errlen);
  /* Compute outputs (allocated to their inferred shapes) from inputs (NULL
   * when omitted). */
  int (*run) (const bs_node *n, int opset, const bs_tensor *const *in, bs_tensor *const *out,
              _bs_scratch *s, char *err, size_t errlen);
  /* Check the input element types (in[i]; 0 when omitted) and set the
   * outputs'.  NULL: every input and output is float. */
  int (*dtypes) (const bs_node *n, const bs_dtype *in, bs_dtype *out, char *err, size_t errlen);
} _bs_op_def;

extern const _bs_op_def _bs_op_conv;
extern const _bs_op_def _bs_op_gemm;
extern const _bs_op_def _bs_op_matmul;
extern const _bs_op_def _bs_op_relu;
extern const _bs_op_def _bs_op_clip;
extern const _bs_op_def _bs_op_maxpool;
extern const _bs_op_def _bs_op_averagepool;
extern const _bs_op_def _bs_op_globalaveragepool;
extern const _bs_op_def _bs_op_batchnorm;
extern const _bs_op_def _bs_op_add;
extern const _bs_op_def _bs_op_flatten;
extern const _bs_op_def _bs_op_reshape;
extern const _bs_op_def _bs_op_softmax;
extern const _bs_op_def _bs_op_concat;
extern const _bs_op_def _bs_op_identity;
extern const _bs_op_def _bs_op_dropout;
extern const _bs_op_def _bs_op_mul;
extern const _bs_op_def _bs_op_sub;
extern const _bs_op_def _bs_op_div;
extern const _bs_op_def _bs_op_pad;
extern const _bs_op_def _bs_op_shape;
extern const _bs_op_def _bs_op_gather;
extern const _bs_op_def _bs_op_unsqueeze;
extern const _bs_op_def _bs_op_squeeze;
extern const _bs_op_def _bs_op_cast;

const _bs_op_def *_bs_op_def_get (bs_op op);

/* Attribute readers: 0 with the value (or the default when absent), -1 when
 * present with the wrong type. */
int _bs_attr_get_int (const bs_node *n, const char *name, int64_t def, int64_t *v, char *err,
                      size_t errlen);
int _bs_attr_get_float (const bs_node *n, const char *name, float def, float *v, char *err,
                        size_t errlen);
/* *count = -1 when absent. */
int _bs_attr_get_ints (const bs_node *n, const char *name, int *count, const int64_t **v,
                       char *err, size_t errlen);
/* *v = def when absent. */
int _bs_attr_get_string (const bs_node *n, const char *name, const char *def, const char **v,
                         char *err, size_t errlen);
/* Free an attribute's strings and arrays; copy one deeply (-1: out of memory). */
void _bs_attr_clear (bs_attr *a);
int _bs_attr_copy (bs_attr *dst, const bs_attr *src);
/* -1 with "attribute 'x' is not supported" for any attribute outside names[]
 * (NULL-terminated) — keeps silently-ignored semantics out. */
int _bs_attr_only (const bs_node *n, const char *const *names, char *err, size_t errlen);

/* Conv/pool window attributes (kernel_shape, strides, pads, dilations,
 * auto_pad; ceil_mode and count_include_pad for pools) → w.  nsp is the
 * window's spatial rank when known from attributes (kernel_shape), else 0. */
int _bs_window_parse (const bs_node *n, bool conv, bs_window *w, char *err, size_t errlen);
/* Check the input's rank against the window (3-D input = 1-D window, 4-D =
 * 2-D) and return the [h, w] view of its spatial dims. */
int _bs_window_spatial (const bs_window *w, const bs_shape *x, int64_t *ih, int64_t *iw,
                        char *err, size_t errlen);

/* Conv geometry of node n (a Conv) for input shape x and weight shape w;
 * checks channels and groups. */
/* ops-conv-direct.c: Conv by direct AVX-512 loops where bs_conv_simd says
 * so and the convolution is ungrouped with horizontal stride 1 or 2. */
bool _bs_conv_direct_ok (const bs_conv_dims *d);
/* MaxPool / AveragePool node n on x of shape in_shape (any batch) into y. */
int _bs_pool_run_on (const bs_node *n, const bs_shape *in_shape, const float *x, float *y,
                     char *err, size_t errlen);
/* bs_conv2d_fused, adding to *zeros (unless NULL) how many of the outputs
 * it wrote are zero (either sign), counted while they are in registers or
 * in the cache; pack (unless NULL) keeps the direct loops' packed weights
 * between calls. */
void _bs_conv2d_count (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                       bs_conv_pack *pack, const float *add, bool relu, float *y, float *scratch,
                       int64_t *zeros);
/* Conv node n on in[] (x, w, optional b) into y with bs_conv2d_fused's
 * epilogue; pack and zeros as for _bs_conv2d_count. */
int _bs_conv_run_fused (const bs_node *n, const bs_tensor *const *in, bs_conv_pack *pack,
                        const float *add, bool relu, float *y, _bs_scratch *s, int64_t *zeros,
                        char *err, size_t errlen);
size_t _bs_conv_direct_scratch (const bs_conv_dims *d);
void _bs_conv_direct (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                      bs_conv_pack *pack, const float *add, bool relu, float *y, float *scratch,
                      int64_t *zeros);
int _bs_conv_dims (const bs_node *n, const bs_shape *x, const bs_shape *w, bs_conv_dims *d,
                   char *err, size_t errlen);

/* Normalise an axis attribute against rank r (accepting -r .. r-1, or
 * -r .. r when inclusive for Flatten); -1 when out of range. */
int _bs_axis (int64_t axis, int r, bool inclusive, int64_t *out, char *err, size_t errlen);

/* Check node n's input element types against its op and return its output
 * types in out[] (graph.c).  Errors name the node and the input. */
int _bs_node_dtypes (const bs_graph *g, const bs_node *n, bs_dtype *out, char *err,
                     size_t errlen);
/* Fold the shape arithmetic of a sorted graph (graph-constfold.c; see
 * bs-graph.h).  Returns the number of nodes folded, or -1. */
int _bs_graph_fold_shapes (bs_graph *g, char *err, size_t errlen);

/* bs_graph_infer_shapes, returning BS_ERR_NONCONST (with err filled) when a
 * Reshape shape is a runtime input. */
int _bs_graph_infer (const bs_graph *g, const bs_shape *in_shapes, bs_shape *shapes, char *err,
                     size_t errlen);

/* Remove dead values (no producer, no consumer, not an input, initializer
 * nobody reads, not an output) and renumber ids. */
void _bs_graph_compact (bs_graph *g);
/* Set (or add) a float attribute; -1 if it exists with another type. */
int _bs_node_set_float_attr (bs_node *n, const char *name, float f);
/* base, or base_1, base_2 … : a name no value has yet. */
void _bs_graph_unique_name (const bs_graph *g, const char *base, char *buf, size_t len);
/* Delete node j (its values stay: compact afterwards). */
void _bs_graph_remove_node (bs_graph *g, int j);
/* Recount producers and consumers from the nodes. */
void _bs_graph_relink (bs_graph *g);
