/* config.c — quantization configurations: values, canonical text, hash. */
#include "bs-config.h"
#include "bs-search-private.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_config {
  int n_layers;
  bs_layer_config layers[];
};

/* Percentiles are kept as whole millionths so that text and value agree. */
#define PCT_UNITS 1000000LL
#define PCT_MAX_UNITS (100 * PCT_UNITS)
#define BLOCK_MAX (1 << 20)

static const char *const scaling_names[BS_N_SCALINGS] = {
  [BS_SCALING_NONE] = "none",
  [BS_SCALING_POW2] = "pow2",
  [BS_SCALING_LAYER_POW2] = "layer-pow2",
  [BS_SCALING_CHANNEL] = "channel",
  [BS_SCALING_BLOCK] = "block",
  [BS_SCALING_MAXABS] = "maxabs",
  [BS_SCALING_PERCENTILE] = "pct",
  [BS_SCALING_AUTO] = "auto",
};

static int
fail (char *err, size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

const char *
bs_scaling_name (bs_scaling s)
{
  return (unsigned) s < BS_N_SCALINGS ? scaling_names[s] : "?";
}

/* Values ------------------------------------------------------------------ */

bs_config *
bs_config_new (int n_layers)
{
  bs_config *cfg;

  if (n_layers < 1 || n_layers > BS_CONFIG_MAX_LAYERS)
    return NULL;
  cfg = malloc (sizeof *cfg + (size_t) n_layers * sizeof cfg->layers[0]);
  if (!cfg)
    return NULL;
  cfg->n_layers = n_layers;
  for (int i = 0; i < n_layers; i++)
    cfg->layers[i] = BS_LAYER_CONFIG_FP32;
  return cfg;
}

bs_config *
bs_config_copy (const bs_config *cfg)
{
  size_t size = sizeof *cfg + (size_t) cfg->n_layers * sizeof cfg->layers[0];
  bs_config *c = malloc (size);

  if (c)
    memcpy (c, cfg, size);
  return c;
}

void
bs_config_free (bs_config *cfg)
{
  free (cfg);
}

int
bs_config_n_layers (const bs_config *cfg)
{
  return cfg->n_layers;
}

const bs_layer_config *
bs_config_layer (const bs_config *cfg, int i)
{
  return i >= 0 && i < cfg->n_layers ? &cfg->layers[i] : NULL;
}

/* The writable layer, for the search strategies, which validate their
 * candidate names once and then build configurations unchecked. */
bs_layer_config *
_bs_config_layer_mut (bs_config *cfg, int i)
{
  return &cfg->layers[i];
}

static int
check_name (const char *what, const char *name, char *err, size_t errlen)
{
  bs_format f;
  char why[160];

  if (memchr (name, '\0', BS_NAME_MAX) == NULL)
    return fail (err, errlen, "%s format name too long", what);
  if (bs_format_parse (name, &f, why, sizeof why) < 0)
    return fail (err, errlen, "%s format: %s", what, why);
  return 0;
}

int
bs_config_set_layer (bs_config *cfg, int i, const bs_layer_config *lc, char *err, size_t errlen)
{
  bs_layer_config v;

  if (i < 0 || i >= cfg->n_layers)
    return fail (err, errlen, "layer %d out of range (0..%d)", i, cfg->n_layers - 1);
  if (check_name ("weight", lc->weight, err, errlen) < 0
      || check_name ("input", lc->input, err, errlen) < 0)
    return -1;
  if ((unsigned) lc->acc >= BS_N_ACCS)
    return fail (err, errlen, "accumulator %d out of range", (int) lc->acc);
  if ((unsigned) lc->scaling >= BS_N_SCALINGS)
    return fail (err, errlen, "scaling %d out of range", (int) lc->scaling);

  memset (&v, 0, sizeof v);
  memcpy (v.weight, lc->weight, strlen (lc->weight) + 1);
  memcpy (v.input, lc->input, strlen (lc->input) + 1);
  v.acc = lc->acc;
  v.scaling = lc->scaling;
  if (lc->scaling == BS_SCALING_PERCENTILE)
    {
      /* !(p > 0) also catches NaN */
      if (!(lc->percentile > 0) || !(lc->percentile <= 100))
        return fail (err, errlen, "percentile %g out of range (0, 100]", lc->percentile);
      long long units = llround (lc->percentile * (double) PCT_UNITS);
      if (units < 1)
        return fail (err, errlen, "percentile %g below 0.000001", lc->percentile);
      v.percentile = (double) units / (double) PCT_UNITS;
    }
  if (lc->scaling == BS_SCALING_BLOCK)
    {
      if (lc->block < 0 || lc->block > BLOCK_MAX)
        return fail (err, errlen, "block size %d out of range 0..%d", lc->block, BLOCK_MAX);
      v.block = lc->block;
    }
  cfg->layers[i] = v;
  return 0;
}

bool
bs_layer_config_equal (const bs_layer_config *a, const bs_layer_config *b)
{
  return strcmp (a->weight, b->weight) == 0 && strcmp (a->input, b->input) == 0
         && a->acc == b->acc && a->scaling == b->scaling
         && a->percentile == b->percentile && a->block == b->block;
}

bool
bs_config_equal (const bs_config *a, const bs_config *b)
{
  return bs_config_first_difference (a, b) == a->n_layers && a->n_layers == b->n_layers;
}

int
bs_config_first_difference (const bs_config *a, const bs_config *b)
{
  int i;

  if (a->n_layers != b->n_layers)
    return 0;
  for (i = 0; i < a->n_layers; i++)
    if (!bs_layer_config_equal (&a->layers[i], &b->layers[i]))
      break;
  return i;
}

int
bs_config_mean_bits (const bs_config *cfg, const uint64_t *weight_counts,
                     const uint64_t *input_counts, double *mean_weight_bits,
                     double *mean_input_bits, char *err, size_t errlen)
{
  double wsum = 0, wn = 0, isum = 0, in = 0;

  for (int i = 0; i < cfg->n_layers; i++)
    {
      const bs_layer_config *l = &cfg->layers[i];
      double wc = weight_counts ? (double) weight_counts[i] : 1.0;
      double ic = input_counts ? (double) input_counts[i] : 1.0;
      bs_format fw, fi;

      if (bs_format_parse (l->weight, &fw, err, errlen) < 0
          || bs_format_parse (l->input, &fi, err, errlen) < 0)
        return -1;
      wsum += wc * fw.bits;
      wn += wc;
      isum += ic * fi.bits;
      in += ic;
    }
  if (wn == 0 || in == 0)
    return fail (err, errlen, "mean bits: every element count is 0");
  if (mean_weight_bits)
    *mean_weight_bits = wsum / wn;
  if (mean_input_bits)
    *mean_input_bits = isum / in;
  return 0;
}

/* Canonical text ---------------------------------------------------------- */

/* A growing string; on allocation failure it keeps a NULL buffer. */
typedef struct {
  char *s;
  size_t len, cap;
} strbuf;

static void
sb_add (strbuf *b, const char *text)
{
  size_t n = strlen (text);

  if (!b->s)
    return;
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap * 2 > b->len + n + 1 ? b->cap * 2 : b->len + n + 1;
      char *s = realloc (b->s, cap);
      if (!s)
        {
          free (b->s);
          b->s = NULL;
          return;
        }
      b->s = s;
      b->cap = cap;
    }
  memcpy (b->s + b->len, text, n + 1);
  b->len += n;
}

