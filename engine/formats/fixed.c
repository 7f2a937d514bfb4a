/* placeholder: replaced by the fixed/int/binary/ternary implementation */
#include "bs-format-private.h"
static int no_parse (const char *n, bs_format *f, char *e, size_t l) { return 0; }
const bs_format_traits _bs_fixed_traits = { .family = BS_FAMILY_FIXED, .pattern = "fixed<Q>", .summary = "", .parse = no_parse };
const bs_format_traits _bs_int_traits = { .family = BS_FAMILY_INT, .pattern = "int<N>", .summary = "", .parse = no_parse };
const bs_format_traits _bs_binary_traits = { .family = BS_FAMILY_BINARY, .pattern = "binary", .summary = "", .parse = no_parse };
const bs_format_traits _bs_ternary_traits = { .family = BS_FAMILY_TERNARY, .pattern = "ternary", .summary = "", .parse = no_parse };
