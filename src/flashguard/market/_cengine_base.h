/* Shared includes, types and constants of the C matching engine. Included once, by _cengine.c; not a public API. */
#ifndef FLASHGUARD_CENGINE_BASE_H
#define FLASHGUARD_CENGINE_BASE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#ifndef __SIZEOF_INT128__
#error "flashguard._cengine needs a compiler with __int128 (gcc or clang)"
#endif

#if PY_VERSION_HEX >= 0x030C0000
#define FG_OBJECT_EX Py_T_OBJECT_EX
#else
#define FG_OBJECT_EX T_OBJECT_EX
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

typedef struct Order Order;
typedef struct Level Level;

/* Level and depth totals: a sum of int64 quantities must not overflow where Python would not. */
typedef __int128 qsum_t;

enum { SIDE_BUY = 1, SIDE_SELL = -1 };
enum { OT_LIMIT = 1, OT_MARKET = 2 };
enum { TIF_DAY = 1, TIF_IOC = 3, TIF_FOK = 4, TIF_OTHER = 0 };
enum { STP_NONE = 0, STP_RESTING = 1, STP_INCOMING = 2, STP_BOTH = 3 };

/* The key bound of an order without a price limit, as in matching.py (asks priced above 2**62
 * are out of a market order's reach there too). */
#define NO_LIMIT (-((int64_t)1 << 62))

#endif /* FLASHGUARD_CENGINE_BASE_H */
