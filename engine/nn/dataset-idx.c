/* dataset-idx.c — the idx format (MNIST, Fashion-MNIST): bytes 0 0, a type
 * byte, a rank byte, big-endian u32 dims, then big-endian elements. */
#include "dataset-private.h"

#include <string.h>

int
_bs_idx_parse (const char *path, const uint8_t *buf, size_t len, _bs_array *a, char *err,
               size_t errlen)
{
  size_t hdr;

  memset (a, 0, sizeof *a);
  if (len < 4)
    return _bs_nn_fail (err, errlen, "%s: truncated idx header (%zu bytes)", path, len);
  if (buf[0] != 0 || buf[1] != 0)
    return _bs_nn_fail (err, errlen, "%s: not an idx file (bad magic)", path);
  switch (buf[2])
    {
    case 0x08: a->kind = 'u'; a->size = 1; break;
    case 0x09: a->kind = 'i'; a->size = 1; break;
    case 0x0B: a->kind = 'i'; a->size = 2; break;
    case 0x0C: a->kind = 'i'; a->size = 4; break;
    case 0x0D: a->kind = 'f'; a->size = 4; break;
    case 0x0E: a->kind = 'f'; a->size = 8; break;
    default:
      return _bs_nn_fail (err, errlen, "%s: unknown idx element type 0x%02x", path, buf[2]);
    }
  a->big_endian = true;
  a->ndim = buf[3];
  if (a->ndim < 1 || a->ndim > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "%s: idx rank %d is outside 1..%d", path, a->ndim,
                        BS_MAX_DIMS);
  hdr = 4 + 4 * (size_t) a->ndim;
  if (len < hdr)
    return _bs_nn_fail (err, errlen, "%s: truncated idx header (%zu of %zu bytes)", path, len,
                        hdr);
  for (int i = 0; i < a->ndim; i++)
    {
      const uint8_t *p = buf + 4 + 4 * i;
      a->dims[i] = (int64_t) ((uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
                              | (uint32_t) p[2] << 8 | p[3]);
    }
  a->data = buf + hdr;
  return _bs_array_finish (path, a, len - hdr, err, errlen);
}
