/* xml.c — configuration documents: build, validate, write, read.
 *
 * The schema is compiled into the program (GResource), so a document can
 * always be checked; it is parsed once per process (g_once) and shared, each
 * validation using its own context, as libxml2 allows across threads. */
#include "config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <math.h>
#include <string.h>

#include "bitscape-app-resources.h"
#include "bs-xml.h"

G_DEFINE_QUARK (bs-xml-error-quark, bs_xml_error)

#define SCHEMA_RESOURCE "/org/bitscape/schemas/bitscape-config.xsd"

static xmlSchemaPtr
load_schema (void)
{
  static gsize once = 0;
  static xmlSchemaPtr schema = NULL;

  if (g_once_init_enter (&once))
    {
      /* through the resource object itself: a static library's constructor
       * alone may be dropped by the linker */
      g_autoptr (GBytes) bytes = g_resource_lookup_data (bitscape_app_get_resource (),
                                                         SCHEMA_RESOURCE, 0, NULL);
      xmlSchemaParserCtxtPtr pctx;
      gsize len = 0;
      const char *data;

      g_assert (bytes != NULL);   /* compiled in: absence is a build error */
      data = g_bytes_get_data (bytes, &len);
      pctx = xmlSchemaNewMemParserCtxt (data, (int) len);
      schema = xmlSchemaParse (pctx);
      xmlSchemaFreeParserCtxt (pctx);
      g_assert (schema != NULL);
      g_once_init_leave (&once, 1);
    }
  return schema;
}

/* The first validation error, as "LINE: message". */
typedef struct {
  int line;
  char *message;
} FirstError;

static void
record_error (void *data, xmlErrorPtr e)
{
  FirstError *fe = data;

  if (fe->message || !e)
    return;
  fe->line = e->line;
  fe->message = g_strstrip (g_strdup (e->message ? e->message : "invalid"));
  g_strdelimit (fe->message, "\r\n", ' ');
}

static gboolean
validate (xmlDocPtr doc, const char *what, GError **error)
{
  xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt (load_schema ());
  FirstError fe = { 0, NULL };
  int rc;

  xmlSchemaSetValidStructuredErrors (vctx, record_error, &fe);
  rc = xmlSchemaValidateDoc (vctx, doc);
  xmlSchemaFreeValidCtxt (vctx);
  if (rc != 0)
    {
      g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_INVALID, "%s:%d: %s", what, fe.line,
                   fe.message ? fe.message : "does not match the Bitscape configuration schema");
      g_free (fe.message);
      return FALSE;
    }
  g_free (fe.message);
  return TRUE;
}

static void
layer_free (BsXmlLayer *l)
{
  g_free (l->name);
  g_free (l->weight_format);
  g_free (l->input_format);
  g_free (l->acc);
  g_free (l->scaling);
  g_free (l);
}

BsXmlConfig *
bs_xml_config_new (void)
{
  BsXmlConfig *c = g_new0 (BsXmlConfig, 1);

  c->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_free);
  c->metrics = (BsStoreMetrics) {
    NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 0, NULL,
  };
  return c;
}

void
bs_xml_config_free (BsXmlConfig *c)
{
  if (!c)
    return;
  g_ptr_array_unref (c->layers);
  g_free (c->canonical);
  g_free (c->model_name);
  g_free (c->model_sha256);
  g_free (c->dataset_name);
  g_free (c->dataset_sha256);
  g_free (c->target_name);
  g_free (c->target_sha256);
  g_free ((char *) c->metrics.path);
  g_free (c);
}

BsXmlLayer *
bs_xml_config_add_layer (BsXmlConfig *c, const char *name, const char *weight_format,
                         const char *input_format, const char *acc, const char *scaling)
{
  BsXmlLayer *l = g_new0 (BsXmlLayer, 1);

  l->name = g_strdup (name);
  l->weight_format = g_strdup (weight_format);
  l->input_format = g_strdup (input_format);
  l->acc = g_strdup (acc);
  l->scaling = g_strdup (scaling);
  l->weight_scale = NAN;
  l->input_scale = NAN;
  g_ptr_array_add (c->layers, l);
  return l;
}

