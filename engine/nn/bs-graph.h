/* bs-graph.h — a network as a graph of ops over named values, and its
 * float32 execution.
 *
 * A bs_graph holds values (graph inputs, initializers — the weights — and the
 * intermediate results, all by name) and nodes in topological order.  The
 * structs are public so the evaluator and the trainer can walk them; change
 * a graph only through the functions here, except the float contents of an
 * initializer, which may be rewritten in place (same shape).
 *
 * Building: bs_graph_new, add inputs, initializers, nodes and outputs in any
 * order, then bs_graph_finalize (checks every op, its attributes and that
 * every consumed value exists, and sorts the nodes).  ONNX import
 * (bs-onnx.h) builds graphs the same way.
 *
 * Shapes are static: bs_graph_infer_shapes computes every value's shape from
 * the input shapes.  Running:
 *
 *   bs_graph_run (g, &images, 1, &logits, NULL, err, sizeof err);
 *
 * runs a batch [N, C, H, W] of any size in chunks (memory bounded by the chunk,
 * not by N) on worker threads.  Results do not depend on the thread count:
 * chunk boundaries are fixed by the chunk size alone.  Parallelism is over
 * the batch: the first bs_exec_new sets the process's OpenBLAS to one thread
 * (once, with pthread_once), so every GEMM runs the same way on any worker.
 *
 * The quantized evaluator runs chunks itself, node by node:
 *
 *   bs_graph_compute_layers (g, &in_shape, &layers, &n, …);    // Conv/Gemm/MatMul
 *   bs_graph_foreach_chunk (g, &images, &opts, my_chunk, ctx, …);
 *   // in my_chunk (exec x, input already set):
 *   for (int i = 0; i < g->n_nodes; i++)
 *     if (node i is a compute layer)
 *       { quantize bs_exec_tensor (x, layer.input)->data into a copy q, the weights into qw;
 *         bs_layer_override ov = { .input = q, .weight = qw };
 *         bs_exec_run_node (x, i, &ov, …); }          // or write the output itself
 *     else
 *       bs_exec_run_node (x, i, NULL, …);
 *
 * Re-evaluating from layer k: bs_graph_live_values (g, node_k) names the
 * values that must be kept from a run of nodes [0, node_k); store their
 * bs_exec_data per chunk, and later copy them back into a fresh exec and run
 * bs_exec_run_nodes (x, node_k, g->n_nodes).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-ops.h"
#include "bs-tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ops --------------------------------------------------------------------- */

typedef enum {
  BS_OP_CONV,
  BS_OP_GEMM,
  BS_OP_MATMUL,
  BS_OP_RELU,
  BS_OP_CLIP,
  BS_OP_MAXPOOL,
  BS_OP_AVERAGEPOOL,
  BS_OP_GLOBALAVERAGEPOOL,
  BS_OP_BATCHNORM,
  BS_OP_ADD,
  BS_OP_FLATTEN,
  BS_OP_RESHAPE,
  BS_OP_SOFTMAX,
  BS_OP_CONCAT,
  BS_OP_IDENTITY,
  BS_OP_DROPOUT,
  BS_OP_MUL,
  BS_OP_SUB,
  BS_OP_DIV,
  BS_OP_PAD,
  BS_OP_SHAPE,
  BS_OP_GATHER,
  BS_OP_UNSQUEEZE,
  BS_OP_SQUEEZE,
  BS_OP_CAST,
  BS_N_OPS
} bs_op;

/* The ONNX op_type ("Conv", "BatchNormalization", …). */
const char *bs_op_name (bs_op op);
/* 0 and *op, or -1 for an op_type the engine does not implement. */
int bs_op_from_name (const char *op_type, bs_op *op);
/* Conv, Gemm, MatMul: the layers a quantization configuration addresses. */
bool bs_op_is_compute (bs_op op);

/* Attributes ---------------------------------------------------------------- */

typedef enum {
  BS_ATTR_FLOAT,
  BS_ATTR_INT,
  BS_ATTR_STRING,
  BS_ATTR_FLOATS,
  BS_ATTR_INTS,
} bs_attr_type;

/* A node attribute as the model states it (kept for export). */
typedef struct {
  char *name;
  bs_attr_type type;
  float f;
  int64_t i;
  char *s;
  int n;          /* elements of floats / ints */
  float *floats;
  int64_t *ints;
} bs_attr;

/* Parsed attributes, per op. */
typedef struct {
  bs_window win;
  int64_t group;
} bs_conv_params;

typedef struct {
  float alpha, beta;
  bool trans_a, trans_b;
} bs_gemm_params;

