/* ladder.c — bit-width ladders: a format and the same family with one bit
 * less at each step (see bs_format_ladder in bs-config.h). */
#include "bs-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Same format: same family, code width, block and parameters. */
static bool
same_format (const bs_format *a, const bs_format *b)
{
  if (a->traits != b->traits || a->bits != b->bits || a->block != b->block
      || a->max != b->max || a->min_pos != b->min_pos)
    return false;
  switch (bs_format_family (a))
    {
    case BS_FAMILY_FLOAT:
      return a->p.fl.e == b->p.fl.e && a->p.fl.m == b->p.fl.m
             && a->p.fl.bias == b->p.fl.bias && a->p.fl.special == b->p.fl.special;
    case BS_FAMILY_FIXED:
      return a->p.fixed.q == b->p.fixed.q;
    case BS_FAMILY_INT:
      return a->p.integer.n == b->p.integer.n;
    case BS_FAMILY_POSIT:
      return a->p.posit.n == b->p.posit.n && a->p.posit.es == b->p.posit.es;
    case BS_FAMILY_LOG:
      return a->p.log.n == b->p.log.n && a->p.log.es == b->p.log.es
             && a->p.log.tapered == b->p.log.tapered;
    case BS_FAMILY_KMEANS:
      return a->p.kmeans.k == b->p.kmeans.k;
    default:
      return strcmp (a->name, b->name) == 0;
    }
}

/* Replace a generated name by the listed name of the same format, if any. */
static void
prefer_listed (const bs_format *f, char name[BS_NAME_MAX])
{
  for (const char *const *l = bs_format_listed_names (); *l; l++)
    {
      bs_format g;

      if (strchr (*l, '<') || strcmp (*l, name) == 0)
        continue;
      if (bs_format_parse (*l, &g, NULL, 0) == 0 && same_format (f, &g))
        {
          snprintf (name, BS_NAME_MAX, "%s", *l);
          return;
        }
    }
}

typedef struct {
  char (*out)[BS_NAME_MAX];
  int cap, n;
  bool done;   /* a rung was rejected or the ladder is full */
} ladder;

/* Append the rung named by fmt (after the first one) unless the ladder has
 * ended; a name the library rejects ends it. */
static void
rung (ladder *l, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
rung (ladder *l, const char *fmt, ...)
{
  char name[BS_NAME_MAX];
  bs_format f;
  va_list ap;

  if (l->done)
    return;
  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  if (bs_format_parse (name, &f, NULL, 0) < 0 || l->n >= BS_LADDER_MAX)
    {
      l->done = true;
      return;
    }
  prefer_listed (&f, name);
  if (l->n < l->cap)
    memcpy (l->out[l->n], name, sizeof name);
  l->n++;
}

static void
log_ladder (ladder *l, int n, int es)
{
  for (int k = n; k >= 3; k--)
    rung (l, "log%d_%d", k, es);
}

int
bs_format_ladder (const char *name, char (*out)[BS_NAME_MAX], int cap, char *err, size_t errlen)
{
  ladder l = { out, cap < 0 ? 0 : cap, 0, false };
  bs_format f, g;

  if (bs_format_parse (name, &f, err, errlen) < 0)
    return -1;
  /* the first rung is the name as given */
  if (l.cap > 0)
    snprintf (out[0], BS_NAME_MAX, "%s", name);
  l.n = 1;

  switch (bs_format_family (&f))
    {
    case BS_FAMILY_FIXED:
      for (int q = f.p.fixed.q - 1; q >= 1; q--)
        rung (&l, "fixed%d", q);
      break;
    case BS_FAMILY_INT:
      for (int n = f.p.integer.n - 1; n >= 2; n--)
        rung (&l, "int%d", n);
      break;
    case BS_FAMILY_POSIT:
      for (int n = f.p.posit.n - 1; n >= 3; n--)
        rung (&l, "posit%d_%d", n, f.p.posit.es);
      break;
    case BS_FAMILY_FLOAT:
      for (int m = f.p.fl.m - 1; m >= 0; m--)
        rung (&l, "float_e%dm%d", f.p.fl.e, m);
      for (int e = f.p.fl.e - 1; e >= 2; e--)
        rung (&l, "float_e%dm0", e);
      break;
    case BS_FAMILY_LOG:
      if (!f.p.log.tapered)
        {
          /* log16 (untapered) steps down to log8, the deepfloat (8,1) code */
          if (bs_format_parse ("log8", &g, NULL, 0) == 0)
            {
              rung (&l, "log8");
              log_ladder (&l, g.p.log.n - 1, g.p.log.es);
            }
        }
      else
        log_ladder (&l, f.p.log.n - 1, f.p.log.es);
      break;
    case BS_FAMILY_KMEANS:
      {
        int k = 1;
        while (k * 2 < f.p.kmeans.k)
          k *= 2;
        for (; k >= 2; k /= 2)
          rung (&l, "kmeans%d", k);
      }
      break;
    default:
      break;   /* binary, ternary, nf4, mx, nvfp4: no ladder */
    }
  return l.n;
}
