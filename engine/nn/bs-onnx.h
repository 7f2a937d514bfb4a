/* bs-onnx.h — ONNX models and tensors in and out.
 *
 * Models: a ModelProto of the default domain, opset 1..17 (9..17 is what the
 * engine targets; older files load when their ops' forms are known), with
 * the ops of bs-graph.h.  Initializers may hold float_data, int64_data or
 * little-endian raw_data; Constant nodes become initializers.  Loading checks
 * the model and infers shapes for its declared input shapes (symbolic dims
 * taken as 1), so a loaded graph is ready to run.
 *
 * Errors return -1 with one line naming the file and the problem:
 *   "m.onnx: node 'conv1' (Conv): input 'w' is missing (…)"
 *   "m.onnx: not an ONNX model (protobuf parse failed at 1234 bytes)"
 *
 * Tensors: single TensorProto files (.pb), as the ONNX node tests and
 * `bitscape-cli infer --input in.pb --output out.pb` use; float and int64.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bs-graph.h"
#include "bs-tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The newest default-domain opset the engine reads. */
#define BS_ONNX_MAX_OPSET 17

int bs_onnx_load (const char *path, bs_graph **g, char *err, size_t errlen);
/* label names the source in messages (a path, "<memory>"). */
int bs_onnx_load_buffer (const void *data, size_t len, const char *label, bs_graph **g,
                         char *err, size_t errlen);

/* Write a finalized graph as a ModelProto: the graph's opset, initializers as
 * raw_data, inputs with their declared shapes (symbolic dims as dim_param),
 * outputs typed float. */
int bs_onnx_save (const bs_graph *g, const char *path, char *err, size_t errlen);
/* The same into a malloc'd buffer (free with free()). */
int bs_onnx_save_buffer (const bs_graph *g, uint8_t **data, size_t *len, char *err,
                         size_t errlen);

/* Read one TensorProto file into t (float or int64).  *name (may be NULL)
 * receives the tensor's name, malloc'd ("" when unnamed). */
int bs_tensor_load_pb (const char *path, bs_tensor *t, char **name, char *err, size_t errlen);
/* Write t as a TensorProto file (raw_data, little-endian); name may be NULL. */
int bs_tensor_save_pb (const char *path, const bs_tensor *t, const char *name, char *err,
                       size_t errlen);

#ifdef __cplusplus
}
#endif
