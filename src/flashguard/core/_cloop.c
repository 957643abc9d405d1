/* The C twin of flashguard.core.loop.PyEventLoop and flashguard.core.clock.PySimClock (the
 * references): same API, same order of callbacks, same clock moves.
 *
 * A simulated market runs a few million callbacks; in Python each one costs a tuple, a heapq
 * push and pop, a `next` on the insertion counter and a bound-method call to advance the clock.
 * Here a callback is a 40-byte slot in a binary heap keyed by (due time, insertion number), and
 * when the loop's clock is this module's SimClock the loop writes its time directly.
 *
 * The SimClock keeps its time both as an int64 and as the Python int it returns from now_ns()
 * (made once per time change, not once per read: components read the clock far more often than
 * it moves).
 *
 * Times are int64 nanoseconds; a time that does not fit raises OverflowError naming the field.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_cloop_api.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------------------------------- */
/* Integer times                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* An int64 from a Python int (or anything with __index__), with an error naming `field`. */
static int
as_time(PyObject *obj, const char *field, int64_t *out)
{
    int overflow = 0;
    long long v;
    if (LIKELY(PyLong_CheckExact(obj))) {
        v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    }
    else {
        PyObject *index = PyNumber_Index(obj);
        if (index == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError, "%s must be an int, got %R", field, obj);
            }
            return -1;
        }
        v = PyLong_AsLongLongAndOverflow(index, &overflow);
        Py_DECREF(index);
    }
    if (UNLIKELY(overflow)) {
        PyErr_Format(PyExc_OverflowError, "%s=%R does not fit in 64 bits", field, obj);
        return -1;
    }
    if (UNLIKELY(v == -1 && PyErr_Occurred()))
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* SimClock                                                                                 */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    int64_t now;
    PyObject *now_obj; /* the Python int of `now` */
} SimClock;

static PyTypeObject SimClockType;

/* Move to t. The Python int is t_obj when that is an exact int, else made by the first now_ns()
 * at this time (NULL until then): the loop moves the clock far more often than Python code reads
 * it at a new time (the C components read `now` directly). */
static int
clock_set(SimClock *c, int64_t t, PyObject *t_obj)
{
    PyObject *obj = NULL;
    if (t_obj != NULL && PyLong_CheckExact(t_obj)) {
        Py_INCREF(t_obj);
        obj = t_obj;
    }
    Py_XSETREF(c->now_obj, obj);
    c->now = t;
    return 0;
}

static int
clock_advance(SimClock *c, int64_t t, PyObject *t_obj)
{
    if (UNLIKELY(t < c->now)) {
        PyErr_Format(PyExc_ValueError, "t_ns=%lld is before the clock's time %lld",
                     (long long)t, (long long)c->now);
        return -1;
    }
    if (t == c->now)
        return 0;
    return clock_set(c, t, t_obj);
}

static PyObject *
clock_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"start_ns", NULL};
    PyObject *start = NULL;
    int64_t t = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:SimClock", kwlist, &start))
        return NULL;
    if (start != NULL && as_time(start, "start_ns", &t) < 0)
        return NULL;
    SimClock *c = (SimClock *)type->tp_alloc(type, 0);
    if (c == NULL)
        return NULL;
    if (clock_set(c, t, start) < 0) {
        Py_DECREF(c);
        return NULL;
    }
    return (PyObject *)c;
}

