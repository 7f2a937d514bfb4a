/* onnx-tensor.c — TensorProto <-> bs_tensor, .pb tensor files, file I/O. */
#include "onnx-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/* Reverse the bytes of each es-byte element (n elements). */
static void
swap_elements (uint8_t *p, size_t n, size_t es)
{
  for (size_t i = 0; i < n; i++, p += es)
    for (size_t a = 0, b = es - 1; a < b; a++, b--)
      {
        uint8_t t = p[a];
        p[a] = p[b];
        p[b] = t;
      }
}

static const char *
onnx_type_name (int32_t dt)
{
  static const char *const names[] = { "undefined", "float", "uint8", "int8", "uint16",
                                       "int16", "int32", "int64", "string", "bool", "float16",
                                       "double", "uint32", "uint64", "complex64",
                                       "complex128", "bfloat16" };
  return dt >= 0 && dt <= 16 ? names[dt] : "unknown";
}

int
_bs_tensor_from_proto (const Onnx__TensorProto *tp, bs_tensor *t, char *err, size_t errlen)
{
  bs_shape s = { 0 };
  bs_dtype dt;
  size_t es;
  int64_t n;
  char msg[160];

  memset (t, 0, sizeof *t);
  if (!tp->has_data_type)
    return _bs_nn_fail (err, errlen, "tensor has no data type");
  if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    dt = BS_DT_FLOAT;
  else if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    dt = BS_DT_INT64;
  else
    return _bs_nn_fail (err, errlen, "element type %s is not supported (float and int64 only)",
                        onnx_type_name (tp->data_type));
  if (tp->segment)
    return _bs_nn_fail (err, errlen, "segmented tensors are not supported");
  if ((tp->has_data_location
       && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
      || tp->n_external_data)
    return _bs_nn_fail (err, errlen, "external tensor data is not supported");
  if (tp->n_dims > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "rank %zu exceeds %d", tp->n_dims, BS_MAX_DIMS);
  s.ndim = (int) tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++)
    s.dims[i] = tp->dims[i];
  es = bs_dtype_size (dt);
  if (bs_shape_check (&s, es, msg, sizeof msg) < 0)
    return _bs_nn_fail (err, errlen, "bad shape: %s", msg);
  n = bs_shape_numel (&s);

  if (tp->has_raw_data)
    {
      if (tp->raw_data.len != (size_t) n * es)
        return _bs_nn_fail (err, errlen, "raw_data holds %zu bytes, the shape needs %zu",
                            tp->raw_data.len, (size_t) n * es);
    }
  else if (dt == BS_DT_FLOAT && tp->n_float_data != (size_t) n)
    return _bs_nn_fail (err, errlen, "float_data holds %zu values, the shape needs %lld",
                        tp->n_float_data, (long long) n);
  else if (dt == BS_DT_INT64 && tp->n_int64_data != (size_t) n)
    return _bs_nn_fail (err, errlen, "int64_data holds %zu values, the shape needs %lld",
                        tp->n_int64_data, (long long) n);

  if (bs_tensor_init (t, dt, &s, err, errlen) < 0)
    return -1;
  if (n == 0)
    return 0;
  if (tp->has_raw_data)
    {
      memcpy (t->data, tp->raw_data.data, (size_t) n * es);
      if (HOST_BIG_ENDIAN)
        swap_elements (t->data, (size_t) n, es);
    }
  else if (dt == BS_DT_FLOAT)
    memcpy (t->data, tp->float_data, (size_t) n * es);
  else
    memcpy (t->data, tp->int64_data, (size_t) n * es);
  return 0;
}

int
_bs_tensor_to_proto (const bs_tensor *t, const char *name, Onnx__TensorProto *tp, void **swapped,
                     char *err, size_t errlen)
{
  size_t es = bs_dtype_size (t->dtype);
  size_t bytes = (size_t) bs_tensor_numel (t) * es;

  *swapped = NULL;
  if (!es)
    return _bs_nn_fail (err, errlen, "unknown element type");
  tp->n_dims = (size_t) t->shape.ndim;
  tp->dims = (int64_t *) t->shape.dims;
  tp->has_data_type = 1;
  tp->data_type = t->dtype == BS_DT_FLOAT ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                          : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  tp->name = (char *) (name ? name : "");
  tp->has_raw_data = 1;
  tp->raw_data.len = bytes;
  tp->raw_data.data = t->data;
  if (HOST_BIG_ENDIAN && bytes)
    {
      uint8_t *c = malloc (bytes);
      if (!c)
        return _bs_nn_fail (err, errlen, "out of memory");
      memcpy (c, t->data, bytes);
      swap_elements (c, bytes / es, es);
      tp->raw_data.data = c;
      *swapped = c;
    }
  return 0;
}