/* Writing ----------------------------------------------------------------- */

static void
set_double (xmlNodePtr node, const char *attr, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return;                       /* absent = not measured */
  if (isinf (v))
    xmlSetProp (node, BAD_CAST attr, BAD_CAST (v > 0 ? "INF" : "-INF"));
  else
    xmlSetProp (node, BAD_CAST attr, BAD_CAST g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

static void
set_int (xmlNodePtr node, const char *attr, gint64 v)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  xmlSetProp (node, BAD_CAST attr, BAD_CAST buf);
}

static void
set_str (xmlNodePtr node, const char *attr, const char *v)
{
  if (v)
    xmlSetProp (node, BAD_CAST attr, BAD_CAST v);
}

static xmlDocPtr
build (GPtrArray *configs)
{
  xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr root = xmlNewNode (NULL, BAD_CAST "configurations");
  xmlNsPtr ns = xmlNewNs (root, BAD_CAST BS_XML_NAMESPACE, NULL);

  xmlSetNs (root, ns);
  xmlDocSetRootElement (doc, root);
  set_int (root, "version", BS_XML_VERSION);
  set_str (root, "generator", "Bitscape " PACKAGE_VERSION);

  for (guint i = 0; i < configs->len; i++)
    {
      const BsXmlConfig *c = configs->pdata[i];
      xmlNodePtr cn = xmlNewChild (root, ns, BAD_CAST "configuration", NULL);
      xmlNodePtr n, layers;

      if (c->result_id > 0)
        set_int (cn, "result", c->result_id);
      set_str (cn, "canonical", c->canonical);

      n = xmlNewChild (cn, ns, BAD_CAST "model", NULL);
      set_str (n, "name", c->model_name);
      set_str (n, "sha256", c->model_sha256);
      if (c->dataset_name)
        {
          n = xmlNewChild (cn, ns, BAD_CAST "dataset", NULL);
          set_str (n, "name", c->dataset_name);
          set_str (n, "sha256", c->dataset_sha256);
          if (c->dataset_images > 0)
            set_int (n, "images", c->dataset_images);
        }
      if (c->target_name)
        {
          n = xmlNewChild (cn, ns, BAD_CAST "target", NULL);
          set_str (n, "name", c->target_name);
          set_str (n, "sha256", c->target_sha256);
        }
      layers = xmlNewChild (cn, ns, BAD_CAST "layers", NULL);
      for (guint k = 0; k < c->layers->len; k++)
        {
          const BsXmlLayer *l = c->layers->pdata[k];
          n = xmlNewChild (layers, ns, BAD_CAST "layer", NULL);
          set_int (n, "index", k);
          set_str (n, "name", l->name);
          set_str (n, "weight-format", l->weight_format);
          set_str (n, "input-format", l->input_format);
          set_str (n, "accumulator", l->acc);
          set_str (n, "scaling", l->scaling);
          set_double (n, "weight-scale", l->weight_scale);
          set_double (n, "input-scale", l->input_scale);
        }
      if (c->has_metrics)
        {
          const BsStoreMetrics *m = &c->metrics;
          n = xmlNewChild (cn, ns, BAD_CAST "metrics", NULL);
          set_double (n, "top1", m->top1);
          set_double (n, "top5", m->top5);
          set_double (n, "energy-pj", m->energy_pj);
          set_double (n, "compute-pj", m->compute_pj);
          set_double (n, "memory-pj", m->memory_pj);
          set_double (n, "area-um2", m->area_um2);
          set_double (n, "mean-weight-bits", m->mean_weight_bits);
          set_double (n, "mean-input-bits", m->mean_input_bits);
          if (m->images > 0)
            set_int (n, "images", m->images);
          set_str (n, "path", m->path);
        }
    }
  return doc;
}

char *
bs_xml_to_string (GPtrArray *configs, GError **error)
{
  xmlDocPtr doc = build (configs);
  xmlChar *mem = NULL;
  int len = 0;
  char *out = NULL;

  if (validate (doc, "(document being written)", error))
    {
      xmlDocDumpFormatMemoryEnc (doc, &mem, &len, "UTF-8", 1);
      out = g_strndup ((const char *) mem, (gsize) len);
      xmlFree (mem);
    }
  xmlFreeDoc (doc);
  return out;
}

gboolean
bs_xml_write (const char *path, GPtrArray *configs, GError **error)
{
  g_autofree char *text = bs_xml_to_string (configs, error);
  g_autoptr (GError) local = NULL;

  if (!text)
    return FALSE;
  /* atomic: a new file renamed over the old one */
  if (!g_file_set_contents (path, text, -1, &local))
    {
      g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_IO, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

/* Reading ----------------------------------------------------------------- */

static char *
get_str (xmlNodePtr n, const char *attr)
{
  xmlChar *v = xmlGetProp (n, BAD_CAST attr);
  char *s = v ? g_strdup ((const char *) v) : NULL;
  xmlFree (v);
  return s;
}

static double
get_double (xmlNodePtr n, const char *attr)
{
  g_autofree char *s = get_str (n, attr);

  if (!s)
    return NAN;
  if (strcmp (s, "INF") == 0)
    return INFINITY;
  if (strcmp (s, "-INF") == 0)
    return -INFINITY;
  return g_ascii_strtod (s, NULL);   /* the schema checked it is an xs:double */
}

static gint64
get_int (xmlNodePtr n, const char *attr)
{
  g_autofree char *s = get_str (n, attr);
  return s ? g_ascii_strtoll (s, NULL, 10) : 0;
}

static gboolean
is (xmlNodePtr n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

static BsXmlConfig *
read_config (xmlNodePtr cn)
{
  BsXmlConfig *c = bs_xml_config_new ();

  c->result_id = get_int (cn, "result");
  c->canonical = get_str (cn, "canonical");
  for (xmlNodePtr n = cn->children; n; n = n->next)
    if (is (n, "model"))
      {
        c->model_name = get_str (n, "name");
        c->model_sha256 = get_str (n, "sha256");
      }
    else if (is (n, "dataset"))
      {
        c->dataset_name = get_str (n, "name");
        c->dataset_sha256 = get_str (n, "sha256");
        c->dataset_images = get_int (n, "images");
      }
    else if (is (n, "target"))
      {
        c->target_name = get_str (n, "name");
        c->target_sha256 = get_str (n, "sha256");
      }
    else if (is (n, "layers"))
      {
        for (xmlNodePtr l = n->children; l; l = l->next)
          if (is (l, "layer"))
            {
              BsXmlLayer *x = g_new0 (BsXmlLayer, 1);
              x->name = get_str (l, "name");
              x->weight_format = get_str (l, "weight-format");
              x->input_format = get_str (l, "input-format");
              x->acc = get_str (l, "accumulator");
              x->scaling = get_str (l, "scaling");
              x->weight_scale = get_double (l, "weight-scale");
              x->input_scale = get_double (l, "input-scale");
              g_ptr_array_add (c->layers, x);
            }
      }
    else if (is (n, "metrics"))
      {
        BsStoreMetrics *m = &c->metrics;
        c->has_metrics = TRUE;
        m->top1 = get_double (n, "top1");
        m->top5 = get_double (n, "top5");
        m->energy_pj = get_double (n, "energy-pj");
        m->compute_pj = get_double (n, "compute-pj");
        m->memory_pj = get_double (n, "memory-pj");
        m->area_um2 = get_double (n, "area-um2");
        m->mean_weight_bits = get_double (n, "mean-weight-bits");
        m->mean_input_bits = get_double (n, "mean-input-bits");
        m->images = get_int (n, "images");
        m->path = get_str (n, "path");
      }
  return c;
}

/* Layer indices must be 0 … n-1 in order: the schema makes them unique; the
 * order is checked here. */
static gboolean
check_layer_order (xmlDocPtr doc, const char *path, GError **error)
{
  for (xmlNodePtr cn = xmlDocGetRootElement (doc)->children; cn; cn = cn->next)
    for (xmlNodePtr n = is (cn, "configuration") ? cn->children : NULL; n; n = n->next)
      if (is (n, "layers"))
        {
          gint64 expect = 0;
          for (xmlNodePtr l = n->children; l; l = l->next)
            if (is (l, "layer") && get_int (l, "index") != expect++)
              {
                g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_INVALID,
                             "%s:%ld: layer index %" G_GINT64_FORMAT " where %" G_GINT64_FORMAT
                             " was expected", path, xmlGetLineNo (l), get_int (l, "index"),
                             expect - 1);
                return FALSE;
              }
        }
  return TRUE;
}

GPtrArray *
bs_xml_read (const char *path, GError **error)
{
  xmlParserCtxtPtr ctxt;
  xmlDocPtr doc;
  g_autoptr (GPtrArray) out = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  /* read it ourselves: the message then names the file, and libxml2 prints
   * nothing of its own */
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_IO, "%s", local->message);
      return NULL;
    }
  if (len > G_MAXINT)
    {
      g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_IO, "%s: too large", path);
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  doc = xmlCtxtReadMemory (ctxt, text, (int) len, path, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
  if (!doc)
    {
      xmlErrorPtr e = xmlCtxtGetLastError (ctxt);
      g_autofree char *msg = g_strstrip (g_strdup (e && e->message ? e->message
                                                                  : "cannot be read"));
      g_strdelimit (msg, "\r\n", ' ');
      g_set_error (error, BS_XML_ERROR, BS_XML_ERROR_PARSE, "%s:%d: %s", path,
                   e ? e->line : 0, msg);
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);

  if (!validate (doc, path, error) || !check_layer_order (doc, path, error))
    {
      xmlFreeDoc (doc);
      return NULL;
    }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
  for (xmlNodePtr cn = xmlDocGetRootElement (doc)->children; cn; cn = cn->next)
    if (is (cn, "configuration"))
      g_ptr_array_add (out, read_config (cn));
  xmlFreeDoc (doc);
  return g_steal_pointer (&out);
}

BsXmlConfig *
bs_xml_config_from_result (BsStore *store, const BsStoreResult *r, GError **error)
{
  g_autoptr (BsStoreOrigin) o = bs_store_get_origin (store, r->id, error);
  g_autoptr (GPtrArray) layers = NULL;
  BsXmlConfig *x;

  if (!o || !(layers = bs_store_get_layers (store, r->config_id, error)))
    return NULL;
  x = bs_xml_config_new ();
  x->result_id = r->id;
  x->canonical = g_strdup (r->canonical);
  x->model_name = g_strdup (o->model_name);
  x->model_sha256 = g_strdup (o->model_sha256);
  x->dataset_name = g_strdup (o->dataset_name);
  x->dataset_sha256 = g_strdup (o->dataset_sha256);
  x->dataset_images = r->m.images;
  x->target_name = g_strdup (o->target_name);
  x->target_sha256 = g_strdup (o->target_sha256);
  for (guint i = 0; i < layers->len; i++)
    {
      char **l = layers->pdata[i];

      bs_xml_config_add_layer (x, NULL, l[0], l[1], l[2], l[3]);
    }
  if (!r->infeasible)
    {
      x->has_metrics = TRUE;
      x->metrics = r->m;
      x->metrics.path = g_strdup (r->m.path);
    }
  return x;
}