static void
clock_dealloc(SimClock *c)
{
    Py_XDECREF(c->now_obj);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyObject *
clock_now_ns(SimClock *c, PyObject *unused)
{
    (void)unused;
    if (c->now_obj == NULL && (c->now_obj = PyLong_FromLongLong(c->now)) == NULL)
        return NULL;
    Py_INCREF(c->now_obj);
    return c->now_obj;
}

static PyObject *
clock_advance_to(SimClock *c, PyObject *arg)
{
    int64_t t;
    if (as_time(arg, "t_ns", &t) < 0 || clock_advance(c, t, arg) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef clock_methods[] = {
    {"now_ns", (PyCFunction)clock_now_ns, METH_NOARGS, "now_ns() -> the simulated time."},
    {"advance_to", (PyCFunction)clock_advance_to, METH_O,
     "advance_to(t_ns): move the time forward (ValueError if t_ns is before it)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SimClockType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.core._cloop.SimClock",
    .tp_doc = "Simulated time, advanced only by the event loop. Never goes backwards "
              "(C implementation of flashguard.core.clock.PySimClock).",
    .tp_basicsize = sizeof(SimClock),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = clock_new,
    .tp_dealloc = (destructor)clock_dealloc,
    .tp_methods = clock_methods,
};

/* ---------------------------------------------------------------------------------------- */
/* The heap                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* A scheduled callback. `arg` is NULL without arguments, the argument itself for one, and the
 * tuple of them for more (nargs says which). */
typedef struct {
    int64_t t;
    uint64_t seq;
    PyObject *callback;
    PyObject *arg;
    Py_ssize_t nargs;
} Entry;

static inline int
entry_before(const Entry *a, const Entry *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

typedef struct {
    PyObject_HEAD
    Entry *heap;
    Py_ssize_t len;
    Py_ssize_t cap;
    uint64_t seq;
    int stopped;
    long long processed;
    PyObject *clock;
} Loop;

static int
heap_push(Loop *lp, const Entry *e)
{
    if (lp->len == lp->cap) {
        Py_ssize_t cap = lp->cap ? lp->cap * 2 : 1024;
        Entry *grown = PyMem_Realloc(lp->heap, (size_t)cap * sizeof(Entry));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        lp->heap = grown;
        lp->cap = cap;
    }
    Entry *h = lp->heap;
    Py_ssize_t i = lp->len++;
    while (i > 0) {
        Py_ssize_t parent = (i - 1) >> 1;
        if (!entry_before(e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = *e;
    return 0;
}

/* Remove the earliest entry into *out (the caller owns its references). */
static void
heap_pop(Loop *lp, Entry *out)
{
    Entry *h = lp->heap;
    *out = h[0];
    Py_ssize_t n = --lp->len;
    if (n == 0)
        return;
    /* Floyd's way: the hole at the root goes down to a leaf along the smaller children (one
     * comparison a level), then the last entry rises from there; it belongs near the bottom
     * (it was a leaf), so it seldom rises far. Keys (t, seq) are unique: any heap pops the
     * same order. */
    Entry last = h[n];
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && entry_before(&h[child + 1], &h[child]))
            child++;
        h[i] = h[child];
        i = child;
    }
    while (i > 0) {
        Py_ssize_t parent = (i - 1) >> 1;
        if (!entry_before(&last, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = last;
}

static void
entry_release(Entry *e)
{
    Py_DECREF(e->callback);
    Py_XDECREF(e->arg);
}

/* ---------------------------------------------------------------------------------------- */
/* The clock, whichever it is                                                               */
/* ---------------------------------------------------------------------------------------- */

static PyObject *S_now_ns, *S_advance_to;

static int
loop_clock_now(PyObject *clock, int64_t *out)
{
    if (LIKELY(Py_IS_TYPE(clock, &SimClockType))) {
        *out = ((SimClock *)clock)->now;
        return 0;
    }
    PyObject *now = PyObject_CallMethodNoArgs(clock, S_now_ns);
    if (now == NULL)
        return -1;
    int rc = as_time(now, "now_ns()", out);
    Py_DECREF(now);
    return rc;
}

static int
loop_clock_advance(PyObject *clock, int64_t t)
{
    if (LIKELY(Py_IS_TYPE(clock, &SimClockType)))
        return clock_advance((SimClock *)clock, t, NULL);
    PyObject *t_obj = PyLong_FromLongLong(t);
    if (t_obj == NULL)
        return -1;
    PyObject *r = PyObject_CallMethodOneArg(clock, S_advance_to, t_obj);
    Py_DECREF(t_obj);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static PyObject *
loop_get_clock_checked(Loop *lp)
{
    if (UNLIKELY(lp->clock == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "the loop has no clock");
        return NULL;
    }
    return lp->clock;
}

/* ---------------------------------------------------------------------------------------- */
/* EventLoop                                                                                */
/* ---------------------------------------------------------------------------------------- */

static PyObject *
loop_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"clock", NULL};
    PyObject *clock = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:EventLoop", kwlist, &clock))
        return NULL;
    Loop *lp = (Loop *)type->tp_alloc(type, 0);
    if (lp == NULL)
        return NULL;
    if (clock == Py_None) {
        lp->clock = PyObject_CallNoArgs((PyObject *)&SimClockType);
        if (lp->clock == NULL) {
            Py_DECREF(lp);
            return NULL;
        }
    }
    else {
        Py_INCREF(clock);
        lp->clock = clock;
    }
    return (PyObject *)lp;
}

static int
loop_traverse(Loop *lp, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < lp->len; i++) {
        Py_VISIT(lp->heap[i].callback);
        Py_VISIT(lp->heap[i].arg);
    }
    Py_VISIT(lp->clock);
    return 0;
}

static int
loop_clear(Loop *lp)
{
    /* Detach the entries before dropping them: a deallocator may run Python code that looks at
     * this loop. */
    Entry *heap = lp->heap;
    Py_ssize_t len = lp->len;
    lp->heap = NULL;
    lp->len = lp->cap = 0;
    for (Py_ssize_t i = 0; i < len; i++)
        entry_release(&heap[i]);
    PyMem_Free(heap);
    Py_CLEAR(lp->clock);
    return 0;
}

static void
loop_dealloc(Loop *lp)
{
    PyObject_GC_UnTrack(lp);
    loop_clear(lp);
    Py_TYPE(lp)->tp_free((PyObject *)lp);
}

/* Schedule callback(*args[0:nargs]) at t (not before now). */
static int
loop_schedule(Loop *lp, int64_t t, PyObject *clock, PyObject *callback, PyObject *const *args,
              Py_ssize_t nargs)
{
    int64_t now;
    if (loop_clock_now(clock, &now) < 0)
        return -1;
    Entry e;
    e.t = t < now ? now : t;
    e.seq = lp->seq++;
    e.callback = callback;
    e.nargs = nargs;
    if (nargs == 0) {
        e.arg = NULL;
    }
    else if (nargs == 1) {
        e.arg = args[0];
        Py_INCREF(e.arg);
    }
    else {
        e.arg = PyTuple_New(nargs);
        if (e.arg == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < nargs; i++) {
            Py_INCREF(args[i]);
            PyTuple_SET_ITEM(e.arg, i, args[i]);
        }
    }
    Py_INCREF(callback);
    if (heap_push(lp, &e) < 0) {
        entry_release(&e);
        return -1;
    }
    return 0;
}

static PyObject *
loop_call_at(Loop *lp, PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs < 2)) {
        PyErr_SetString(PyExc_TypeError, "call_at(t_ns, callback, *args) needs t_ns and callback");
        return NULL;
    }
    int64_t t;
    PyObject *clock = loop_get_clock_checked(lp);
    if (clock == NULL || as_time(args[0], "t_ns", &t) < 0 ||
        loop_schedule(lp, t, clock, args[1], args + 2, nargs - 2) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
loop_call_later(Loop *lp, PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs < 2)) {
        PyErr_SetString(PyExc_TypeError,
                        "call_later(delay_ns, callback, *args) needs delay_ns and callback");
        return NULL;
    }
    int64_t delay, now, t;
    if (as_time(args[0], "delay_ns", &delay) < 0)
        return NULL;
    if (delay < 0) {
        PyErr_Format(PyExc_ValueError, "delay_ns must be >= 0, got %lld", (long long)delay);
        return NULL;
    }
    PyObject *clock = loop_get_clock_checked(lp);
    if (clock == NULL || loop_clock_now(clock, &now) < 0)
        return NULL;
    if (__builtin_add_overflow(now, delay, &t)) {
        PyErr_Format(PyExc_OverflowError, "delay_ns=%lld from now %lld does not fit in 64 bits",
                     (long long)delay, (long long)now);
        return NULL;
    }
    if (loop_schedule(lp, t, clock, args[1], args + 2, nargs - 2) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
loop_now_ns(Loop *lp, PyObject *unused)
{
    (void)unused;
    PyObject *clock = loop_get_clock_checked(lp);
    if (clock == NULL)
        return NULL;
    if (LIKELY(Py_IS_TYPE(clock, &SimClockType)))
        return clock_now_ns((SimClock *)clock, NULL);
    return PyObject_CallMethodNoArgs(clock, S_now_ns);
}

static PyObject *
loop_pending(Loop *lp, PyObject *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(lp->len);
}

static PyObject *
loop_next_time(Loop *lp, PyObject *unused)
{
    (void)unused;
    if (lp->len == 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(lp->heap[0].t);
}

static PyObject *
loop_stop(Loop *lp, PyObject *unused)
{
    (void)unused;
    lp->stopped = 1;
    Py_RETURN_NONE;
}

static PyObject *
call_entry(Entry *e)
{
    switch (e->nargs) {
    case 0:
        return PyObject_CallNoArgs(e->callback);
    case 1:
        return PyObject_CallOneArg(e->callback, e->arg);
    default:
        return PyObject_Call(e->callback, e->arg, NULL);
    }
}

static PyObject *
loop_run(Loop *lp, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"until_ns", NULL};
    PyObject *until_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:run", kwlist, &until_obj))
        return NULL;
    int has_until = until_obj != Py_None;
    int64_t until = INT64_MAX;
    if (has_until && as_time(until_obj, "until_ns", &until) < 0)
        return NULL;
    lp->stopped = 0;
    PyObject *clock = loop_get_clock_checked(lp);
    if (clock == NULL)
        return NULL;
    /* the clock of this run, as the reference binds clock.advance_to once */
    Py_INCREF(clock);
    int have_current = 0; /* whether this run has advanced the clock yet */
    int64_t current = 0;
    long long n = 0;
    while (lp->len > 0 && !lp->stopped) {
        if (lp->heap[0].t > until)
            break;
        Entry e;
        heap_pop(lp, &e);
        /* many callbacks share an instant: the clock is already there */
        if (!have_current || e.t != current) {
            if (loop_clock_advance(clock, e.t) < 0) {
                entry_release(&e);
                goto fail;
            }
            current = e.t;
            have_current = 1;
        }
        PyObject *r = call_entry(&e);
        entry_release(&e);
        if (r == NULL)
            goto fail;
        Py_DECREF(r);
        n++;
    }
    if (has_until && !lp->stopped) {
        int64_t now;
        if (loop_clock_now(clock, &now) < 0)
            goto fail;
        if (now < until && loop_clock_advance(clock, until) < 0)
            goto fail;
    }
    Py_DECREF(clock);
    lp->processed += n;
    return PyLong_FromLongLong(n);
fail:
    Py_DECREF(clock);
    return NULL;
}

static PyObject *
loop_get_clock(Loop *lp, void *closure)
{
    (void)closure;
    PyObject *clock = loop_get_clock_checked(lp);
    Py_XINCREF(clock);
    return clock;
}

static int
loop_set_clock(Loop *lp, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "the loop's clock cannot be deleted");
        return -1;
    }
    Py_INCREF(value);
    Py_XSETREF(lp->clock, value);
    return 0;
}

static PyObject *
loop_get_processed(Loop *lp, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong(lp->processed);
}

static int
loop_set_processed(Loop *lp, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "processed cannot be deleted");
        return -1;
    }
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred())
        return -1;
    lp->processed = v;
    return 0;
}

static PyMethodDef loop_methods[] = {
    {"call_at", (PyCFunction)(void (*)(void))loop_call_at, METH_FASTCALL,
     "call_at(t_ns, callback, *args): run callback(*args) at t_ns (a past time runs now)."},
    {"call_later", (PyCFunction)(void (*)(void))loop_call_later, METH_FASTCALL,
     "call_later(delay_ns, callback, *args): run callback(*args) delay_ns after now."},
    {"now_ns", (PyCFunction)loop_now_ns, METH_NOARGS, "now_ns() -> the clock's time."},
    {"pending", (PyCFunction)loop_pending, METH_NOARGS, "pending() -> callbacks queued."},
    {"next_time", (PyCFunction)loop_next_time, METH_NOARGS,
     "next_time() -> due time of the next callback, or None."},
    {"stop", (PyCFunction)loop_stop, METH_NOARGS, "stop(): end the current run()."},
    {"run", (PyCFunction)(void (*)(void))loop_run, METH_VARARGS | METH_KEYWORDS,
     "run(until_ns=None) -> callbacks processed, in (time, insertion) order, until the queue "
     "is empty, stop() is called, or the next callback is later than until_ns."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef loop_getset[] = {
    {"clock", (getter)loop_get_clock, (setter)loop_set_clock, "the clock this loop advances",
     NULL},
    {"processed", (getter)loop_get_processed, (setter)loop_set_processed,
     "callbacks run by all runs so far", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LoopType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.core._cloop.EventLoop",
    .tp_doc = "The discrete-event loop (C implementation of flashguard.core.loop.PyEventLoop).",
    .tp_basicsize = sizeof(Loop),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_new = loop_new,
    .tp_dealloc = (destructor)loop_dealloc,
    .tp_traverse = (traverseproc)loop_traverse,
    .tp_clear = (inquiry)loop_clear,
    .tp_methods = loop_methods,
    .tp_getset = loop_getset,
};

/* ---------------------------------------------------------------------------------------- */
/* The C API (_cloop_api.h)                                                                 */
/* ---------------------------------------------------------------------------------------- */

static PyObject *
api_loop_of(PyObject *bound)
{
    if (!PyCFunction_Check(bound))
        return NULL;
    PyCFunctionObject *f = (PyCFunctionObject *)bound;
    PyObject *self = f->m_self;
    if (self == NULL || !Py_IS_TYPE(self, &LoopType))
        return NULL;
    PyCFunction meth = f->m_ml->ml_meth;
    if (meth == (PyCFunction)(void (*)(void))loop_call_at || meth == (PyCFunction)loop_now_ns)
        return self;
    return NULL;
}

static int
api_now(PyObject *loop, int64_t *out)
{
    PyObject *clock = loop_get_clock_checked((Loop *)loop);
    return clock == NULL ? -1 : loop_clock_now(clock, out);
}

static int
api_call_at(PyObject *loop, int64_t t, PyObject *callback, PyObject *const *args,
            Py_ssize_t nargs)
{
    Loop *lp = (Loop *)loop;
    PyObject *clock = loop_get_clock_checked(lp);
    return clock == NULL ? -1 : loop_schedule(lp, t, clock, callback, args, nargs);
}

static FgLoopApi cloop_api = {FG_CLOOP_API_VERSION, api_loop_of, api_now, api_call_at};

/* ---------------------------------------------------------------------------------------- */
/* Module                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static struct PyModuleDef cloop_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "flashguard.core._cloop",
    .m_doc = "C event loop and simulated clock, behaviour-identical to flashguard.core.loop."
             "PyEventLoop and flashguard.core.clock.PySimClock.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__cloop(void)
{
    S_now_ns = PyUnicode_InternFromString("now_ns");
    S_advance_to = PyUnicode_InternFromString("advance_to");
    if (S_now_ns == NULL || S_advance_to == NULL)
        return NULL;
    if (PyType_Ready(&SimClockType) < 0 || PyType_Ready(&LoopType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&cloop_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&SimClockType);
    if (PyModule_AddObject(m, "SimClock", (PyObject *)&SimClockType) < 0) {
        Py_DECREF(&SimClockType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&LoopType);
    if (PyModule_AddObject(m, "EventLoop", (PyObject *)&LoopType) < 0) {
        Py_DECREF(&LoopType);
        Py_DECREF(m);
        return NULL;
    }
    PyObject *api = PyCapsule_New(&cloop_api, FG_CLOOP_API_CAPSULE, NULL);
    if (api == NULL || PyModule_AddObject(m, "_api", api) < 0) {
        Py_XDECREF(api);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