/* "pct<P>" with P from whole millionths: integer arithmetic only, so the text
 * does not depend on the C locale's decimal point. */
void
bs_layer_config_scaling_text (const bs_layer_config *l, char *buf, size_t len)
{
  if (l->scaling == BS_SCALING_PERCENTILE)
    {
      long long units = llround (l->percentile * (double) PCT_UNITS);
      long long whole = units / PCT_UNITS, frac = units % PCT_UNITS;
      int digits = 6;

      if (frac == 0)
        {
          snprintf (buf, len, "pct%lld", whole);
          return;
        }
      while (frac % 10 == 0)
        frac /= 10, digits--;
      snprintf (buf, len, "pct%lld.%0*lld", whole, digits, frac);
    }
  else if (l->scaling == BS_SCALING_BLOCK && l->block > 0)
    snprintf (buf, len, "block%d", l->block);
  else
    snprintf (buf, len, "%s", bs_scaling_name (l->scaling));
}

char *
bs_config_to_string (const bs_config *cfg)
{
  strbuf b = { malloc (256), 0, 256 };

  if (b.s)
    b.s[0] = '\0';
  sb_add (&b, "v1");
  for (int i = 0; i < cfg->n_layers; i++)
    {
      const bs_layer_config *l = &cfg->layers[i];
      char scal[32], head[24];

      bs_layer_config_scaling_text (l, scal, sizeof scal);
      snprintf (head, sizeof head, ";L%d:w=", i);
      sb_add (&b, head);
      sb_add (&b, l->weight);
      sb_add (&b, ",a=");
      sb_add (&b, l->input);
      sb_add (&b, ",acc=");
      sb_add (&b, bs_acc_name (l->acc));
      sb_add (&b, ",s=");
      sb_add (&b, scal);
    }
  return b.s;
}

