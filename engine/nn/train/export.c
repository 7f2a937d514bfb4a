/* export.c — a trained model as ONNX, with metadata_props (the input
 * normalisation, how the model was trained) recorded on the graph; the
 * engine's importer gives them back (bs_graph_metadata). */
#include "train-private.h"

#include "bs-onnx.h"

int
bs_train_save_onnx (bs_graph *g, const char *path, int n_meta, const char *const *keys,
                    const char *const *values, char *err, size_t errlen)
{
  for (int i = 0; i < n_meta; i++)
    if (bs_graph_set_metadata (g, keys[i], values[i]) < 0)
      return _tr_fail (err, errlen, "out of memory");
  return bs_onnx_save (g, path, err, errlen);
}
