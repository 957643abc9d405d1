/* What the C event loop (_cloop.c) offers other C extensions, through the capsule
 * flashguard.core._cloop._api: scheduling and reading the time without a Python call.
 *
 * loop_of(bound) is the loop (borrowed) when `bound` is the bound `call_at` or `now_ns` of an
 * exact _cloop.EventLoop (not a subclass, which may override them), else NULL: a caller that
 * keeps loop.call_at or loop.now_ns can then take the direct way, and the Python call
 * otherwise. now and call_at do exactly what loop.now_ns() and loop.call_at(t, callback,
 * *args) do (call_at: a past time runs now; -1 with an exception set on failure).
 */
#ifndef FLASHGUARD_CLOOP_API_H
#define FLASHGUARD_CLOOP_API_H

#include <stdint.h>

#define FG_CLOOP_API_VERSION 1
#define FG_CLOOP_API_CAPSULE "flashguard.core._cloop._api"

typedef struct {
    int version;
    PyObject *(*loop_of)(PyObject *bound);
    int (*now)(PyObject *loop, int64_t *out);
    int (*call_at)(PyObject *loop, int64_t t, PyObject *callback, PyObject *const *args,
                   Py_ssize_t nargs);
} FgLoopApi;

#endif /* FLASHGUARD_CLOOP_API_H */
