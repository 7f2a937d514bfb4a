/* dataset.c — labelled image sets: loading, normalised batches, subsets. */
#include "dataset-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bs_dataset_clear (bs_dataset *ds)
{
  free (ds->u8);
  free (ds->f32);
  free (ds->labels);
  memset (ds, 0, sizeof *ds);
}

/* Read a file and parse it as npy or idx, by its first bytes. */
static int
read_array (const char *path, uint8_t **buf, _bs_array *a, char *err, size_t errlen)
{
  size_t len;
  int rc;

  if (_bs_read_maybe_gz (path, buf, &len, err, errlen) < 0)
    return -1;
  if (len >= 6 && memcmp (*buf, "\x93NUMPY", 6) == 0)
    rc = _bs_npy_parse (path, *buf, len, a, err, errlen);
  else
    rc = _bs_idx_parse (path, *buf, len, a, err, errlen);
  if (rc < 0)
    {
      free (*buf);
      *buf = NULL;
    }
  return rc;
}

static int
fill_images (const char *path, const _bs_array *a, bs_dataset *ds, char *err, size_t errlen)
{
  if (a->ndim != 3 && a->ndim != 4)
    return _bs_nn_fail (err, errlen, "%s: images must be [N,H,W] or [N,C,H,W], not rank %d",
                        path, a->ndim);
  ds->n = a->dims[0];
  ds->c = a->ndim == 4 ? a->dims[1] : 1;
  ds->h = a->dims[a->ndim - 2];
  ds->w = a->dims[a->ndim - 1];
  if (ds->c < 1 || ds->h < 1 || ds->w < 1)
    return _bs_nn_fail (err, errlen, "%s: empty image dims", path);
  if (a->kind == 'u' && a->size == 1)
    {
      ds->type = BS_PIXELS_U8;
      ds->u8 = malloc ((size_t) (a->count ? a->count : 1));
      if (!ds->u8)
        return _bs_nn_fail (err, errlen, "%s: out of memory", path);
      memcpy (ds->u8, a->data, (size_t) a->count);
      return 0;
    }
  ds->type = BS_PIXELS_F32;
  ds->f32 = malloc ((size_t) (a->count ? a->count : 1) * sizeof (float));
  if (!ds->f32)
    return _bs_nn_fail (err, errlen, "%s: out of memory", path);
  for (int64_t i = 0; i < a->count; i++)
    ds->f32[i] = (float) _bs_array_get (a, i);
  return 0;
}

static int
fill_labels (const char *path, const _bs_array *a, bs_dataset *ds, char *err, size_t errlen)
{
  if (a->ndim != 1 && !(a->ndim == 2 && a->dims[1] == 1))
    return _bs_nn_fail (err, errlen, "%s: labels must be [N], not rank %d", path, a->ndim);
  if (a->kind == 'f')
    return _bs_nn_fail (err, errlen, "%s: labels must be integers", path);
  if (a->dims[0] != ds->n)
    return _bs_nn_fail (err, errlen, "%s: %lld labels for %lld images", path,
                        (long long) a->dims[0], (long long) ds->n);
  ds->labels = malloc ((size_t) (ds->n ? ds->n : 1) * sizeof (int32_t));
  if (!ds->labels)
    return _bs_nn_fail (err, errlen, "%s: out of memory", path);
  ds->n_classes = 0;
  for (int64_t i = 0; i < ds->n; i++)
    {
      double v = _bs_array_get (a, i);
      if (v < 0 || v > 65535)
        return _bs_nn_fail (err, errlen, "%s: label %lld is %.0f (expected 0..65535)", path,
                            (long long) i, v);
      ds->labels[i] = (int32_t) v;
      if (ds->labels[i] + 1 > ds->n_classes)
        ds->n_classes = ds->labels[i] + 1;
    }
  return 0;
}

