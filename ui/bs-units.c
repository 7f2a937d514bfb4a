/* bs-units.c — energy with SI prefixes, accuracy as a percentage. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-units.h"

/* pj picojoules as "12.3 µJ": three significant digits, the prefix that puts
 * the mantissa in [1, 1000).  NaN: an en dash. */
char *
bs_units_format_energy (double pj)
{
  static const char *const units[] = { "fJ", "pJ", "nJ", "µJ", "mJ", "J" };
  double v = pj * 1e3;   /* in fJ */
  guint u = 0;

  if (!isfinite (pj))
    return g_strdup ("–");
  if (pj == 0)
    return g_strdup ("0 J");
  while (fabs (v) >= 999.5 && u + 1 < G_N_ELEMENTS (units))
    {
      v /= 1000;
      u++;
    }
  return g_strdup_printf ("%.3g %s", v, units[u]);
}

/* top1 (in percent, 0..100) as "91.2 %" with the given decimals; NaN: an en
 * dash. */
char *
bs_units_format_accuracy (double top1, int decimals)
{
  if (!isfinite (top1))
    return g_strdup ("–");
  /* TRANSLATORS: an accuracy in percent; %.*f is the number */
  return g_strdup_printf (_("%.*f %%"), decimals, top1);
}
