/* onnx-import.c — ModelProto → bs_graph. */
#include "onnx-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
default_domain (const char *d)
{
  return !d || !*d || strcmp (d, "ai.onnx") == 0;
}

/* The default-domain opset, or -1 with a reason. */
static int
model_opset (const Onnx__ModelProto *m, char *err, size_t errlen)
{
  for (size_t i = 0; i < m->n_opset_import; i++)
    {
      const Onnx__OperatorSetIdProto *o = m->opset_import[i];
      if (!default_domain (o->domain))
        continue;
      if (!o->has_version || o->version < 1)
        return _bs_nn_fail (err, errlen, "opset_import has no version");
      if (o->version > BS_ONNX_MAX_OPSET)
        return _bs_nn_fail (err, errlen, "opset %lld is newer than the supported %d",
                            (long long) o->version, BS_ONNX_MAX_OPSET);
      return (int) o->version;
    }
  return _bs_nn_fail (err, errlen, "no opset_import for the default ONNX domain");
}

/* An attribute of a non-Constant node; older files may lack `type`. */
static int
convert_attr (const Onnx__AttributeProto *ap, bs_attr *a, char *err, size_t errlen)
{
  int type = ap->has_type ? (int) ap->type : 0;

  memset (a, 0, sizeof *a);
  a->name = ap->name;
  if (!a->name || !*a->name)
    return _bs_nn_fail (err, errlen, "attribute without a name");
  if (!type)
    type = ap->n_ints ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
           : ap->n_floats ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
           : ap->has_s ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
           : ap->has_f ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
           : ap->has_i ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT : 0;
  switch (type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      a->type = BS_ATTR_FLOAT;
      a->f = ap->f;
      return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      a->type = BS_ATTR_INT;
      a->i = ap->i;
      return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      {
        char *s = malloc (ap->s.len + 1);
        if (!s)
          return _bs_nn_fail (err, errlen, "out of memory");
        if (ap->s.len)
          memcpy (s, ap->s.data, ap->s.len);
        s[ap->s.len] = 0;
        if (strlen (s) != ap->s.len)
          {
            free (s);
            return _bs_nn_fail (err, errlen, "attribute '%s' holds a NUL byte", ap->name);
          }
        a->type = BS_ATTR_STRING;
        a->s = s;   /* freed by the caller */
        return 0;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      if (ap->n_floats > INT32_MAX)
        return _bs_nn_fail (err, errlen, "attribute '%s' is too long", ap->name);
      a->type = BS_ATTR_FLOATS;
      a->n = (int) ap->n_floats;
      a->floats = ap->floats;
      return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      if (ap->n_ints > INT32_MAX)
        return _bs_nn_fail (err, errlen, "attribute '%s' is too long", ap->name);
      a->type = BS_ATTR_INTS;
      a->n = (int) ap->n_ints;
      a->ints = ap->ints;
      return 0;
    default:
      return _bs_nn_fail (err, errlen, "attribute '%s' has an unsupported type (%d)", ap->name,
                          type);
    }
}

/* A Constant node becomes an initializer named after its output. */
static int
import_constant (bs_graph *g, const Onnx__NodeProto *np, char *err, size_t errlen)
{
  const char *label = np->name && *np->name ? np->name : "(unnamed)";
  const Onnx__AttributeProto *ap;
  bs_tensor t = { 0 };
  char msg[200];

  if (np->n_output != 1 || !np->output[0] || !*np->output[0] || np->n_input != 0
      || np->n_attribute != 1)
    return _bs_nn_fail (err, errlen, "node '%s' (Constant): needs one output and one attribute",
                        label);
  ap = np->attribute[0];
  if (!ap->name)
    return _bs_nn_fail (err, errlen, "node '%s' (Constant): attribute without a name", label);
  if (strcmp (ap->name, "value") == 0 && ap->t)
    {
      if (_bs_tensor_from_proto (ap->t, &t, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (Constant): %s", label, msg);
    }
  else if (strcmp (ap->name, "value_float") == 0 || strcmp (ap->name, "value_int") == 0)
    {
      bool is_f = ap->name[6] == 'f';
      bs_shape s = { 0 };
      if (bs_tensor_init (&t, is_f ? BS_DT_FLOAT : BS_DT_INT64, &s, err, errlen) < 0)
        return -1;
      if (is_f)
        bs_tensor_f32 (&t)[0] = ap->f;
      else
        bs_tensor_i64 (&t)[0] = ap->i;
    }
  else if (strcmp (ap->name, "value_floats") == 0 || strcmp (ap->name, "value_ints") == 0)
    {
      bool is_f = ap->name[6] == 'f';
      size_t cnt = is_f ? ap->n_floats : ap->n_ints;
      bs_shape s = { .ndim = 1, .dims = { (int64_t) cnt } };
      if (bs_tensor_init (&t, is_f ? BS_DT_FLOAT : BS_DT_INT64, &s, err, errlen) < 0)
        return -1;
      if (cnt)
        memcpy (t.data, is_f ? (void *) ap->floats : (void *) ap->ints,
                cnt * bs_dtype_size (t.dtype));
    }
  else
    return _bs_nn_fail (err, errlen, "node '%s' (Constant): attribute '%s' is not supported",
                        label, ap->name);
  if (bs_graph_add_initializer (g, np->output[0], &t, err, errlen) < 0)
    {
      bs_tensor_clear (&t);
      return -1;
    }
  return 0;
}

static int
import_node (bs_graph *g, const Onnx__NodeProto *np, char *err, size_t errlen)
{
  const char *label = np->name && *np->name ? np->name : "(unnamed)";
  bs_attr *attrs;
  char msg[200];
  int rc = -1;
  size_t k = 0;

  if (!np->op_type)
    return _bs_nn_fail (err, errlen, "node '%s' has no op_type", label);
  if (!default_domain (np->domain))
    return _bs_nn_fail (err, errlen, "node '%s': unsupported op '%s' of domain '%s'", label,
                        np->op_type, np->domain);
  if (strcmp (np->op_type, "Constant") == 0)
    return import_constant (g, np, err, errlen);
  if (np->n_input > BS_NODE_MAX_IO || np->n_output > BS_NODE_MAX_IO)
    return _bs_nn_fail (err, errlen, "node '%s' (%s): too many inputs or outputs", label,
                        np->op_type);
  attrs = calloc (np->n_attribute + 1, sizeof *attrs);
  if (!attrs)
    return _bs_nn_fail (err, errlen, "out of memory");
  for (; k < np->n_attribute; k++)
    if (convert_attr (np->attribute[k], &attrs[k], msg, sizeof msg) < 0)
      {
        _bs_nn_fail (err, errlen, "node '%s' (%s): %s", label, np->op_type, msg);
        goto out;
      }
  rc = bs_graph_add_node (g, np->op_type, np->name, (int) np->n_input,
                          (const char *const *) np->input, (int) np->n_output,
                          (const char *const *) np->output, (int) np->n_attribute, attrs, err,
                          errlen) < 0 ? -1 : 0;
out:
  for (size_t i = 0; i < k; i++)
    free (attrs[i].s);
  free (attrs);
  return rc;
}

static bool
is_initializer_name (const Onnx__GraphProto *gp, const char *name)
{
  for (size_t i = 0; i < gp->n_initializer; i++)
    if (gp->initializer[i]->name && strcmp (gp->initializer[i]->name, name) == 0)
      return true;
  return false;
}

static int
import_input (bs_graph *g, const Onnx__ValueInfoProto *vi, char *err, size_t errlen)
{
  const Onnx__TypeProto__Tensor *tt;
  bs_shape s = { 0 };
  bs_dtype dt;

  if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
      || !vi->type->tensor_type)
    return _bs_nn_fail (err, errlen, "input '%s' is not a tensor", vi->name);
  tt = vi->type->tensor_type;
  if (tt->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    dt = BS_DT_FLOAT;
  else if (tt->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    dt = BS_DT_INT64;
  else
    return _bs_nn_fail (err, errlen, "input '%s': element type %d is not supported", vi->name,
                        (int) tt->elem_type);
  if (!tt->shape)
    return _bs_nn_fail (err, errlen, "input '%s' has no shape", vi->name);
  if (tt->shape->n_dim > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "input '%s': rank %zu exceeds %d", vi->name,
                        tt->shape->n_dim, BS_MAX_DIMS);
  s.ndim = (int) tt->shape->n_dim;
  for (int i = 0; i < s.ndim; i++)
    {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
        {
          if (d->dim_value < 0)
            return _bs_nn_fail (err, errlen, "input '%s': dim %d is %lld", vi->name, i,
                                (long long) d->dim_value);
          s.dims[i] = d->dim_value;
        }
      else
        s.dims[i] = -1;
    }
  return bs_graph_add_input (g, vi->name, dt, &s, err, errlen) < 0 ? -1 : 0;
}

static int
import_graph (bs_graph *g, const Onnx__GraphProto *gp, char *err, size_t errlen)
{
  char msg[200];

  for (size_t i = 0; i < gp->n_initializer; i++)
    {
      const Onnx__TensorProto *tp = gp->initializer[i];
      bs_tensor t;
      if (!tp->name || !*tp->name)
        return _bs_nn_fail (err, errlen, "initializer %zu has no name", i);
      if (_bs_tensor_from_proto (tp, &t, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "initializer '%s': %s", tp->name, msg);
      if (bs_graph_add_initializer (g, tp->name, &t, err, errlen) < 0)
        {
          bs_tensor_clear (&t);
          return -1;
        }
    }
  if (gp->n_sparse_initializer)
    return _bs_nn_fail (err, errlen, "sparse initializers are not supported");
  for (size_t i = 0; i < gp->n_input; i++)
    {
      const Onnx__ValueInfoProto *vi = gp->input[i];
      if (!vi->name || !*vi->name)
        return _bs_nn_fail (err, errlen, "graph input %zu has no name", i);
      /* before IR 4 initializers were listed as inputs too */
      if (is_initializer_name (gp, vi->name))
        continue;
      if (import_input (g, vi, err, errlen) < 0)
        return -1;
    }
  for (size_t i = 0; i < gp->n_node; i++)
    if (import_node (g, gp->node[i], err, errlen) < 0)
      return -1;
  for (size_t i = 0; i < gp->n_output; i++)
    {
      const char *name = gp->output[i]->name;
      if (!name || !*name)
        return _bs_nn_fail (err, errlen, "graph output %zu has no name", i);
      if (bs_graph_add_output (g, name, err, errlen) < 0)
        return -1;
    }
  if (gp->n_output == 0)
    return _bs_nn_fail (err, errlen, "the graph has no outputs");
  return 0;
}

/* Messages quote names from the file: keep them on one printable line. */
static void
one_line (char *err, size_t errlen)
{
  if (!err || !errlen)
    return;
  for (char *p = err; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
}

int
bs_onnx_load_buffer (const void *data, size_t len, const char *label, bs_graph **out, char *err,
                     size_t errlen)
{
  Onnx__ModelProto *m;
  bs_graph *g = NULL;
  char msg[400];
  int opset, r;

  *out = NULL;
  m = onnx__model_proto__unpack (NULL, len, data);
  if (!m)
    return _bs_nn_fail (err, errlen, "%s: not an ONNX model (protobuf parse failed, %zu bytes)",
                        label, len);
  if (!m->graph)
    {
      _bs_nn_fail (err, errlen, "%s: the model has no graph", label);
      goto fail;
    }
  if ((opset = model_opset (m, msg, sizeof msg)) < 0)
    {
      _bs_nn_fail (err, errlen, "%s: %s", label, msg);
      goto fail;
    }
  g = bs_graph_new (opset);
  if (!g)
    {
      _bs_nn_fail (err, errlen, "%s: out of memory", label);
      goto fail;
    }
  g->ir_version = m->has_ir_version ? m->ir_version : 0;
  g->name = strdup (m->graph->name ? m->graph->name : "");
  g->producer = strdup (m->producer_name ? m->producer_name : "");
  if (!g->name || !g->producer)
    {
      _bs_nn_fail (err, errlen, "%s: out of memory", label);
      goto fail;
    }
  for (size_t i = 0; i < m->n_metadata_props; i++)
    {
      const Onnx__StringStringEntryProto *e = m->metadata_props[i];
      if (e && e->key && bs_graph_set_metadata (g, e->key, e->value ? e->value : "") < 0)
        {
          _bs_nn_fail (err, errlen, "%s: out of memory", label);
          goto fail;
        }
    }
  if (import_graph (g, m->graph, msg, sizeof msg) < 0
      || bs_graph_finalize (g, msg, sizeof msg) < 0)
    {
      _bs_nn_fail (err, errlen, "%s: %s", label, msg);
      goto fail;
    }
  /* check the shapes now, for the declared inputs; a shape fed at run time
   * (a Reshape shape input) waits until then */
  {
    bs_shape *shapes = calloc ((size_t) g->n_values + 1, sizeof *shapes);
    if (!shapes)
      {
        _bs_nn_fail (err, errlen, "%s: out of memory", label);
        goto fail;
      }
    r = _bs_graph_infer (g, NULL, shapes, msg, sizeof msg);
    free (shapes);
    if (r == -1)
      {
        _bs_nn_fail (err, errlen, "%s: %s", label, msg);
        goto fail;
      }
  }
  onnx__model_proto__free_unpacked (m, NULL);
  *out = g;
  return 0;

fail:
  one_line (err, errlen);
  bs_graph_free (g);
  onnx__model_proto__free_unpacked (m, NULL);
  return -1;
}

int
bs_onnx_load (const char *path, bs_graph **g, char *err, size_t errlen)
{
  uint8_t *buf;
  size_t len;
  int rc;

  *g = NULL;
  if (_bs_read_file (path, &buf, &len, err, errlen) < 0)
    return -1;
  rc = bs_onnx_load_buffer (buf, len, path, g, err, errlen);
  free (buf);
  return rc;
}