typedef union {
  bs_conv_params conv;              /* Conv */
  bs_window pool;                   /* MaxPool, AveragePool */
  bs_gemm_params gemm;              /* Gemm */
  struct { float min, max; } clip;  /* Clip (opset < 11 attributes; inputs override) */
  struct { float epsilon; } bn;     /* BatchNormalization */
  struct { int64_t axis; } axis;    /* Flatten, Softmax, Concat, Gather (as stated: may be < 0) */
  struct { bool allowzero; } reshape;
  /* Pad (mode "constant" only): pads and value from the attributes before
   * opset 11 (npads = -1 from opset 11 on: inputs 1 and 2 give them) */
  struct { int npads; int64_t pads[2 * BS_MAX_DIMS]; float value; } pad;
  struct { int64_t start, end; bool has_end; } shape;   /* Shape (opset 15 start/end) */
  /* Unsqueeze, Squeeze: axes from the attribute before opset 13 (n = -1: none
   * given, or from input 1 from opset 13 on) */
  struct { int n; int64_t axes[BS_MAX_DIMS]; } axes;
  struct { bs_dtype to; } cast;     /* Cast: float or int64 */
} bs_node_params;

/* Values and nodes ------------------------------------------------------------ */

typedef enum {
  BS_VALUE_INPUT,         /* fed at run time */
  BS_VALUE_INITIALIZER,   /* a constant: weights, biases, shapes, folded Constant nodes */
  BS_VALUE_INTERMEDIATE,  /* produced by a node */
} bs_value_kind;

typedef struct {
  char *name;
  bs_value_kind kind;
  bs_dtype dtype;
  bs_shape shape;     /* declared (inputs; -1 for a symbolic dim) or exact (initializers) */
  bs_tensor data;     /* initializers only */
  int producer;       /* node index, or -1 */
  int n_consumers;    /* node inputs reading this value */
  bool is_output;
} bs_value;

typedef struct {
  char *name;           /* the model's node name, or "<op>_<index>" when it had none */
  bs_op op;
  int n_inputs, n_outputs;
  int *inputs;          /* value ids; -1 for an omitted optional input */
  int *outputs;         /* value ids; -1 for an omitted optional output */
  int n_attrs;
  bs_attr *attrs;
  bs_node_params p;
} bs_node;

typedef struct bs_graph {
  char *name;
  char *producer;       /* producer_name of an imported model */
  int opset;            /* default-domain opset version: fixes op semantics */
  int64_t ir_version;
  int n_values;
  bs_value *values;
  int n_nodes;
  bs_node *nodes;       /* topological order after bs_graph_finalize */
  int n_inputs;
  int *inputs;          /* value ids of the runtime inputs, in model order */
  int n_outputs;
  int *outputs;         /* value ids of the outputs, in model order */
  bool finalized;
  int cap_values, cap_nodes;
  int n_meta;           /* model metadata_props, kept for export */
  char **meta_keys, **meta_values;
} bs_graph;

/* Building --------------------------------------------------------------------- */

/* An empty graph whose ops follow the given default-domain opset (1..17). */
bs_graph *bs_graph_new (int opset);
void bs_graph_free (bs_graph *g);

/* Each returns the new value id (or node index), or -1 with a reason.  Names
 * are unique across inputs, initializers and node outputs. */
int bs_graph_add_input (bs_graph *g, const char *name, bs_dtype dt, const bs_shape *shape,
                        char *err, size_t errlen);
/* Takes ownership of t's storage (t is left empty). */
int bs_graph_add_initializer (bs_graph *g, const char *name, bs_tensor *t, char *err,
                              size_t errlen);
/* inputs[i] may be "" or NULL for an omitted optional input, outputs[i] ""
 * for an omitted optional output; attrs are copied.  name may be NULL. */
int bs_graph_add_node (bs_graph *g, const char *op_type, const char *name, int n_inputs,
                       const char *const *inputs, int n_outputs, const char *const *outputs,
                       int n_attrs, const bs_attr *attrs, char *err, size_t errlen);
int bs_graph_add_output (bs_graph *g, const char *name, char *err, size_t errlen);
/* Check and sort.  Errors name the node and the problem: unknown op, bad
 * attribute, wrong input count, a value nobody produces ("missing
 * initializer"), a cycle. */
int bs_graph_finalize (bs_graph *g, char *err, size_t errlen);

/* Turn runtime input `name` into an initializer holding t (ownership taken) —
 * e.g. a Reshape shape that a test feeds as an input.  The graph stays
 * finalized. */
