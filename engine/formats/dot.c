/* placeholder */
#include "bs-format-private.h"
