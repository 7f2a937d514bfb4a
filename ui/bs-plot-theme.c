/* bs-plot-theme.c — fill a BsPlotStyle from the theme: the widget's colour,
 * libadwaita's view background and accent, and the bs_family_* colours that
 * style.css and style-dark.css define.  What the style sheet lacks keeps the
 * default of the current light or dark scheme. */
#include "config.h"

#include <adwaita.h>

#include "bs-plot-theme.h"

static void
copy_rgba (BsColor *dst, const GdkRGBA *src)
{
  dst->r = src->red;
  dst->g = src->green;
  dst->b = src->blue;
  dst->a = src->alpha;
}

static void
lookup (GtkStyleContext *ctx, const char *name, BsColor *dst)
{
  GdkRGBA rgba;

  if (gtk_style_context_lookup_color (ctx, name, &rgba))
    copy_rgba (dst, &rgba);
}

void
bs_plot_theme_get_style (GtkWidget *widget, BsPlotStyle *style)
{
  GtkStyleContext *ctx = gtk_widget_get_style_context (widget);
  GdkRGBA fg;

  bs_plot_style_init (style, adw_style_manager_get_dark (adw_style_manager_get_default ()));
  gtk_style_context_get_color (ctx, &fg);
  copy_rgba (&style->foreground, &fg);
  lookup (ctx, "view_bg_color", &style->background);
  lookup (ctx, "accent_color", &style->accent);
  for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
    lookup (ctx, bs_plot_family_color_name (f), &style->family[f]);
  for (guint i = 0; i < G_N_ELEMENTS (style->series); i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "bs_series_%u", i + 1);
      lookup (ctx, name, &style->series[i]);
    }
}
