/* onnx-private.h — shared by onnx-import.c, onnx-export.c and onnx-tensor.c. */
#pragma once

#include "nn-private.h"
#include "bs-onnx.h"
#include "onnx.pb-c.h"

/* A TensorProto's contents as a tensor (float or int64; typed fields or
 * little-endian raw_data).  -1 with the reason (not naming the file). */
int _bs_tensor_from_proto (const Onnx__TensorProto *tp, bs_tensor *t, char *err, size_t errlen);
/* Fill *tp (initialised by the caller) to describe t as raw_data.  On a
 * big-endian host the bytes are swapped into *swapped (malloc'd, the
 * caller frees it); on little-endian hosts tp points at t's own data. */
int _bs_tensor_to_proto (const bs_tensor *t, const char *name, Onnx__TensorProto *tp,
                         void **swapped, char *err, size_t errlen);

/* Read a whole file (at most 2 GiB).  -1 with "path: reason". */
int _bs_read_file (const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);
/* Write len bytes to path (via a temporary file and rename). */
int _bs_write_file (const char *path, const uint8_t *data, size_t len, char *err, size_t errlen);
