/* bs-xml.h — configuration documents (XML, libxml2), validated against
 * data/schemas/bitscape-config.xsd on every write and every read. */
#pragma once

#include <gio/gio.h>

#include "bs-store.h"

G_BEGIN_DECLS

#define BS_XML_ERROR (bs_xml_error_quark ())
GQuark bs_xml_error_quark (void);

typedef enum {
  BS_XML_ERROR_PARSE,     /* not well-formed XML */
  BS_XML_ERROR_INVALID,   /* well-formed, but the schema rejects it */
  BS_XML_ERROR_IO,
} BsXmlError;

#define BS_XML_NAMESPACE "urn:bitscape:configuration:1"
#define BS_XML_VERSION 1

typedef struct {
  char *name;                      /* may be NULL */
  char *weight_format, *input_format, *acc, *scaling;
  double weight_scale, input_scale; /* NaN when absent */
} BsXmlLayer;

typedef struct {
  gint64 result_id;                /* 0 when not from a store */
  char *canonical;                 /* may be NULL */
  char *model_name, *model_sha256;
  char *dataset_name, *dataset_sha256;   /* may be NULL */
  gint64 dataset_images;
  char *target_name, *target_sha256;     /* may be NULL */
  GPtrArray *layers;               /* BsXmlLayer */
  gboolean has_metrics;
  BsStoreMetrics metrics;          /* metrics.path owned */
} BsXmlConfig;

BsXmlConfig *bs_xml_config_new (void);
void bs_xml_config_free (BsXmlConfig *c);
/* A stored result as an XML entry: its configuration, where it comes from
 * (model, dataset, target), its metrics (none when infeasible).  NULL with
 * error when the store cannot give them. */
BsXmlConfig *bs_xml_config_from_result (BsStore *store, const BsStoreResult *r, GError **error);
BsXmlLayer *bs_xml_config_add_layer (BsXmlConfig *c, const char *name, const char *weight_format,
                                     const char *input_format, const char *acc,
                                     const char *scaling);

/* Write configs (BsXmlConfig) to path, atomically; the document is validated
 * before the file is replaced. */
gboolean bs_xml_write (const char *path, GPtrArray *configs, GError **error);
/* Serialise to a string (validated). */
char *bs_xml_to_string (GPtrArray *configs, GError **error);
/* Read and validate; errors are one line: "FILE:LINE: problem". */
GPtrArray *bs_xml_read (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsXmlConfig, bs_xml_config_free)

G_END_DECLS
