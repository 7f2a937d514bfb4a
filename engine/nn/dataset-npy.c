/* dataset-npy.c — NumPy .npy files: "\x93NUMPY", version, header length,
 * a Python dict literal {'descr': '<f4', 'fortran_order': False,
 * 'shape': (N, H, W), }, then the elements. */
#include "dataset-private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The text after `'key':` (quotes ' or "), or NULL. */
static const char *
dict_value (const char *h, const char *key)
{
  size_t kl = strlen (key);
  for (const char *p = h; (p = strpbrk (p, "'\"")); p++)
    {
      char q = *p;
      if (strncmp (p + 1, key, kl) == 0 && p[1 + kl] == q)
        {
          p += kl + 2;
          while (isspace ((unsigned char) *p))
            p++;
          if (*p != ':')
            return NULL;
          p++;
          while (isspace ((unsigned char) *p))
            p++;
          return p;
        }
    }
  return NULL;
}

static int
parse_descr (const char *path, const char *v, _bs_array *a, char *err, size_t errlen)
{
  char q, order, kind;
  int size;

  if (!v || (*v != '\'' && *v != '"'))
    return _bs_nn_fail (err, errlen, "%s: npy header has no 'descr' string", path);
  q = v[0];
  order = v[1];
  kind = v[1] ? v[2] : 0;
  if (order == 0 || kind == 0 || !isdigit ((unsigned char) v[3]) || v[4] != q)
    return _bs_nn_fail (err, errlen, "%s: npy descr is not a simple numeric type", path);
  size = v[3] - '0';
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return _bs_nn_fail (err, errlen, "%s: npy byte order '%c' is unknown", path, order);
  if (kind == 'b')
    kind = 'u';
  if (!((kind == 'u' || kind == 'i') && (size == 1 || size == 2 || size == 4 || size == 8))
      && !(kind == 'f' && (size == 4 || size == 8)))
    return _bs_nn_fail (err, errlen, "%s: npy type '%c%d' is not supported", path, kind, size);
  a->kind = kind;
  a->size = size;
  a->big_endian = order == '>';
  return 0;
}

static int
parse_shape (const char *path, const char *v, _bs_array *a, char *err, size_t errlen)
{
  const char *p = v;

  if (!p || *p != '(')
    return _bs_nn_fail (err, errlen, "%s: npy header has no 'shape' tuple", path);
  p++;
  a->ndim = 0;
  for (;;)
    {
      char *end;
      long long d;
      while (isspace ((unsigned char) *p))
        p++;
      if (*p == ')')
        break;
      if (!isdigit ((unsigned char) *p))
        return _bs_nn_fail (err, errlen, "%s: npy shape is malformed", path);
      if (a->ndim == BS_MAX_DIMS)
        return _bs_nn_fail (err, errlen, "%s: npy rank exceeds %d", path, BS_MAX_DIMS);
      d = strtoll (p, &end, 10);
      if (d < 0 || d >= ((long long) 1 << 40))
        return _bs_nn_fail (err, errlen, "%s: npy dim %lld is out of range", path, d);
      a->dims[a->ndim++] = d;
      p = end;
      while (isspace ((unsigned char) *p))
        p++;
      if (*p == ',')
        p++;
      else if (*p != ')')
        return _bs_nn_fail (err, errlen, "%s: npy shape is malformed", path);
    }
  return 0;
}

int
_bs_npy_parse (const char *path, const uint8_t *buf, size_t len, _bs_array *a, char *err,
               size_t errlen)
{
  size_t hlen, start;
  char *h;
  const char *fo;
  int rc = -1;

  memset (a, 0, sizeof *a);
  if (len < 10 || memcmp (buf, "\x93NUMPY", 6) != 0)
    return _bs_nn_fail (err, errlen, "%s: not an npy file (bad magic)", path);
  if (buf[6] == 1)
    {
      hlen = (size_t) buf[8] | (size_t) buf[9] << 8;
      start = 10;
    }
  else if (buf[6] == 2 || buf[6] == 3)
    {
      if (len < 12)
        return _bs_nn_fail (err, errlen, "%s: truncated npy header", path);
      hlen = (size_t) buf[8] | (size_t) buf[9] << 8 | (size_t) buf[10] << 16
             | (size_t) buf[11] << 24;
      start = 12;
    }
  else
    return _bs_nn_fail (err, errlen, "%s: npy version %d is unknown", path, buf[6]);
  if (hlen > ((size_t) 1 << 20) || len - start < hlen)
    return _bs_nn_fail (err, errlen, "%s: truncated npy header (%zu of %zu bytes)", path,
                        len - start, hlen);
  h = malloc (hlen + 1);
  if (!h)
    return _bs_nn_fail (err, errlen, "%s: out of memory", path);
  memcpy (h, buf + start, hlen);
  h[hlen] = 0;
  if (strlen (h) != hlen || h[0] != '{')
    {
      _bs_nn_fail (err, errlen, "%s: npy header is not a dict", path);
      goto out;
    }
  if (parse_descr (path, dict_value (h, "descr"), a, err, errlen) < 0
      || parse_shape (path, dict_value (h, "shape"), a, err, errlen) < 0)
    goto out;
  fo = dict_value (h, "fortran_order");
  if (!fo || (strncmp (fo, "False", 5) != 0 && strncmp (fo, "True", 4) != 0))
    {
      _bs_nn_fail (err, errlen, "%s: npy header has no fortran_order", path);
      goto out;
    }
  if (fo[0] == 'T' && a->ndim > 1)
    {
      _bs_nn_fail (err, errlen, "%s: Fortran-order arrays are not supported", path);
      goto out;
    }
  a->data = buf + start + hlen;
  rc = _bs_array_finish (path, a, len - start - hlen, err, errlen);
out:
  free (h);
  return rc;
}
