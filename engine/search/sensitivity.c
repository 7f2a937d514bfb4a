/* sensitivity.c — each layer alone at each candidate format, the rest of
 * the network fp32.
 *
 * Order: layers from the last to the first, and within a layer the formats
 * in the order given (SEPARATE: for each format, the weights alone, then the
 * inputs alone).  Every configuration then differs from the one before first
 * at its own layer l, the least any order can achieve since it differs from
 * the baseline at l; walking forwards, the first configuration of layer l + 1
 * would also undo layer l and restart there.  So the calls after one probing
 * layer l restart at l or earlier: nothing after l is worth caching. */
#include "bs-search-private.h"

int
bs_search_sensitivity (const bs_search_ctx *ctx, bs_search_result *res, char *err,
                       size_t errlen)
{
  _bs_run run;
  bs_config *cfg;
  bool sep = ctx->tensors == BS_TENSORS_SEPARATE;

  if (_bs_run_begin (&run, ctx, res, err, errlen) < 0)
    return _bs_run_end (&run);
  cfg = bs_config_new (ctx->n_layers);
  if (!cfg)
    {
      _bs_run_fail (&run, "search: out of memory");
      return _bs_run_end (&run);
    }
  run.total = (size_t) ctx->n_layers * ctx->n_formats * (sep ? 2 : 1);

  for (int l = ctx->n_layers - 1; l >= 0 && !run.stopped; l--)
    {
      /* later calls probe layer l or earlier ones, the layers before them fp32 */
      run.keep = l;
      for (size_t f = 0; f < ctx->n_formats && !run.stopped; f++)
        {
          const char *name = ctx->formats[f];
          if (sep)
            {
              _bs_run_set_layer (&run, cfg, l, name, "fp32");
              _bs_run_eval (&run, cfg, l, (int) f, BS_TENSOR_WEIGHTS);
              _bs_run_set_layer (&run, cfg, l, "fp32", name);
              _bs_run_eval (&run, cfg, l, (int) f, BS_TENSOR_INPUTS);
            }
          else
            {
              _bs_run_set_layer (&run, cfg, l, name, name);
              _bs_run_eval (&run, cfg, l, (int) f, BS_TENSOR_BOTH);
            }
        }
      *_bs_config_layer_mut (cfg, l) = BS_LAYER_CONFIG_FP32;
    }
  bs_config_free (cfg);
  return _bs_run_end (&run);
}
