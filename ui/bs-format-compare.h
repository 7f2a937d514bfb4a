/* bs-format-compare.h — two or more formats side by side: their values,
 * their relative rounding error across magnitudes, and (given a tensor) its
 * histogram and SQNR in each format. */
#pragma once

#include <gtk/gtk.h>

#include "bs-plot-export.h"

G_BEGIN_DECLS

#define BS_TYPE_FORMAT_COMPARE (bs_format_compare_get_type ())
G_DECLARE_FINAL_TYPE (BsFormatCompare, bs_format_compare, BS, FORMAT_COMPARE, GtkWidget)

GtkWidget *bs_format_compare_new           (void);
void       bs_format_compare_set_formats   (BsFormatCompare    *self,
                                            const char * const *names);
guint      bs_format_compare_get_n_formats (BsFormatCompare    *self);
void       bs_format_compare_set_tensor    (BsFormatCompare    *self,
                                            const char         *name,
                                            const float        *data,
                                            gsize               n);
void       bs_format_compare_set_tensor_bytes (BsFormatCompare *self,
                                               const char      *name,
                                               GBytes          *values);
void       bs_format_compare_set_pending   (BsFormatCompare    *self,
                                            const char         *name);
void       bs_format_compare_set_tensor_menu (BsFormatCompare *self,
                                              GMenuModel      *menu);
gboolean   bs_format_compare_popup_tensor_menu (BsFormatCompare *self);
const char *bs_format_compare_get_tensor    (BsFormatCompare *self,
                                              gsize           *n);
GBytes    *bs_format_compare_get_values    (BsFormatCompare    *self);
gboolean   bs_format_compare_get_sqnr      (BsFormatCompare    *self,
                                            const char         *format,
                                            double             *unit,
                                            double             *scaled);
guint64    bs_format_compare_get_histogram_total (BsFormatCompare *self);
gboolean   bs_format_compare_is_busy       (BsFormatCompare    *self);
void       bs_format_compare_render        (BsFormatCompare    *self,
                                            cairo_t            *cr,
                                            int                 width,
                                            int                 height);
GBytes    *bs_format_compare_export        (BsFormatCompare    *self,
                                            BsExportFormat      format,
                                            int                 width,
                                            int                 height,
                                            GError            **error);

G_END_DECLS
