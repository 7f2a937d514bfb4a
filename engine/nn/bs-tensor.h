/* bs-tensor.h — dense tensors: a shape, an element type and owned storage.
 *
 * Plain C11, no GLib.  Activations are float32 in NCHW order (row-major, the
 * last dimension contiguous); int64 tensors exist for ONNX shape inputs
 * (Reshape) and are never computed with.  A bs_tensor owns its data: clear it
 * with bs_tensor_clear.  A zeroed struct ({0}) is an empty, valid tensor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BS_MAX_DIMS 8

/* Largest tensor the engine allocates (bytes).  Shapes beyond it are errors,
 * which keeps corrupt files from asking for absurd allocations. */
#define BS_TENSOR_MAX_BYTES ((int64_t) 1 << 32)

/* Element types; the numbers are ONNX TensorProto.DataType codes. */
typedef enum {
  BS_DT_FLOAT = 1,
  BS_DT_INT64 = 7,
} bs_dtype;

typedef struct {
  int ndim;                    /* 0 (a scalar) .. BS_MAX_DIMS */
  int64_t dims[BS_MAX_DIMS];   /* ≥ 0 in a concrete shape; -1 = unknown (declared inputs) */
} bs_shape;

typedef struct {
  bs_dtype dtype;
  bs_shape shape;
  void *data;                  /* numel · element size bytes, owned */
} bs_tensor;

/* Bytes of one element; 0 for an unknown type. */
size_t bs_dtype_size (bs_dtype dt);
/* "float", "int64". */
const char *bs_dtype_name (bs_dtype dt);

/* A shape from a dims array (ndim ≤ BS_MAX_DIMS, else the shape is clipped:
 * callers check ndim first). */
bs_shape bs_shape_make (int ndim, const int64_t *dims);
/* Product of the dims (1 for a scalar).  Undefined for unknown dims: use
 * bs_shape_check first. */
int64_t bs_shape_numel (const bs_shape *s);
/* 0 if every dim is ≥ 0 and numel·elsize ≤ BS_TENSOR_MAX_BYTES; else -1 with
 * a reason ("dim 2 is -1", "… exceeds the 4 GiB tensor limit"). */
int bs_shape_check (const bs_shape *s, size_t elsize, char *err, size_t errlen);
bool bs_shape_equal (const bs_shape *a, const bs_shape *b);
/* "[1,3,28,28]" ("?" for an unknown dim); always NUL-terminates. */
void bs_shape_format (const bs_shape *s, char *buf, size_t len);

/* Allocate a zero-filled tensor.  Returns 0, or -1 (bad shape, out of
 * memory) with t left empty. */
int bs_tensor_init (bs_tensor *t, bs_dtype dt, const bs_shape *shape, char *err, size_t errlen);
/* Shorthand for float tensors from a dims list. */
int bs_tensor_init_f32 (bs_tensor *t, int ndim, const int64_t *dims, char *err, size_t errlen);
/* Free the storage and zero the struct.  Safe on an empty tensor. */
void bs_tensor_clear (bs_tensor *t);
/* dst = a deep copy of src (dst's old contents are cleared). */
int bs_tensor_copy (bs_tensor *dst, const bs_tensor *src, char *err, size_t errlen);
/* Move src into dst (dst cleared first); src becomes empty. */
void bs_tensor_move (bs_tensor *dst, bs_tensor *src);

int64_t bs_tensor_numel (const bs_tensor *t);
static inline float *
bs_tensor_f32 (const bs_tensor *t)
{
  return (float *) t->data;
}
static inline int64_t *
bs_tensor_i64 (const bs_tensor *t)
{
  return (int64_t *) t->data;
}

#ifdef __cplusplus
}
#endif
