#!/usr/bin/env python3
# embed-file.py INPUT OUTPUT SYMBOL: write a C file holding INPUT's bytes as
# `const char SYMBOL[]` (NUL-terminated) and `const size_t SYMBOL_len`.
import sys

src, dst, sym = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s by embed-file.py: do not edit */\n' % src.split('/')[-1])
    out.write('#include <stddef.h>\n\n')
    out.write('extern const char %s[];\nextern const size_t %s_len;\n\n' % (sym, sym))
    out.write('const char %s[] = {\n' % sym)
    for i in range(0, len(data), 16):
        out.write('  ' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    out.write('  0x00\n};\n')
    out.write('const size_t %s_len = %d;\n' % (sym, len(data)))