uint64_t
bs_config_hash (const bs_config *cfg)
{
  char *text = bs_config_to_string (cfg);
  uint64_t h = 0xcbf29ce484222325ULL;

  if (!text)
    return 0;
  for (const unsigned char *p = (const unsigned char *) text; *p; p++)
    {
      h ^= *p;
      h *= 0x100000001b3ULL;
    }
  free (text);
  return h;
}

/* Parser ------------------------------------------------------------------ */

typedef struct {
  const char *start, *p;
  char *err;
  size_t errlen;
} parser;

static int
perr (parser *ps, const char *what)
{
  return fail (ps->err, ps->errlen, "malformed configuration at offset %td: %s",
               ps->p - ps->start, what);
}

static bool
lit (parser *ps, const char *s)
{
  size_t n = strlen (s);

  if (strncmp (ps->p, s, n) != 0)
    return false;
  ps->p += n;
  return true;
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* An unsigned decimal without sign or leading zero, at most max. */
static bool
read_uint (parser *ps, long long max, long long *out)
{
  const char *p = ps->p;
  long long v = 0;

  if (!is_digit (*p) || (p[0] == '0' && is_digit (p[1])))
    return false;
  while (is_digit (*p))
    {
      v = v * 10 + (*p++ - '0');
      if (v > max)
        return false;
    }
  *out = v;
  ps->p = p;
  return true;
}

/* A format name: lowercase letters, digits and '_' up to the next ','. */
static int
read_name (parser *ps, const char *what, char out[BS_NAME_MAX])
{
  size_t n = 0;
  char why[160];
  bs_format f;

  while ((ps->p[n] >= 'a' && ps->p[n] <= 'z') || is_digit (ps->p[n]) || ps->p[n] == '_')
    n++;
  if (n == 0)
    return perr (ps, what[0] == 'w' ? "expected a weight format name"
                                    : "expected an input format name");
  if (n >= BS_NAME_MAX)
    return perr (ps, "format name too long");
  memcpy (out, ps->p, n);
  out[n] = '\0';
  if (bs_format_parse (out, &f, why, sizeof why) < 0)
    return fail (ps->err, ps->errlen, "malformed configuration at offset %td: %s",
                 ps->p - ps->start, why);
  ps->p += n;
  return 0;
}

static int
read_acc (parser *ps, bs_acc *acc)
{
  /* the name must fill the field up to the next ',' */
  for (int a = 0; a < BS_N_ACCS; a++)
    {
      const char *name = bs_acc_name ((bs_acc) a);
      size_t n = strlen (name);
      if (strncmp (ps->p, name, n) == 0 && ps->p[n] == ',')
        {
          *acc = (bs_acc) a;
          ps->p += n;
          return 0;
        }
    }
  return perr (ps, "unknown accumulator");
}

/* The scaling field ends at ';' or the end of the text. */
static bool
at_field_end (parser *ps)
{
  return *ps->p == ';' || *ps->p == '\0';
}

static int
read_scaling (parser *ps, bs_layer_config *l)
{
  long long v;

  l->percentile = 0;
  l->block = 0;
  if (lit (ps, "pct"))
    {
      long long whole, frac = 0;
      int digits = 0;

      if (!read_uint (ps, 100, &whole))
        return perr (ps, "expected a percentile");
      if (*ps->p == '.')
        {
          ps->p++;
          while (is_digit (*ps->p))
            {
              if (++digits > 6)
                return perr (ps, "percentile with more than six decimals");
              frac = frac * 10 + (*ps->p++ - '0');
            }
          if (digits == 0 || ps->p[-1] == '0')
            return perr (ps, "non-canonical percentile");
        }
      for (int d = digits; d < 6; d++)
        frac *= 10;
      v = whole * PCT_UNITS + frac;
      if (v < 1 || v > PCT_MAX_UNITS)
        return perr (ps, "percentile out of range (0, 100]");
      l->scaling = BS_SCALING_PERCENTILE;
      l->percentile = (double) v / (double) PCT_UNITS;
    }
  else if (lit (ps, "block"))
    {
      l->scaling = BS_SCALING_BLOCK;
      if (!at_field_end (ps))
        {
          if (!read_uint (ps, BLOCK_MAX, &v) || v == 0)
            return perr (ps, "expected a block size 1..1048576");
          l->block = (int) v;
        }
    }
  else
    {
      int s;
      for (s = 0; s < BS_N_SCALINGS; s++)
        if (s != BS_SCALING_PERCENTILE && s != BS_SCALING_BLOCK)
          {
            size_t n = strlen (scaling_names[s]);
            if (strncmp (ps->p, scaling_names[s], n) == 0
                && (ps->p[n] == ';' || ps->p[n] == '\0'))
              {
                ps->p += n;
                break;
              }
          }
      if (s == BS_N_SCALINGS)
        return perr (ps, "unknown scaling");
      l->scaling = (bs_scaling) s;
    }
  if (!at_field_end (ps))
    return perr (ps, "unexpected text after the scaling");
  return 0;
}

bs_config *
bs_config_parse (const char *text, char *err, size_t errlen)
{
  parser ps = { text, text, err, errlen };
  bs_config *cfg;
  int n = 0;

  if (!text)
    {
      fail (err, errlen, "no configuration text");
      return NULL;
    }
  if (!lit (&ps, "v"))
    {
      perr (&ps, "expected 'v1'");
      return NULL;
    }
  if (!lit (&ps, "1") || is_digit (*ps.p))
    {
      perr (&ps, "unsupported configuration version");
      return NULL;
    }

  /* count the layers first: one ';' each */
  for (const char *p = ps.p; *p; p++)
    if (*p == ';')
      n++;
  if (n == 0)
    {
      perr (&ps, "expected ';L0:' (a configuration has at least one layer)");
      return NULL;
    }
  if (n > BS_CONFIG_MAX_LAYERS)
    {
      perr (&ps, "too many layers");
      return NULL;
    }
  cfg = bs_config_new (n);
  if (!cfg)
    {
      fail (err, errlen, "out of memory");
      return NULL;
    }

  for (int i = 0; i < n; i++)
    {
      bs_layer_config *l = &cfg->layers[i];
      long long idx;

      memset (l, 0, sizeof *l);
      if (!lit (&ps, ";L"))
        {
          perr (&ps, "expected ';L<layer>'");
          goto bad;
        }
      if (!read_uint (&ps, INT_MAX, &idx) || idx != i)
        {
          perr (&ps, "layers must be numbered 0, 1, 2, … in order");
          goto bad;
        }
      if (!lit (&ps, ":w="))
        {
          perr (&ps, "expected ':w='");
          goto bad;
        }
      if (read_name (&ps, "w", l->weight) < 0)
        goto bad;
      if (!lit (&ps, ",a="))
        {
          perr (&ps, "expected ',a='");
          goto bad;
        }
      if (read_name (&ps, "a", l->input) < 0)
        goto bad;
      if (!lit (&ps, ",acc="))
        {
          perr (&ps, "expected ',acc='");
          goto bad;
        }
      if (read_acc (&ps, &l->acc) < 0)
        goto bad;
      if (!lit (&ps, ",s="))
        {
          perr (&ps, "expected ',s='");
          goto bad;
        }
      if (read_scaling (&ps, l) < 0)
        goto bad;
    }
  if (*ps.p != '\0')
    {
      perr (&ps, "unexpected text at the end");
      goto bad;
    }
  return cfg;

bad:
  bs_config_free (cfg);
  return NULL;
}
