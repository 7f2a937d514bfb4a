/* optim.c — SGD with momentum, Adam, weight decay and the learning-rate
 * schedule.  Element-wise updates: the result does not depend on threads. */
#include "train-private.h"

#include <math.h>

/* SGD (PyTorch form):  g' = g + wd·w;  v = μ·v + g';  w -= lr·v.
 * Adam:  g' = g + wd·w;  m = β1·m + (1-β1)·g';  v = β2·v + (1-β2)·g'²;
 *        w -= lr · (m / (1-β1^t)) / (√(v / (1-β2^t)) + ε),  t ≥ 1. */
void
_tr_optim_update (const bs_train_opts *o, double lr, int64_t adam_t, float *w, const float *g,
                  float *m, float *v, int64_t n, double wd)
{
  float fwd = (float) wd, flr = (float) lr;
  if (o->optimizer == BS_OPTIM_SGD)
    {
      float mu = (float) o->momentum;
      for (int64_t i = 0; i < n; i++)
        {
          float gi = g[i] + fwd * w[i];
          m[i] = mu * m[i] + gi;
          w[i] -= flr * m[i];
        }
      return;
    }
  float b1 = (float) o->beta1, b2 = (float) o->beta2, eps = (float) o->eps;
  double c1 = 1.0 - pow (o->beta1, (double) adam_t), c2 = 1.0 - pow (o->beta2, (double) adam_t);
  float step = (float) (lr / c1), ic2 = (float) (1.0 / c2);
  for (int64_t i = 0; i < n; i++)
    {
      float gi = g[i] + fwd * w[i];
      m[i] = b1 * m[i] + (1.0f - b1) * gi;
      v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
      w[i] -= step * m[i] / (sqrtf (v[i] * ic2) + eps);
    }
}

double
bs_train_lr (const bs_train_opts *o, int64_t step, int64_t steps_per_epoch)
{
  int64_t spe = steps_per_epoch > 0 ? steps_per_epoch : 1;
  int64_t total = (int64_t) o->epochs * spe;
  int64_t warm = (int64_t) llround (o->warmup_epochs * (double) spe);

  if (step < warm)
    return o->lr * (double) (step + 1) / (double) warm;
  switch (o->schedule)
    {
    case BS_LR_STEP:
      {
        int64_t epoch = step / spe;
        return o->lr * pow (o->step_gamma, (double) (epoch / (o->step_epochs > 0 ? o->step_epochs : 1)));
      }
    case BS_LR_COSINE:
      {
        double span = (double) (total - warm), x;
        if (span < 1)
          span = 1;
        x = (double) (step - warm) / span;
        if (x > 1)
          x = 1;
        return o->lr_min + (o->lr - o->lr_min) * 0.5 * (1.0 + cos (M_PI * x));
      }
    default:
      return o->lr;
    }
}
