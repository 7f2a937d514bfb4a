/* graph-attrs.c — node attributes: lookup, typed readers, copies. */
#include "nn-private.h"

#include <stdlib.h>
#include <string.h>

const bs_attr *
bs_node_attr (const bs_node *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int
_bs_attr_get_int (const bs_node *n, const char *name, int64_t def, int64_t *v, char *err,
                  size_t errlen)
{
  const bs_attr *a = bs_node_attr (n, name);
  *v = def;
  if (!a)
    return 0;
  if (a->type != BS_ATTR_INT)
    return _bs_nn_fail (err, errlen, "attribute '%s' must be an int", name);
  *v = a->i;
  return 0;
}

int
_bs_attr_get_float (const bs_node *n, const char *name, float def, float *v, char *err,
                    size_t errlen)
{
  const bs_attr *a = bs_node_attr (n, name);
  *v = def;
  if (!a)
    return 0;
  if (a->type != BS_ATTR_FLOAT)
    return _bs_nn_fail (err, errlen, "attribute '%s' must be a float", name);
  *v = a->f;
  return 0;
}

int
_bs_attr_get_ints (const bs_node *n, const char *name, int *count, const int64_t **v,
                   char *err, size_t errlen)
{
  const bs_attr *a = bs_node_attr (n, name);
  *count = -1;
  *v = NULL;
  if (!a)
    return 0;
  if (a->type != BS_ATTR_INTS)
    return _bs_nn_fail (err, errlen, "attribute '%s' must be a list of ints", name);
  *count = a->n;
  *v = a->ints;
  return 0;
}

int
_bs_attr_get_string (const bs_node *n, const char *name, const char *def, const char **v,
                     char *err, size_t errlen)
{
  const bs_attr *a = bs_node_attr (n, name);
  *v = def;
  if (!a)
    return 0;
  if (a->type != BS_ATTR_STRING)
    return _bs_nn_fail (err, errlen, "attribute '%s' must be a string", name);
  *v = a->s;
  return 0;
}

int
_bs_attr_only (const bs_node *n, const char *const *names, char *err, size_t errlen)
{
  for (int i = 0; i < n->n_attrs; i++)
    {
      bool known = false;
      for (int j = 0; names[j]; j++)
        known = known || strcmp (names[j], n->attrs[i].name) == 0;
      if (!known)
        return _bs_nn_fail (err, errlen, "attribute '%s' is not supported", n->attrs[i].name);
    }
  return 0;
}

int
_bs_axis (int64_t axis, int r, bool inclusive, int64_t *out, char *err, size_t errlen)
{
  int64_t hi = inclusive ? r : r - 1;
  if (axis < -r || axis > hi)
    return _bs_nn_fail (err, errlen, "axis %lld is out of range for rank %d", (long long) axis, r);
  *out = axis < 0 ? axis + r : axis;
  return 0;
}

void
_bs_attr_clear (bs_attr *a)
{
  free (a->name);
  free (a->s);
  free (a->floats);
  free (a->ints);
  memset (a, 0, sizeof *a);
}

int
_bs_attr_copy (bs_attr *dst, const bs_attr *src)
{
  memset (dst, 0, sizeof *dst);
  *dst = *src;
  dst->name = strdup (src->name ? src->name : "");
  dst->s = src->s ? strdup (src->s) : NULL;
  dst->floats = NULL;
  dst->ints = NULL;
  if (src->type == BS_ATTR_FLOATS && src->n > 0)
    {
      dst->floats = malloc ((size_t) src->n * sizeof (float));
      if (dst->floats)
        memcpy (dst->floats, src->floats, (size_t) src->n * sizeof (float));
    }
  if (src->type == BS_ATTR_INTS && src->n > 0)
    {
      dst->ints = malloc ((size_t) src->n * sizeof (int64_t));
      if (dst->ints)
        memcpy (dst->ints, src->ints, (size_t) src->n * sizeof (int64_t));
    }
  if (!dst->name || (src->s && !dst->s)
      || (src->type == BS_ATTR_FLOATS && src->n > 0 && !dst->floats)
      || (src->type == BS_ATTR_INTS && src->n > 0 && !dst->ints))
    {
      _bs_attr_clear (dst);
      return -1;
    }
  if (src->type != BS_ATTR_FLOATS && src->type != BS_ATTR_INTS)
    dst->n = 0;
  return 0;
}

int
_bs_node_set_float_attr (bs_node *n, const char *name, float f)
{
  bs_attr *a = (bs_attr *) bs_node_attr (n, name), *na;
  if (a)
    {
      if (a->type != BS_ATTR_FLOAT)
        return -1;
      a->f = f;
      return 0;
    }
  na = realloc (n->attrs, ((size_t) n->n_attrs + 1) * sizeof *na);
  if (!na)
    return -1;
  n->attrs = na;
  a = &na[n->n_attrs];
  memset (a, 0, sizeof *a);
  a->name = strdup (name);
  if (!a->name)
    return -1;
  a->type = BS_ATTR_FLOAT;
  a->f = f;
  n->n_attrs++;
  return 0;
}