int bs_graph_bind_input (bs_graph *g, const char *name, bs_tensor *t, char *err, size_t errlen);

/* Value id by name, or -1. */
int bs_graph_find_value (const bs_graph *g, const char *name);
/* Model metadata (ONNX metadata_props): the value of key, or NULL.  Bitscape
 * records a model's input normalisation as "bitscape.normalize" = "MEAN,STD". */
const char *bs_graph_metadata (const bs_graph *g, const char *key);
/* Set (or replace) a metadata entry; 0, or -1 when memory runs out. */
int bs_graph_set_metadata (bs_graph *g, const char *key, const char *value);
/* Attribute by name on a node, or NULL. */
const bs_attr *bs_node_attr (const bs_node *n, const char *name);

/* Passes ------------------------------------------------------------------------- */

/* Fold every inference BatchNormalization into the Conv or Gemm before it
 * when the BN is that layer's only consumer (and the layer's output is not a
 * graph output): the weights and bias are rescaled (in new initializers if
 * shared) and the BN node removed.  Returns the number folded, or -1. */
int bs_graph_fold_batchnorm (bs_graph *g, char *err, size_t errlen);

/* Shape arithmetic is folded by bs_graph_finalize: Shape nodes and the
 * int64 Gather/Unsqueeze/Squeeze/Concat/Cast/Reshape/Identity nodes computing
 * from them and from constants become initializers.  Only a runtime input's
 * dim 0 (the batch) may be symbolic under a Shape; a shape that depends on it
 * may only reach a Reshape's shape input, where the batch entry becomes 0
 * (copy the data's dim 0) or -1 — the `x.view(x.size(0), -1)` export of
 * PyTorch.  Anything else depending on the batch is refused. */

/* Shapes --------------------------------------------------------------------------- */

/* Every value's shape (shapes[n_values]) from the runtime inputs' shapes
 * (in_shapes[n_inputs]; NULL = the declared shapes, symbolic dims taken as 1).
 * Errors name the node: mismatched channels, shapes that do not broadcast, a
 * Reshape shape that is not a constant, … */
int bs_graph_infer_shapes (const bs_graph *g, const bs_shape *in_shapes, bs_shape *shapes,
                           char *err, size_t errlen);

/* Layers ---------------------------------------------------------------------------- */

typedef struct {
  int node;                 /* index into g->nodes */
  const char *name;         /* the node's name (owned by the graph) */
  bs_op op;
  bool compute;             /* Conv, Gemm, MatMul */
  int input, weight, bias, output;   /* value ids (weight, bias: -1 if none) */
  bs_shape in_shape, w_shape, out_shape;
  bool weight_is_const;     /* weight is an initializer (MatMul may multiply two activations) */
  int64_t params;           /* elements of the weight and bias initializers */
  int64_t macs;             /* multiply-accumulates for the given input shapes */
  /* The layer as matrix products: `count` products of [m, k] · [k, n]
   * (Conv: m = out channels per group, k = in channels per group · kh · kw,
   * n = oh · ow, count = batch · groups; Gemm: M, K, N, 1). */
  int64_t gemm_m, gemm_n, gemm_k, gemm_count;
} bs_layer_info;

/* One row per node (for `bitscape-cli layers`): shapes for in_shapes (NULL =
 * declared, symbolic dims as 1 — use batch 1 for per-image MACs).  *layers is
 * malloc'd; free it with free(). */
int bs_graph_describe_layers (const bs_graph *g, const bs_shape *in_shapes,
                              bs_layer_info **layers, int *n, char *err, size_t errlen);
/* Only the Conv, Gemm and MatMul rows, in topological order. */
int bs_graph_compute_layers (const bs_graph *g, const bs_shape *in_shapes,
                             bs_layer_info **layers, int *n, char *err, size_t errlen);
/* Values that running nodes [node, n_nodes) needs from before node: graph
 * inputs and intermediates produced earlier and read at or after node (or
 * graph outputs produced earlier).  Initializers are not listed.  *ids is
 * malloc'd. */
int bs_graph_live_values (const bs_graph *g, int node, int **ids, int *n);

/* Execution ----------------------------------------------------------------------- */

typedef struct bs_exec bs_exec;

/* Buffers for one run of g at the given input shapes (NULL = declared).  An
 * exec belongs to one thread at a time; several may share a graph. */
bs_exec *bs_exec_new (const bs_graph *g, const bs_shape *in_shapes, char *err, size_t errlen);
void bs_exec_free (bs_exec *x);
const bs_graph *bs_exec_graph (const bs_exec *x);
/* Shape of a value in this exec. */
const bs_shape *bs_exec_shape (const bs_exec *x, int value);
/* Float storage of an input or intermediate value (write inputs, or cached
 * activations, here); NULL for initializers and int64 values. */