int
bs_dataset_load (const char *images, const char *labels, bs_dataset *ds, char *err,
                 size_t errlen)
{
  uint8_t *ib = NULL, *lb = NULL;
  _bs_array ia, la;
  int rc = -1;

  memset (ds, 0, sizeof *ds);
  if (read_array (images, &ib, &ia, err, errlen) < 0)
    return -1;
  if (fill_images (images, &ia, ds, err, errlen) < 0)
    goto out;
  free (ib);
  ib = NULL;
  if (read_array (labels, &lb, &la, err, errlen) < 0
      || fill_labels (labels, &la, ds, err, errlen) < 0)
    goto out;
  rc = 0;
out:
  free (ib);
  free (lb);
  if (rc < 0)
    bs_dataset_clear (ds);
  return rc;
}

/* dir/name.gz if it exists, else dir/name. */
static void
pick_path (const char *dir, const char *name, char *buf, size_t len)
{
  FILE *f;
  snprintf (buf, len, "%s/%s.gz", dir, name);
  if ((f = fopen (buf, "rb")))
    {
      fclose (f);
      return;
    }
  snprintf (buf, len, "%s/%s", dir, name);
  if ((f = fopen (buf, "rb")))
    {
      fclose (f);
      return;
    }
  snprintf (buf, len, "%s/%s.gz", dir, name);   /* the error will name the .gz */
}

int
bs_dataset_load_fashion_mnist (const char *dir, bool train, bs_dataset *ds, char *err,
                               size_t errlen)
{
  char ip[1024], lp[1024];
  const char *pre = train ? "train" : "t10k";
  char in[64], ln[64];

  if (!dir)
    dir = BS_FASHION_MNIST_DIR;
  snprintf (in, sizeof in, "%s-images-idx3-ubyte", pre);
  snprintf (ln, sizeof ln, "%s-labels-idx1-ubyte", pre);
  pick_path (dir, in, ip, sizeof ip);
  pick_path (dir, ln, lp, sizeof lp);
  return bs_dataset_load (ip, lp, ds, err, errlen);
}

bs_norm
bs_norm_unit (const bs_dataset *ds)
{
  bs_norm n = { 0 };
  n.scale = ds->type == BS_PIXELS_U8 ? 1.0f / 255.0f : 1.0f;
  return n;
}

bs_norm
bs_norm_fashion_mnist (void)
{
  bs_norm n = { 0 };
  n.scale = 1.0f / 255.0f;
  n.n_channels = 1;
  n.mean[0] = BS_FASHION_MNIST_MEAN;
  n.std[0] = BS_FASHION_MNIST_STD;
  return n;
}

static double
pixel (const bs_dataset *ds, int64_t i)
{
  return ds->type == BS_PIXELS_U8 ? (double) ds->u8[i] : (double) ds->f32[i];
}

int
bs_dataset_stats (const bs_dataset *ds, float scale, double *mean, double *std)
{
  int64_t plane = ds->h * ds->w;
  for (int64_t c = 0; c < ds->c; c++)
    {
      double s = 0, s2 = 0;
      int64_t cnt = ds->n * plane;
      for (int64_t i = 0; i < ds->n; i++)
        {
          int64_t base = (i * ds->c + c) * plane;
          for (int64_t t = 0; t < plane; t++)
            {
              double v = pixel (ds, base + t) * scale;
              s += v;
              s2 += v * v;
            }
        }
      mean[c] = cnt ? s / (double) cnt : 0;
      std[c] = cnt ? sqrt (fmax (0.0, s2 / (double) cnt - mean[c] * mean[c])) : 0;
    }
  return 0;
}