int
_bs_read_file (const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;

  *data = NULL;
  *len = 0;
  if (!f)
    return _bs_nn_fail (err, errlen, "%s: %s", path, strerror (errno));
  for (;;)
    {
      size_t got;
      if (n == cap)
        {
          size_t ncap = cap ? 2 * cap : 1 << 16;
          uint8_t *nb;
          if (ncap > ((size_t) 1 << 31))
            {
              free (buf);
              fclose (f);
              return _bs_nn_fail (err, errlen, "%s: larger than 2 GiB", path);
            }
          nb = realloc (buf, ncap);
          if (!nb)
            {
              free (buf);
              fclose (f);
              return _bs_nn_fail (err, errlen, "%s: out of memory", path);
            }
          buf = nb;
          cap = ncap;
        }
      got = fread (buf + n, 1, cap - n, f);
      n += got;
      if (got == 0)
        break;
    }
  if (ferror (f))
    {
      int e = errno;
      free (buf);
      fclose (f);
      return _bs_nn_fail (err, errlen, "%s: read error: %s", path, strerror (e));
    }
  fclose (f);
  *data = buf;
  *len = n;
  return 0;
}

int
_bs_write_file (const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
  size_t pl = strlen (path);
  char *tmp = malloc (pl + 16);
  FILE *f;
  int fd;

  if (!tmp)
    return _bs_nn_fail (err, errlen, "%s: out of memory", path);
  memcpy (tmp, path, pl);
  memcpy (tmp + pl, ".tmp-XXXXXX", 12);
  fd = mkstemp (tmp);
  if (fd < 0)
    {
      int e = errno;
      free (tmp);
      return _bs_nn_fail (err, errlen, "%s: %s", path, strerror (e));
    }
  f = fdopen (fd, "wb");
  if (!f || (len && fwrite (data, 1, len, f) != len) || fflush (f) != 0)
    {
      int e = errno;
      if (f)
        fclose (f);
      else
        close (fd);
      unlink (tmp);
      free (tmp);
      return _bs_nn_fail (err, errlen, "%s: write error: %s", path, strerror (e));
    }
  if (fclose (f) != 0 || rename (tmp, path) != 0)
    {
      int e = errno;
      unlink (tmp);
      free (tmp);
      return _bs_nn_fail (err, errlen, "%s: %s", path, strerror (e));
    }
  free (tmp);
  return 0;
}

int
bs_tensor_load_pb (const char *path, bs_tensor *t, char **name, char *err, size_t errlen)
{
  uint8_t *buf;
  size_t len;
  Onnx__TensorProto *tp;
  char msg[200];
  int rc;

  memset (t, 0, sizeof *t);
  if (name)
    *name = NULL;
  if (_bs_read_file (path, &buf, &len, err, errlen) < 0)
    return -1;
  tp = onnx__tensor_proto__unpack (NULL, len, buf);
  free (buf);
  if (!tp)
    return _bs_nn_fail (err, errlen, "%s: not a TensorProto (protobuf parse failed)", path);
  rc = _bs_tensor_from_proto (tp, t, msg, sizeof msg);
  if (rc < 0)
    _bs_nn_fail (err, errlen, "%s: %s", path, msg);
  else if (name && !(*name = strdup (tp->name ? tp->name : "")))
    {
      bs_tensor_clear (t);
      rc = _bs_nn_fail (err, errlen, "%s: out of memory", path);
    }
  onnx__tensor_proto__free_unpacked (tp, NULL);
  return rc;
}

int
bs_tensor_save_pb (const char *path, const bs_tensor *t, const char *name, char *err,
                   size_t errlen)
{
  Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
  void *swapped;
  uint8_t *buf;
  size_t len;
  int rc;

  if (!t->data)
    return _bs_nn_fail (err, errlen, "%s: empty tensor", path);
  if (_bs_tensor_to_proto (t, name, &tp, &swapped, err, errlen) < 0)
    return -1;
  len = onnx__tensor_proto__get_packed_size (&tp);
  buf = malloc (len ? len : 1);
  if (!buf)
    {
      free (swapped);
      return _bs_nn_fail (err, errlen, "%s: out of memory", path);
    }
  onnx__tensor_proto__pack (&tp, buf);
  rc = _bs_write_file (path, buf, len, err, errlen);
  free (buf);
  free (swapped);
  return rc;
}
