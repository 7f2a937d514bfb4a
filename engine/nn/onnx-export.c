/* onnx-export.c — bs_graph → ModelProto.  The message tree is built in an
 * arena that borrows the graph's strings and data, packed, and dropped. */
#include "onnx-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
  struct chunk *next;
  max_align_t data[];
} chunk;

typedef struct {
  chunk *head;
  bool oom;
} arena;

static void *
arena_alloc (arena *a, size_t size)
{
  chunk *c;
  if (a->oom)
    return NULL;
  c = calloc (1, sizeof *c + size + sizeof (max_align_t));
  if (!c)
    {
      a->oom = true;
      return NULL;
    }
  c->next = a->head;
  a->head = c;
  return c->data;
}

static void
arena_free (arena *a)
{
  while (a->head)
    {
      chunk *n = a->head->next;
      free (a->head);
      a->head = n;
    }
}

static void *
arena_dup (arena *a, const void *src, size_t size)
{
  void *p = arena_alloc (a, size);
  if (p)
    memcpy (p, src, size);
  return p;
}

static Onnx__AttributeProto *
export_attr (arena *ar, const bs_attr *a)
{
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  Onnx__AttributeProto *p = arena_dup (ar, &init, sizeof init);
  if (!p)
    return NULL;
  p->name = a->name;
  p->has_type = 1;
  switch (a->type)
    {
    case BS_ATTR_FLOAT:
      p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      p->has_f = 1;
      p->f = a->f;
      break;
    case BS_ATTR_INT:
      p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      p->has_i = 1;
      p->i = a->i;
      break;
    case BS_ATTR_STRING:
      p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      p->has_s = 1;
      p->s.len = strlen (a->s);
      p->s.data = (uint8_t *) a->s;
      break;
    case BS_ATTR_FLOATS:
      p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      p->n_floats = (size_t) a->n;
      p->floats = a->floats;
      break;
    case BS_ATTR_INTS:
      p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      p->n_ints = (size_t) a->n;
      p->ints = a->ints;
      break;
    }
  return p;
}

static Onnx__NodeProto *
export_node (arena *ar, const bs_graph *g, const bs_node *n)
{
  Onnx__NodeProto init = ONNX__NODE_PROTO__INIT;
  Onnx__NodeProto *p = arena_dup (ar, &init, sizeof init);
  static char empty[] = "";
  int n_out = 0;

  if (!p)
    return NULL;
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i] >= 0)
      n_out = i + 1;
  p->name = n->name;
  p->op_type = (char *) bs_op_name (n->op);
  p->n_input = (size_t) n->n_inputs;
  p->input = arena_alloc (ar, ((size_t) n->n_inputs + 1) * sizeof (char *));
  p->n_output = (size_t) n_out;
  p->output = arena_alloc (ar, ((size_t) n_out + 1) * sizeof (char *));
  p->n_attribute = (size_t) n->n_attrs;
  p->attribute = arena_alloc (ar, ((size_t) n->n_attrs + 1) * sizeof (void *));
  if (!p->input || !p->output || !p->attribute)
    return NULL;
  for (int i = 0; i < n->n_inputs; i++)
    p->input[i] = n->inputs[i] >= 0 ? g->values[n->inputs[i]].name : empty;
  for (int i = 0; i < n_out; i++)
    p->output[i] = n->outputs[i] >= 0 ? g->values[n->outputs[i]].name : empty;
  for (int i = 0; i < n->n_attrs; i++)
    if (!(p->attribute[i] = export_attr (ar, &n->attrs[i])))
      return NULL;
  return p;
}

/* A tensor ValueInfo; shape NULL leaves the shape out. */
static Onnx__ValueInfoProto *
export_value_info (arena *ar, const char *name, bs_dtype dt, const bs_shape *shape)
{
  Onnx__ValueInfoProto vinit = ONNX__VALUE_INFO_PROTO__INIT;
  Onnx__TypeProto tinit = ONNX__TYPE_PROTO__INIT;
  Onnx__TypeProto__Tensor ttinit = ONNX__TYPE_PROTO__TENSOR__INIT;
  Onnx__ValueInfoProto *vi = arena_dup (ar, &vinit, sizeof vinit);
  Onnx__TypeProto *tp = arena_dup (ar, &tinit, sizeof tinit);
  Onnx__TypeProto__Tensor *tt = arena_dup (ar, &ttinit, sizeof ttinit);

  if (!vi || !tp || !tt)
    return NULL;
  vi->name = (char *) name;
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = dt == BS_DT_FLOAT ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                    : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  if (!shape)
    return vi;
  Onnx__TensorShapeProto sinit = ONNX__TENSOR_SHAPE_PROTO__INIT;
  Onnx__TensorShapeProto *sp = arena_dup (ar, &sinit, sizeof sinit);
  if (!sp)
    return NULL;
  tt->shape = sp;
  sp->n_dim = (size_t) shape->ndim;
  sp->dim = arena_alloc (ar, ((size_t) shape->ndim + 1) * sizeof (void *));
  if (!sp->dim)
    return NULL;
  for (int i = 0; i < shape->ndim; i++)
    {
      Onnx__TensorShapeProto__Dimension dinit = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
      Onnx__TensorShapeProto__Dimension *d = arena_dup (ar, &dinit, sizeof dinit);
      if (!d)
        return NULL;
      if (shape->dims[i] >= 0)
        {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          d->dim_value = shape->dims[i];
        }
      else
        {
          char buf[16];
          snprintf (buf, sizeof buf, i == 0 ? "N" : "d%d", i);
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          d->dim_param = arena_dup (ar, buf, strlen (buf) + 1);
          if (!d->dim_param)
            return NULL;
        }
      sp->dim[i] = d;
    }
  return vi;
}