int
bs_dataset_batch (const bs_dataset *ds, int64_t first, int64_t count, const bs_norm *norm,
                  bs_tensor *out, char *err, size_t errlen)
{
  int64_t dims[4] = { count, ds->c, ds->h, ds->w }, plane = ds->h * ds->w;
  float *y;

  memset (out, 0, sizeof *out);
  if (first < 0 || count < 0 || first > ds->n || count > ds->n - first)
    return _bs_nn_fail (err, errlen, "images [%lld, %lld) are outside the %lld of the set",
                        (long long) first, (long long) (first + count), (long long) ds->n);
  if (norm->n_channels > 1 && norm->n_channels != ds->c)
    return _bs_nn_fail (err, errlen, "normalisation for %d channels, images have %lld",
                        norm->n_channels, (long long) ds->c);
  if (bs_tensor_init_f32 (out, 4, dims, err, errlen) < 0)
    return -1;
  y = bs_tensor_f32 (out);
  for (int64_t i = 0; i < count; i++)
    for (int64_t c = 0; c < ds->c; c++)
      {
        int64_t src = ((first + i) * ds->c + c) * plane, dst = (i * ds->c + c) * plane;
        int k = norm->n_channels == 1 ? 0 : (int) c;
        float mean = norm->n_channels ? norm->mean[k] : 0.0f;
        float inv = norm->n_channels ? 1.0f / norm->std[k] : 1.0f;
        for (int64_t t = 0; t < plane; t++)
          y[dst + t] = ((float) pixel (ds, src + t) * norm->scale - mean) * inv;
      }
  return 0;
}

int
bs_dataset_subset (const bs_dataset *ds, const int64_t *idx, int64_t n, bs_dataset *out,
                   char *err, size_t errlen)
{
  int64_t per = ds->c * ds->h * ds->w;
  size_t es = ds->type == BS_PIXELS_U8 ? 1 : sizeof (float);
  const uint8_t *src = ds->type == BS_PIXELS_U8 ? (const uint8_t *) ds->u8
                                                : (const uint8_t *) ds->f32;
  uint8_t *dst;

  memset (out, 0, sizeof *out);
  for (int64_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= ds->n)
      return _bs_nn_fail (err, errlen, "index %lld is outside the %lld images",
                          (long long) idx[i], (long long) ds->n);
  *out = *ds;
  out->u8 = NULL;
  out->f32 = NULL;
  out->n = n;
  dst = malloc ((size_t) ((n * per) > 0 ? n * per : 1) * es);
  out->labels = malloc ((size_t) (n ? n : 1) * sizeof (int32_t));
  if (!dst || !out->labels)
    {
      free (dst);
      free (out->labels);
      memset (out, 0, sizeof *out);
      return _bs_nn_fail (err, errlen, "out of memory");
    }
  for (int64_t i = 0; i < n; i++)
    {
      memcpy (dst + (size_t) (i * per) * es, src + (size_t) (idx[i] * per) * es,
              (size_t) per * es);
      out->labels[i] = ds->labels[idx[i]];
    }
  if (ds->type == BS_PIXELS_U8)
    out->u8 = dst;
  else
    out->f32 = (float *) dst;
  return 0;
}

static uint64_t
splitmix64 (uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

int
bs_dataset_calibration_indices (int64_t total, int64_t n, uint64_t seed, int64_t *idx)
{
  int64_t *perm;
  uint64_t s = seed;

  if (n < 0 || n > total)
    return -1;
  perm = malloc ((size_t) (total ? total : 1) * sizeof *perm);
  if (!perm)
    return -1;
  for (int64_t i = 0; i < total; i++)
    perm[i] = i;
  for (int64_t i = 0; i < n; i++)
    {
      int64_t j = i + (int64_t) (splitmix64 (&s) % (uint64_t) (total - i));
      int64_t t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  if (n)
    memcpy (idx, perm, (size_t) n * sizeof *idx);
  free (perm);
  qsort (idx, (size_t) n, sizeof *idx, cmp_i64);
  return 0;
}

int
bs_dataset_calibration (const bs_dataset *train, int64_t n, uint64_t seed, bs_dataset *out,
                        char *err, size_t errlen)
{
  int64_t *idx;
  int rc;

  memset (out, 0, sizeof *out);
  if (n < 0 || n > train->n)
    return _bs_nn_fail (err, errlen, "calibration size %lld is outside 0..%lld", (long long) n,
                        (long long) train->n);
  idx = malloc ((size_t) (n ? n : 1) * sizeof *idx);
  if (!idx || bs_dataset_calibration_indices (train->n, n, seed, idx) < 0)
    {
      free (idx);
      return _bs_nn_fail (err, errlen, "out of memory");
    }
  rc = bs_dataset_subset (train, idx, n, out, err, errlen);
  free (idx);
  return rc;
}
