/* bs-plot-style.c — default plot colours (GNOME palette), light and dark.
 *
 * The widgets replace these with the colours the style sheet defines
 * (bs_family_* in style.css / style-dark.css); these defaults are what a plot
 * rendered without a display uses. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-plot-style.h"

#define RGB(x) { ((x) >> 16 & 0xff) / 255.0, ((x) >> 8 & 0xff) / 255.0, ((x) & 0xff) / 255.0, 1 }

/* GNOME HIG palette: the _3 shades on light, the _2 shades on dark. */
static const BsColor family_light[BS_PLOT_N_FAMILIES] = {
  RGB (0x3584e4), /* float: blue */
  RGB (0x33d17a), /* fixed: green */
  RGB (0xd56199), /* int: pink (apart from fixed point's green) */
  RGB (0x77767b), /* binary: grey */
  RGB (0x5e5c64), /* ternary */
  RGB (0x9141ac), /* posit: purple */
  RGB (0xe66100), /* log: orange */
  RGB (0xc01c28), /* nf4: red */
  RGB (0xf5c211), /* mx: yellow */
  RGB (0x986a44), /* nvfp4: brown */
  RGB (0x1c71d8), /* kmeans: dark blue */
  RGB (0x5e5c64), /* mixed: dark grey */
  RGB (0x9a9996), /* other */
};

static const BsColor family_dark[BS_PLOT_N_FAMILIES] = {
  RGB (0x62a0ea),
  RGB (0x57e389),
  RGB (0xf66fa0),
  RGB (0x9a9996),
  RGB (0xc0bfbc),
  RGB (0xb580e5),
  RGB (0xffa348),
  RGB (0xf66151),
  RGB (0xf8e45c),
  RGB (0xcdab8f),
  RGB (0x99c1f1),
  RGB (0xc0bfbc),
  RGB (0x9a9996),
};

static const char *const family_names[BS_PLOT_N_FAMILIES] = {
  N_("Float"), N_("Fixed point"), N_("Integer"), N_("Binary"), N_("Ternary"),
  N_("Posit"), N_("Logarithmic"), N_("NF4"), N_("MX block"), N_("NVFP4"),
  N_("K-means"), N_("Mixed"), N_("Other"),
};

static const char *const family_css[BS_PLOT_N_FAMILIES] = {
  "bs_family_float", "bs_family_fixed", "bs_family_int", "bs_family_binary",
  "bs_family_ternary", "bs_family_posit", "bs_family_log", "bs_family_nf4",
  "bs_family_mx", "bs_family_nvfp4", "bs_family_kmeans", "bs_family_mixed",
  "bs_family_other",
};

void
bs_plot_style_init (BsPlotStyle *style, gboolean dark)
{
  static const BsColor series_light[4] = { RGB (0x1c71d8), RGB (0xe66100), RGB (0x2ec27e), RGB (0x9141ac) };
  static const BsColor series_dark[4] = { RGB (0x62a0ea), RGB (0xffa348), RGB (0x57e389), RGB (0xc061cb) };

  if (dark)
    {
      style->background = (BsColor) { 0.141, 0.141, 0.141, 1 };
      style->foreground = (BsColor) { 1, 1, 1, 1 };
      style->accent = (BsColor) RGB (0x78aeed);
    }
  else
    {
      style->background = (BsColor) { 1, 1, 1, 1 };
      style->foreground = (BsColor) { 0, 0, 0, 0.8 };
      style->accent = (BsColor) RGB (0x1c71d8);
    }
  for (guint i = 0; i < BS_PLOT_N_FAMILIES; i++)
    style->family[i] = dark ? family_dark[i] : family_light[i];
  for (guint i = 0; i < G_N_ELEMENTS (style->series); i++)
    style->series[i] = dark ? series_dark[i] : series_light[i];
}

/* Translated name of a colour class. */
const char *
bs_plot_family_name (guint family)
{
  return family < BS_PLOT_N_FAMILIES ? _(family_names[family]) : _("Other");
}

/* Name of the style sheet colour (@define-color) of a colour class. */
const char *
bs_plot_family_color_name (guint family)
{
  return family < BS_PLOT_N_FAMILIES ? family_css[family] : family_css[BS_PLOT_FAMILY_OTHER];
}

PangoLayout *
bs_plot_text (PangoContext *pango, const char *str, gboolean bold, double scale)
{
  PangoLayout *layout = pango_layout_new (pango);
  g_autoptr (PangoFontDescription) font =
    pango_font_description_copy (pango_context_get_font_description (pango));

  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  if (scale != 1)
    pango_font_description_set_size (font, (int) (pango_font_description_get_size (font) * scale));
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, str, -1);
  return layout;
}

double
bs_plot_text_width (PangoLayout *layout)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  return w;
}

double
bs_plot_text_height (PangoLayout *layout)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  return h;
}
