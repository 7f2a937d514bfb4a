/* bs-plot-export.h — a render function into PNG, SVG or PDF bytes. */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BS_EXPORT_PNG,
  BS_EXPORT_SVG,
  BS_EXPORT_PDF,
} BsExportFormat;

typedef void (*BsRenderFunc) (gpointer target,
                              cairo_t *cr,
                              int      width,
                              int      height);

gboolean    bs_export_format_for_path (const char     *path,
                                       BsExportFormat *format);
const char *bs_export_format_suffix   (BsExportFormat  format);
GBytes     *bs_export_render          (BsExportFormat  format,
                                       int             width,
                                       int             height,
                                       double          png_scale,
                                       BsRenderFunc    render,
                                       gpointer        target,
                                       GError        **error);

G_END_DECLS