int
bs_onnx_save_buffer (const bs_graph *g, uint8_t **data, size_t *len, char *err, size_t errlen)
{
  Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto gp = ONNX__GRAPH_PROTO__INIT;
  Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  Onnx__OperatorSetIdProto *osp = &os;
  arena ar = { 0 };
  void **swapped = NULL;
  int n_init = 0, rc = -1;
  static char empty[] = "", producer[] = "bitscape";

  *data = NULL;
  *len = 0;
  if (!g->finalized)
    return _bs_nn_fail (err, errlen, "graph is not finalized");
  m.has_ir_version = 1;
  m.ir_version = g->ir_version >= 4 ? g->ir_version : 8;
  m.producer_name = producer;
  m.n_opset_import = 1;
  m.opset_import = &osp;
  os.domain = empty;
  os.has_version = 1;
  os.version = g->opset;
  m.graph = &gp;
  gp.name = g->name && *g->name ? g->name : producer;

  if (g->n_meta > 0)
    {
      m.n_metadata_props = (size_t) g->n_meta;
      m.metadata_props = arena_alloc (&ar, (size_t) g->n_meta * sizeof (void *));
      if (!m.metadata_props)
        goto oom;
      for (int i = 0; i < g->n_meta; i++)
        {
          Onnx__StringStringEntryProto e = ONNX__STRING_STRING_ENTRY_PROTO__INIT, *ep;
          if (!(ep = arena_dup (&ar, &e, sizeof e)))
            goto oom;
          ep->key = g->meta_keys[i];
          ep->value = g->meta_values[i];
          m.metadata_props[i] = ep;
        }
    }

  for (int i = 0; i < g->n_values; i++)
    n_init += g->values[i].kind == BS_VALUE_INITIALIZER;
  gp.n_node = (size_t) g->n_nodes;
  gp.node = arena_alloc (&ar, ((size_t) g->n_nodes + 1) * sizeof (void *));
  gp.n_initializer = (size_t) n_init;
  gp.initializer = arena_alloc (&ar, ((size_t) n_init + 1) * sizeof (void *));
  gp.n_input = (size_t) g->n_inputs;
  gp.input = arena_alloc (&ar, ((size_t) g->n_inputs + 1) * sizeof (void *));
  gp.n_output = (size_t) g->n_outputs;
  gp.output = arena_alloc (&ar, ((size_t) g->n_outputs + 1) * sizeof (void *));
  swapped = calloc ((size_t) n_init + 1, sizeof (void *));
  if (!gp.node || !gp.initializer || !gp.input || !gp.output || !swapped)
    goto oom;

  for (int j = 0; j < g->n_nodes; j++)
    if (!(gp.node[j] = export_node (&ar, g, &g->nodes[j])))
      goto oom;
  for (int i = 0, k = 0; i < g->n_values; i++)
    {
      Onnx__TensorProto init = ONNX__TENSOR_PROTO__INIT, *tp;
      if (g->values[i].kind != BS_VALUE_INITIALIZER)
        continue;
      if (!(tp = arena_dup (&ar, &init, sizeof init)))
        goto oom;
      if (_bs_tensor_to_proto (&g->values[i].data, g->values[i].name, tp, &swapped[k], err,
                               errlen) < 0)
        goto out;
      gp.initializer[k++] = tp;
    }
  for (int i = 0; i < g->n_inputs; i++)
    {
      const bs_value *v = &g->values[g->inputs[i]];
      if (!(gp.input[i] = export_value_info (&ar, v->name, v->dtype, &v->shape)))
        goto oom;
    }
  for (int i = 0; i < g->n_outputs; i++)
    {
      const bs_value *v = &g->values[g->outputs[i]];
      if (!(gp.output[i] = export_value_info (&ar, v->name, v->dtype, NULL)))
        goto oom;
    }

  *len = onnx__model_proto__get_packed_size (&m);
  *data = malloc (*len ? *len : 1);
  if (!*data)
    goto oom;
  onnx__model_proto__pack (&m, *data);
  rc = 0;
  goto out;

oom:
  _bs_nn_fail (err, errlen, "out of memory");
out:
  if (swapped)
    for (int k = 0; k < n_init; k++)
      free (swapped[k]);
  free (swapped);
  arena_free (&ar);
  if (rc < 0)
    *len = 0;
  return rc;
}

int
bs_onnx_save (const bs_graph *g, const char *path, char *err, size_t errlen)
{
  uint8_t *buf;
  size_t len;
  char msg[256];
  int rc;

  if (bs_onnx_save_buffer (g, &buf, &len, msg, sizeof msg) < 0)
    return _bs_nn_fail (err, errlen, "%s: %s", path, msg);
  rc = _bs_write_file (path, buf, len, err, errlen);
  free (buf);
  return rc;
}
