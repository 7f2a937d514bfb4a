/* placeholder: replaced by the k-means implementation */
#include "bs-format-private.h"
static int no_parse (const char *n, bs_format *f, char *e, size_t l) { return 0; }
const bs_format_traits _bs_kmeans_traits = { .family = BS_FAMILY_KMEANS, .pattern = "kmeans<K>", .summary = "", .parse = no_parse };