float *bs_exec_data (bs_exec *x, int value);
/* Read-only view of any value (initializers included). */
const bs_tensor *bs_exec_tensor (const bs_exec *x, int value);
/* Copy n floats into runtime input number `index` (n must match its shape). */
int bs_exec_set_input (bs_exec *x, int index, const float *data, int64_t n, char *err,
                       size_t errlen);

/* Replacements for one run of a compute layer, each of the replaced tensor's
 * shape (NULL = the graph's own); for a Conv, pack (unless NULL) keeps its
 * weights packed between runs (bs_conv_pack: reset it whenever the weights
 * or the bias the runs see change). */
typedef struct {
  const float *input;
  const float *weight;
  const float *bias;
  bs_conv_pack *pack;
} bs_layer_override;

/* Run one node (ov only for Conv/Gemm/MatMul; NULL otherwise). */
int bs_exec_run_node (bs_exec *x, int node, const bs_layer_override *ov, char *err,
                      size_t errlen);
/* Conv epilogues.  A Conv whose output only a following Relu reads, or
 * only a following Add of a value computed before the Conv (then perhaps a
 * Relu of the sum, its only reader), can run as one pass: each output gets
 * the bits the nodes would give it (bs_conv2d_fused), written straight into
 * the last node's output; the values between are not written.  A MaxPool
 * that alone reads the result (of the Conv or of its epilogue) joins too:
 * then a few images at a time go through the Conv into a buffer that stays
 * in the cache, and the pool writes its output from there.
 * bs_graph_conv_fusion fills f for Conv node `node` and returns how many
 * nodes after it the fused run stands for (0: none; f->n_absorbed).
 * bs_exec_run_conv_fused runs it (ov as for bs_exec_run_node); where the
 * shapes do not allow it, it runs the nodes one by one.  zeros (unless NULL)
 * gets how many of the values written into f->out are zero (either sign),
 * counted while they are in registers or in the cache — or -1 after the
 * nodes ran one by one. */
typedef struct {
  int add;          /* value added to the conv's output, or -1 */
  bool relu;
  int pool;         /* MaxPool node after the epilogue, or -1 */
  int mid;          /* the value the epilogue gives (the pool's input) */
  int out;          /* the value written */
  int n_absorbed;   /* nodes after the Conv that the run stands for */
} bs_conv_fusion;

int bs_graph_conv_fusion (const bs_graph *g, int node, bs_conv_fusion *f);
int bs_exec_run_conv_fused (bs_exec *x, int node, const bs_layer_override *ov,
                            const bs_conv_fusion *f, int64_t *zeros, char *err, size_t errlen);
/* Run nodes [first, end). */
int bs_exec_run_nodes (bs_exec *x, int first, int end, char *err, size_t errlen);
int bs_exec_run (bs_exec *x, char *err, size_t errlen);

/* Batched runs ---------------------------------------------------------------------- */

typedef struct {
  int n_threads;      /* workers; 0 = the number of online CPUs */
  int64_t chunk;      /* images per chunk; 0 = 32 */
} bs_run_opts;

#define BS_RUN_OPTS_INIT { .n_threads = 0, .chunk = 0 }

/* Called once per chunk on a worker thread with an exec whose single input
 * holds images [first, first + count) (not yet run).  thread is the worker's
 * index (0 .. n_threads-1), for per-thread scratch.  Return 0, or -1 with err
 * filled to stop the run. */
typedef int (*bs_chunk_fn) (void *user, bs_exec *x, int64_t first, int64_t count, int thread,
                            char *err, size_t errlen);

/* Split input [N, …] (graph with exactly one runtime input) into chunks and
 * call fn for each, on n_threads workers.  Chunks are taken in order by free
 * workers; fn must only write results of its own images. */
int bs_graph_foreach_chunk (const bs_graph *g, const bs_tensor *input, const bs_run_opts *o,
                            bs_chunk_fn fn, void *user, char *err, size_t errlen);

/* Run the graph on input [N, …] and return its first n_outputs outputs in
 * outputs[] (allocated here, each [N, …]: every output must have the batch as
 * its first dim for a batch of one).  A model whose shapes only work for a
 * batch of one (exported with a fixed batch, e.g. Reshape to [1, -1]) runs
 * one image per chunk. */
int bs_graph_run (const bs_graph *g, const bs_tensor *input, int n_outputs, bs_tensor *outputs,
                  const bs_run_opts *o, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
