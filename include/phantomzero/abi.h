/*
 * abi.h — what every module and plugin shares about how it was built.
 *
 * A module or plugin exports exactly one symbol (a function returning its static const
 * descriptor) marked PZ_EXPORT; everything else in it is hidden (-fvisibility=hidden). The
 * descriptor carries PZ_BUILD_SIG so the loader can refuse an object built for another data
 * model or protocol generation, even when the ABI numbers match.
 */
#ifndef PHANTOMZERO_ABI_H
#define PHANTOMZERO_ABI_H

#define PZ_EXPORT __attribute__((visibility("default")))

#define PZ_STR_(x) #x
#define PZ_STR(x) PZ_STR_(x)

/* Data model and wire generation: a mismatch here means structs would not line up. */
#define PZ_BUILD_SIG "pz1-lp" PZ_STR(__SIZEOF_POINTER__) "-" PZ_STR(__BYTE_ORDER__)

#define PZ_VERSION "0.1.0"

#endif
