/* placeholder: replaced by the block-format implementation */
#include "bs-format-private.h"
static int no_parse (const char *n, bs_format *f, char *e, size_t l) { return 0; }
const bs_format_traits _bs_nf4_traits = { .family = BS_FAMILY_NF4, .pattern = "nf4", .summary = "", .parse = no_parse };
const bs_format_traits _bs_mx_traits = { .family = BS_FAMILY_MX, .pattern = "mx*", .summary = "", .parse = no_parse };
const bs_format_traits _bs_nvfp4_traits = { .family = BS_FAMILY_NVFP4, .pattern = "nvfp4", .summary = "", .parse = no_parse };
