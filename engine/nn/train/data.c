/* data.c — normalised in-memory copies of datasets for the trainer. */
#include "train-private.h"

#include <stdlib.h>
#include <string.h>

int
bs_train_data_from_dataset (const bs_dataset *ds, const bs_norm *norm, int64_t first,
                            int64_t count, bs_train_data *out, char *err, size_t errlen)
{
  bs_tensor x = { 0 };

  memset (out, 0, sizeof *out);
  if (first < 0 || count < 1 || first + count > ds->n)
    return _tr_fail (err, errlen, "images %lld .. %lld are not in the set of %lld",
                     (long long) first, (long long) (first + count), (long long) ds->n);
  if (bs_dataset_batch (ds, first, count, norm, &x, err, errlen) < 0)
    return -1;
  out->labels = malloc ((size_t) count * sizeof *out->labels);
  if (!out->labels)
    {
      bs_tensor_clear (&x);
      return _tr_fail (err, errlen, "out of memory");
    }
  memcpy (out->labels, ds->labels + first, (size_t) count * sizeof *out->labels);
  out->x = bs_tensor_f32 (&x);   /* the storage changes hands */
  x.data = NULL;
  out->n = count;
  out->c = ds->c;
  out->h = ds->h;
  out->w = ds->w;
  out->n_classes = ds->n_classes;
  for (int c = 0; c < BS_DATASET_MAX_CHANNELS; c++)
    {
      int k = norm->n_channels == 1 ? 0 : c;
      out->fill[c] = norm->n_channels > 0 && k < norm->n_channels && norm->std[k] != 0
                       ? (0.0f - norm->mean[k]) / norm->std[k]
                       : 0.0f;
    }
  return 0;
}

void
bs_train_data_clear (bs_train_data *d)
{
  free (d->x);
  free (d->labels);
  memset (d, 0, sizeof *d);
}
