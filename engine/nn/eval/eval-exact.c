/* eval-exact.c — the exact path (see eval-private.h). */
#include "eval-private.h"

#include <stdio.h>

bool
_bs_ev_wants_exact (const bs_evaluator *ev, const bs_config *cfg)
{
  if (ev->o.path == BS_EVAL_FAKE_QUANT)
    return false;
  if (ev->o.path == BS_EVAL_EXACT)
    return true;
  for (int j = 0; j < bs_config_n_layers (cfg); j++)
    if (bs_config_layer (cfg, j)->acc != BS_ACC_FP32)
      return true;
  return false;
}

int
_bs_ev_exact_layer (bs_evaluator *ev, int j, const bs_layer_config *lc, const bs_format *fin,
                    double in_scale, bs_exec *x, const float *q, int64_t count, char *err,
                    size_t errlen)
{
  snprintf (err, errlen, "the exact path is not implemented yet");
  return -1;
}
