// zlib (Debian: zlib1g-dev) for the span exporter's gzip request bodies. deflateInit2/inflateInit2
// are macros, which Swift cannot call: these wrappers set up gzip framing (windowBits 15 + 16).
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

static inline int czlib_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}

#endif
