/* bs-plot-export.c — render into cairo's image, SVG and PDF surfaces and
 * collect the file's bytes in memory (the caller writes them, off the main
 * thread). */
#include "config.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <string.h>

#include "bs-plot-export.h"

/* The format a file name asks for, by its suffix (case-insensitive). */
gboolean
bs_export_format_for_path (const char *path, BsExportFormat *format)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".png"))
    *format = BS_EXPORT_PNG;
  else if (g_str_has_suffix (lower, ".svg"))
    *format = BS_EXPORT_SVG;
  else if (g_str_has_suffix (lower, ".pdf"))
    *format = BS_EXPORT_PDF;
  else
    return FALSE;
  return TRUE;
}

const char *
bs_export_format_suffix (BsExportFormat format)
{
  switch (format)
    {
    case BS_EXPORT_SVG:
      return ".svg";
    case BS_EXPORT_PDF:
      return ".pdf";
    case BS_EXPORT_PNG:
    default:
      return ".png";
    }
}

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Render width × height user units through render(target, …) and return the
 * file: PNG at png_scale pixels per unit, SVG and PDF in points (1 unit = 1
 * pt).  NULL with an error if cairo fails. */
GBytes *
bs_export_render (BsExportFormat format, int width, int height, double png_scale,
                  BsRenderFunc render, gpointer target, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  switch (format)
    {
    case BS_EXPORT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_bytes, out, width, height);
      break;
    case BS_EXPORT_PDF:
      surface = cairo_pdf_surface_create_for_stream (append_bytes, out, width, height);
      break;
    case BS_EXPORT_PNG:
    default:
      png_scale = png_scale > 0 ? png_scale : 1;
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (width * png_scale),
                                            (int) (height * png_scale));
      cairo_surface_set_device_scale (surface, png_scale, png_scale);
      break;
    }

  cr = cairo_create (surface);
  render (target, cr, width, height);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == BS_EXPORT_PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes, out);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not draw the plot: %s"),
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
