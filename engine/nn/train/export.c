/* export.c — ONNX files with metadata_props: the engine's exporter writes the
 * model, this adds key/value pairs (the input normalisation, how the model was
 * trained) and reads them back. */
#include "train-private.h"

#include "bs-onnx.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
bs_train_save_onnx (const bs_graph *g, const char *path, int n_meta, const char *const *keys,
                    const char *const *values, char *err, size_t errlen)
{
  uint8_t *buf = NULL, *out = NULL;
  size_t len = 0, olen;
  Onnx__ModelProto *m;
  Onnx__StringStringEntryProto *entries = NULL, **old = NULL, **all = NULL;
  size_t n_old;
  FILE *f;
  int ret = -1;

  if (bs_onnx_save_buffer (g, &buf, &len, err, errlen) < 0)
    return -1;
  m = onnx__model_proto__unpack (NULL, len, buf);
  free (buf);
  if (!m)
    return _tr_fail (err, errlen, "%s: the exported model does not parse back", path);
  n_old = m->n_metadata_props;
  old = m->metadata_props;
  entries = calloc ((size_t) (n_meta > 0 ? n_meta : 1), sizeof *entries);
  all = calloc (n_old + (size_t) (n_meta > 0 ? n_meta : 0) + 1, sizeof *all);
  if (!entries || !all)
    {
      _tr_fail (err, errlen, "out of memory");
      goto done;
    }
  for (size_t i = 0; i < n_old; i++)
    all[i] = old[i];
  for (int i = 0; i < n_meta; i++)
    {
      Onnx__StringStringEntryProto e = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
      e.key = (char *) keys[i];
      e.value = (char *) values[i];
      entries[i] = e;
      all[n_old + (size_t) i] = &entries[i];
    }
  m->metadata_props = all;
  m->n_metadata_props = n_old + (size_t) (n_meta > 0 ? n_meta : 0);
  olen = onnx__model_proto__get_packed_size (m);
  out = malloc (olen ? olen : 1);
  if (!out)
    {
      _tr_fail (err, errlen, "out of memory");
      goto restore;
    }
  onnx__model_proto__pack (m, out);
  f = fopen (path, "wb");
  if (!f)
    {
      _tr_fail (err, errlen, "%s: %s", path, strerror (errno));
      goto restore;
    }
  if (fwrite (out, 1, olen, f) != olen)
    {
      fclose (f);
      _tr_fail (err, errlen, "%s: write failed", path);
      goto restore;
    }
  if (fclose (f) != 0)
    {
      _tr_fail (err, errlen, "%s: %s", path, strerror (errno));
      goto restore;
    }
  ret = 0;
restore:
  /* give the unpacked message its own arrays back before freeing it */
  m->metadata_props = old;
  m->n_metadata_props = n_old;
done:
  onnx__model_proto__free_unpacked (m, NULL);
  free (entries);
  free (all);
  free (out);
  return ret;
}

int
bs_train_read_metadata (const char *path, const char *key, char **value, char *err,
                        size_t errlen)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf = NULL;
  long size;
  Onnx__ModelProto *m;

  *value = NULL;
  if (!f)
    return _tr_fail (err, errlen, "%s: %s", path, strerror (errno));
  if (fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    {
      fclose (f);
      return _tr_fail (err, errlen, "%s: cannot read", path);
    }
  buf = malloc ((size_t) size + 1);
  if (!buf || fread (buf, 1, (size_t) size, f) != (size_t) size)
    {
      fclose (f);
      free (buf);
      return _tr_fail (err, errlen, "%s: cannot read", path);
    }
  fclose (f);
  m = onnx__model_proto__unpack (NULL, (size_t) size, buf);
  free (buf);
  if (!m)
    return _tr_fail (err, errlen, "%s: not an ONNX model", path);
  for (size_t i = 0; i < m->n_metadata_props; i++)
    if (m->metadata_props[i]->key && strcmp (m->metadata_props[i]->key, key) == 0)
      {
        *value = strdup (m->metadata_props[i]->value ? m->metadata_props[i]->value : "");
        break;
      }
  onnx__model_proto__free_unpacked (m, NULL);
  return 0;
}
