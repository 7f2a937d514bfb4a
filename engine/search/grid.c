/* grid.c — one format for the whole network, for each candidate format
 * (TIED) or each weight × input pair (SEPARATE), in the order of
 * ctx->formats (weights outer). */
#include "bs-search-private.h"

int
bs_search_grid (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen)
{
  _bs_run run;
  bs_config *cfg;
  size_t nf = ctx->n_formats;

  if (_bs_run_begin (&run, ctx, res, err, errlen) < 0)
    return _bs_run_end (&run);
  cfg = bs_config_new (ctx->n_layers);
  if (!cfg)
    {
      _bs_run_fail (&run, "search: out of memory");
      return _bs_run_end (&run);
    }
  run.total = ctx->tensors == BS_TENSORS_SEPARATE ? nf * nf : nf;
  run.keep = 0;   /* every call changes layer 0 */

  for (size_t w = 0; w < nf && !run.stopped; w++)
    for (size_t a = 0; a < nf && !run.stopped; a++)
      {
        if (ctx->tensors == BS_TENSORS_TIED && a != w)
          continue;
        for (int l = 0; l < ctx->n_layers; l++)
          _bs_run_set_layer (&run, cfg, l, ctx->formats[w], ctx->formats[a]);
        _bs_run_eval (&run, cfg, -1, -1, BS_TENSOR_BOTH);
      }
  bs_config_free (cfg);
  return _bs_run_end (&run);
}
