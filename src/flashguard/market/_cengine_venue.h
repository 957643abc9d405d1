/* The venue's network and arrival path in C: `VenueCore`, the base of venue.VenueBase.
 * Included once, by _cengine.c (after the engine type); see there.
 *
 * The reference is venue._PyVenueCore: the same methods, attribute for attribute. Order entry
 * (submit, cancel, modify) makes the request and schedules its arrival after the owner's
 * latency; `_report` sends each execution report to its owner after the return latency;
 * `_lit_arrive` is a lit venue's arrival (status, the guard's admission, the engine, reports,
 * market data, the guard's look afterwards). Everything that is not the common path (a venue
 * that is not trading, the guard, market data) stays a Python call, so the Python subclasses
 * keep their say. The attributes live in C slots (members), so Python code reads and writes
 * them as before: name, loop, status, engine, guard, messages, _latency, _entry_latency_ns,
 * _routes, _subscribers, _next_order_id, config, _last_l1, and _arrive_cb (the callable an
 * arrival calls: the instance's own `_arrive`, bound once).
 *
 * The arrival path calls the guard's admit and after, _publish_market_data and _broadcast, and
 * _broadcast hands on self._deliver, as the reference does; when the instance's attribute is
 * this module's own method (the type's, not shadowed in the instance dict: `own_method`),
 * without the Python call or the bound method it would make.
 */
#ifndef FLASHGUARD_CENGINE_VENUE_H
#define FLASHGUARD_CENGINE_VENUE_H

#include "../core/_cloop_api.h"

typedef struct {
    PyObject_HEAD
    PyObject *name;
    PyObject *loop;
    PyObject *call_at; /* loop.call_at, bound when loop is set */
    PyObject *now_ns;  /* loop.now_ns, bound when loop is set */
    PyObject *status;
    PyObject *engine;
    PyObject *guard;
    PyObject *latency;
    PyObject *routes;
    PyObject *subscribers;
    PyObject *arrive;
    PyObject *guard_top;
    PyObject *config;
    PyObject *last_l1;
    PyObject *deliver; /* self._deliver bound once, used while it is what getattr would give */
    long long entry_latency;
    long long next_order_id;
    long long messages;
} VenueCore;

static PyObject *EV_Quote, *S_broadcast, *S_last_l1, *S_books_md, *S_l1_md, *S_get_md;
static PyObject *S_owner_attr, *S_instrument_attr, *S_admit, *S_after, *S_handle,
    *S_arrive_not_trading, *S_publish_market_data, *S_call_at, *S_now_ns_attr, *S_empty,
    *S_clamped;
static PyObject *ZERO, *TRADING_STATES;

static PyTypeObject VenueCoreType;

/* The method descriptors of VenueCore's _lit_publish_market_data, and of the feed's _broadcast
 * and _deliver (module.venue_broadcast / venue_deliver, _cengine_sip.h). */
static PyObject *D_lit_publish, *D_broadcast, *D_deliver;
static PyObject *venue_broadcast(PyObject *self, PyObject *md);
/* GuardCore's admit and after (_cengine_guard.h), called so when they are the guard's own. */
static PyObject *D_admit, *D_after;
static PyObject *guard_admit_c(PyObject *self, PyObject *venue, PyObject *order);
static PyObject *guard_after_c(PyObject *self, PyObject *venue, PyObject *request,
                               PyObject *events);
static PyObject *lit_publish(VenueCore *c, PyObject *instrument, PyObject *events, int fresh);

/* Whether getattr(self, name) is `descr` bound to self: the type's attribute is descr, and the
 * instance dict (if any) does not shadow it. 1 yes, 0 no (take the Python way), -1 error. */
static int
own_method(PyObject *self, PyObject *name, PyObject *descr)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (descr == NULL || tp->tp_getattro != PyObject_GenericGetAttr ||
        _PyType_Lookup(tp, name) != descr)
        return 0;
    if (tp->tp_dictoffset == 0)
        return 1;
    PyObject **dictptr = _PyObject_GetDictPtr(self);
    if (dictptr == NULL || *dictptr == NULL)
        return 1;
    PyObject *shadow = PyDict_GetItemWithError(*dictptr, name);
    if (shadow != NULL)
        return 0;
    return PyErr_Occurred() ? -1 : 1;
}

/* An attribute of a Struct-like object read straight from its slot: for a type whose getattr
 * is the generic one and whose attribute is a member descriptor (msgspec Structs, slotted
 * classes), that is what getattr returns (a member is a data descriptor: it wins over any
 * instance dict). Up to 8 types a call site, remembered (and kept alive) on first sight;
 * anything else is plain getattr. */
typedef struct {
    PyTypeObject *tp;
    Py_ssize_t off; /* 0: not a slot */
} SlotCache;
#define SLOT_CACHE 8

static PyObject *
slot_attr(PyObject *o, PyObject *name, SlotCache *cache)
{
    PyTypeObject *tp = Py_TYPE(o);
    for (int i = 0; i < SLOT_CACHE && cache[i].tp != NULL; i++) {
        if (cache[i].tp == tp) {
            if (cache[i].off > 0) {
                PyObject *x = *(PyObject **)((char *)o + cache[i].off);
                if (LIKELY(x != NULL))
                    return Py_NewRef(x);
            }
            return PyObject_GetAttr(o, name);
        }
    }
    for (int i = 0; i < SLOT_CACHE; i++) {
        if (cache[i].tp == NULL) {
            Py_ssize_t off = 0;
            if (tp->tp_getattro == PyObject_GenericGetAttr) {
                PyObject *descr = _PyType_Lookup(tp, name); /* borrowed */
                if (descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
                    PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
                    if (m->type == FG_OBJECT_EX && m->offset > 0)
                        off = m->offset;
                }
            }
            Py_INCREF(tp);
            cache[i].tp = tp;
            cache[i].off = off;
            break;
        }
    }
    return PyObject_GetAttr(o, name);
}

static int
core_need(PyObject *v, const char *attr)
{
    if (UNLIKELY(v == NULL)) {
        PyErr_Format(PyExc_AttributeError, "venue has no attribute '%s'", attr);
        return -1;
    }
    return 0;
}

static int
core_need_dict(PyObject *v, const char *attr)
{
    if (core_need(v, attr) < 0)
        return -1;
    if (UNLIKELY(!PyDict_Check(v))) {
        PyErr_Format(PyExc_TypeError, "venue.%s=%R must be a dict, not %.100s", attr, v,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    return 0;
}

static int
core_int64(PyObject *v, const char *what, long long *out)
{
    int ovf;
    if (UNLIKELY(!PyLong_Check(v))) {
        PyErr_Format(PyExc_TypeError, "%s=%R must be an int, not %.100s", what, v,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    long long x = PyLong_AsLongLongAndOverflow(v, &ovf);
    if (UNLIKELY(x == -1 && PyErr_Occurred()))
        return -1;
    if (UNLIKELY(ovf)) {
        PyErr_Format(PyExc_OverflowError, "%s=%R does not fit in a signed 64-bit integer", what,
                     v);
        return -1;
    }
    *out = x;
    return 0;
}

/* The C event loop's API (_cloop_api.h), or NULL when it is not built: a bound call_at or
 * now_ns of a C loop is then called directly, anything else through Python. */
static FgLoopApi *LOOP_API;

static inline PyObject *
c_loop_of(PyObject *bound)
{
    return LOOP_API != NULL ? LOOP_API->loop_of(bound) : NULL;
}

/* The simulated time now: now_ns is a loop's bound now_ns (shared by the C agents below). */
static int
loop_now(PyObject *now_ns, long long *out)
{
    PyObject *lp = c_loop_of(now_ns);
    if (lp != NULL) {
        int64_t v;
        if (LOOP_API->now(lp, &v) < 0)
            return -1;
        *out = v;
        return 0;
    }
    PyObject *now = PyObject_Vectorcall(now_ns, NULL, 0, NULL);
    if (now == NULL)
        return -1;
    int rc = core_int64(now, "now_ns()", out);
    Py_DECREF(now);
    return rc;
}

/* call_at(now + wait, callback): World.call_after for the C agents; `who` names the agent in
 * the overflow error. */
static int
loop_wake_after(PyObject *now_ns, PyObject *call_at, long long wait, PyObject *callback,
                const char *who)
{
    long long now, t;
    if (loop_now(now_ns, &now) < 0)
        return -1;
    if (__builtin_add_overflow(now, wait, &t)) {
        PyErr_Format(PyExc_OverflowError, "%s: wake-up time overflows", who);
        return -1;
    }
    PyObject *lp = c_loop_of(call_at);
    if (lp != NULL)
        return LOOP_API->call_at(lp, t, callback, NULL, 0);
    PyObject *t_obj = PyLong_FromLongLong(t);
    if (t_obj == NULL)
        return -1;
    PyObject *a[2] = {t_obj, callback};
    PyObject *r = PyObject_Vectorcall(call_at, a, 2, NULL);
    Py_DECREF(t_obj);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* The simulated time now (loop.now_ns()). */
static int
core_now(VenueCore *c, long long *out)
{
    if (UNLIKELY(c->now_ns == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "venue has no attribute 'loop'");
        return -1;
    }
    return loop_now(c->now_ns, out);
}

/* now + the owner's order-entry latency, as a new int (and *t_out). */
static PyObject *
core_arrival_time(VenueCore *c, PyObject *owner, long long *t_out)
{
    long long now, lat, t;
    if (core_need_dict(c->latency, "_latency") < 0 || core_now(c, &now) < 0)
        return NULL;
    PyObject *v = PyDict_GetItemWithError(c->latency, owner);
    if (v == NULL) {
        if (PyErr_Occurred())
            return NULL;
        lat = c->entry_latency;
    }
    else if (core_int64(v, "latency", &lat) < 0) {
        return NULL;
    }
    if (UNLIKELY(__builtin_add_overflow(now, lat, &t))) {
        PyErr_Format(PyExc_OverflowError, "arrival time now=%lld + latency=%lld overflows",
                     now, lat);
        return NULL;
    }
    *t_out = t;
    return PyLong_FromLongLong(t);
}

/* loop.call_at(t, self._arrive_cb, request) (t_v: t as an int64); steals nothing. */
static int
core_schedule(VenueCore *c, PyObject *t, long long t_v, PyObject *request)
{
    if (core_need(c->arrive, "_arrive_cb") < 0)
        return -1;
    PyObject *lp = c_loop_of(c->call_at);
    if (lp != NULL)
        return LOOP_API->call_at(lp, t_v, c->arrive, &request, 1);
    PyObject *a[3] = {t, c->arrive, request};
    PyObject *r = PyObject_Vectorcall(c->call_at, a, 3, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* Build type(t, name, *f[2:]) for a request `owner` sends (f[0] and f[1] are filled here:
 * the arrival time and the venue's name) and schedule its arrival. */
static int
core_send(VenueCore *c, PyObject *owner, PyTypeObject *type, PyObject **f, Py_ssize_t n)
{
    long long t_v = 0;
    PyObject *t = core_arrival_time(c, owner, &t_v);
    if (t == NULL || core_need(c->name, "name") < 0) {
        Py_XDECREF(t);
        return -1;
    }
    f[0] = t;
    f[1] = c->name;
    PyObject *req = make((PyObject *)type, f, n);
    int rc = req == NULL ? -1 : core_schedule(c, t, t_v, req);
    Py_DECREF(t);
    Py_XDECREF(req);
    return rc;
}

static PyObject *
core_submit(VenueCore *c, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"owner", "instrument", "side", "qty", "price",
                                        "order_type", "tif", "client_order_id"};
    PyObject *a[8];
    if (bind_args("submit", args, nargs, kwnames, names, 4, 8, a) < 0)
        return NULL;
    PyObject *owner = a[0], *instrument = a[1], *price = a[4] ? a[4] : ZERO;
    PyObject *coid = a[7] ? a[7] : S_empty;
    long long order_id = c->next_order_id;
    c->next_order_id = order_id + 1;
    PyObject *id = NULL, *side = NULL, *ot = NULL, *tif = NULL;
    id = PyLong_FromLongLong(order_id);
    if (id == NULL || (side = PyNumber_Long(a[2])) == NULL ||
        (ot = a[5] ? PyNumber_Long(a[5]) : Py_NewRef(ONE)) == NULL ||
        (tif = a[6] ? PyNumber_Long(a[6]) : Py_NewRef(ONE)) == NULL)
        goto fail;
    PyObject *f[11] = {NULL, NULL, instrument, id, coid, owner, side, ot, tif, price, a[3]};
    if (core_send(c, owner, L_NEW.type, f, 11) < 0)
        goto fail;
    Py_DECREF(side);
    Py_DECREF(ot);
    Py_DECREF(tif);
    return id;
fail:
    Py_XDECREF(id);
    Py_XDECREF(side);
    Py_XDECREF(ot);
    Py_XDECREF(tif);
    return NULL;
}

static PyObject *
core_cancel(VenueCore *c, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"owner", "instrument", "order_id"};
    PyObject *a[3];
    if (bind_args("cancel", args, nargs, kwnames, names, 3, 3, a) < 0)
        return NULL;
    PyObject *f[5] = {NULL, NULL, a[1], a[2], a[0]};
    if (core_send(c, a[0], L_CANCEL.type, f, 5) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
core_modify(VenueCore *c, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"owner", "instrument", "order_id", "price", "qty"};
    PyObject *a[5];
    if (bind_args("modify", args, nargs, kwnames, names, 5, 5, a) < 0)
        return NULL;
    PyObject *f[7] = {NULL, NULL, a[1], a[2], a[0], a[3], a[4]};
    if (core_send(c, a[0], L_MODIFY.type, f, 7) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* Deliver each execution report (every event but Trade) to its owner after the return
 * latency, in order. */
static int
core_report(VenueCore *c, PyObject *events)
{
    if (core_need_dict(c->routes, "_routes") < 0)
        return -1;
    if (PyDict_GET_SIZE(c->routes) == 0)
        return 0;
    PyObject *seq = PySequence_Fast(events, "venue reports must be a sequence of events");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    long long now = 0;
    int have_now = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *ev = PySequence_Fast_GET_ITEM(seq, i);
        if (Py_TYPE(ev) == (PyTypeObject *)EV_Trade)
            continue;
        static SlotCache owner_slot[SLOT_CACHE];
        PyObject *owner = slot_attr(ev, S_owner_attr, owner_slot);
        if (owner == NULL)
            goto fail;
        PyObject *route = PyDict_GetItemWithError(c->routes, owner); /* borrowed */
        Py_DECREF(owner);
        if (route == NULL) {
            if (PyErr_Occurred())
                goto fail;
            continue;
        }
        if (UNLIKELY(!PyTuple_Check(route) || PyTuple_GET_SIZE(route) != 2)) {
            PyErr_Format(PyExc_TypeError, "venue route=%R must be (handler, latency)", route);
            goto fail;
        }
        Py_INCREF(route);
        long long lat, t;
        if (!have_now) {
            if (core_now(c, &now) < 0) {
                Py_DECREF(route);
                goto fail;
            }
            have_now = 1;
        }
        if (core_int64(PyTuple_GET_ITEM(route, 1), "route latency", &lat) < 0) {
            Py_DECREF(route);
            goto fail;
        }
        if (UNLIKELY(__builtin_add_overflow(now, lat, &t))) {
            Py_DECREF(route);
            PyErr_SetString(PyExc_OverflowError, "report time overflows");
            goto fail;
        }
        PyObject *lp = c_loop_of(c->call_at);
        if (lp != NULL) {
            int rc = LOOP_API->call_at(lp, t, PyTuple_GET_ITEM(route, 0), &ev, 1);
            Py_DECREF(route);
            if (rc < 0)
                goto fail;
            continue;
        }
        PyObject *t_obj = PyLong_FromLongLong(t);
        if (t_obj == NULL) {
            Py_DECREF(route);
            goto fail;
        }
        PyObject *a[3] = {t_obj, PyTuple_GET_ITEM(route, 0), ev};
        PyObject *r = PyObject_Vectorcall(c->call_at, a, 3, NULL);
        Py_DECREF(t_obj);
        Py_DECREF(route);
        if (r == NULL)
            goto fail;
        Py_DECREF(r);
    }
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    return -1;
}

static PyObject *
core_report_method(VenueCore *c, PyObject *events)
{
    if (core_report(c, events) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* self.engine.handle(request) (the C engine without a method call). */
static PyObject *
core_handle(VenueCore *c, PyObject *r)
{
    if (core_need(c->engine, "engine") < 0)
        return NULL;
    if (LIKELY(Py_IS_TYPE(c->engine, &EngineType))) {
        Engine *e = (Engine *)c->engine;
        PyTypeObject *tp = Py_TYPE(r);
        if (tp == L_NEW.type)
            return do_submit(e, r);
        if (tp == L_CANCEL.type)
            return do_cancel(e, r, S_user);
        if (tp == L_MODIFY.type)
            return do_modify(e, r);
    }
    PyObject *a[2] = {c->engine, r};
    return PyObject_VectorcallMethod(S_handle, a, 2, NULL);
}

static int
core_handle_report(VenueCore *c, PyObject *r)
{
    PyObject *events = core_handle(c, r);
    if (events == NULL)
        return -1;
    int rc = core_report(c, events);
    Py_DECREF(events);
    return rc;
}

/* Whether the shown side of a ladder is `shown` (a price, or None for an empty side). */
static int
same_best(PyObject *shown, const Ladder *ld, int sign)
{
    if (ld->n == 0)
        return shown == Py_None;
    if (!PyLong_CheckExact(shown))
        return 0;
    int ovf;
    long long v = PyLong_AsLongLongAndOverflow(shown, &ovf);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return !ovf && v == sign * ld->a[ld->n - 1]->key;
}

/* Whether the guard's `after` has anything to do (the reference is
 * _PyVenueCore._guard_wants): 1 yes, 0 no, -1 error. */
static int
core_guard_wants(VenueCore *c, PyObject *guard, PyObject *request, PyObject *instrument,
                 PyObject *events)
{
    if (!PyList_CheckExact(events))
        return 1;
    Py_ssize_t n = PyList_GET_SIZE(events);
    for (Py_ssize_t i = 0; i < n; i++)
        if (Py_TYPE(PyList_GET_ITEM(events, i)) == (PyTypeObject *)EV_Trade)
            return 1;
    if (c->guard_top == NULL || !PyDict_CheckExact(c->guard_top) ||
        !Py_IS_TYPE(c->engine, &EngineType))
        return 1;
    PyObject *top = PyDict_GetItemWithError(c->guard_top, instrument);
    if (top == NULL)
        return PyErr_Occurred() ? -1 : 1;
    if (!PyTuple_CheckExact(top) || PyTuple_GET_SIZE(top) != 2)
        return 1;
    Book *b = find_book((Engine *)c->engine, instrument);
    if (b == NULL)
        return PyErr_Occurred() ? -1 : 1;
    if (!same_best(PyTuple_GET_ITEM(top, 0), &b->bids, 1) ||
        !same_best(PyTuple_GET_ITEM(top, 1), &b->asks, -1))
        return 1;
    if (Py_TYPE(request) != L_NEW.type)
        return 0;
    PyObject *clamped = PyObject_GetAttr(guard, S_clamped);
    if (clamped == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
        return 1;
    }
    int wants = clamped != Py_None;
    Py_DECREF(clamped);
    return wants;
}

/* A C venue's own view of an instrument, without Python calls. 1: the venue is a VenueCore
 * over the C engine, its status a dict that holds sym and the engine has sym's book; then
 * *trading is `venue.status[sym] in TRADING_STATES` and *book is venue.books[sym] (Venue's
 * `books` is the engine's books). 0: the caller takes the Python way. -1: an error (the book
 * is being changed, as its own methods would say). */
static int
venue_view(PyObject *venue, PyObject *sym, int *trading, Book **book)
{
    if (!PyObject_TypeCheck(venue, &VenueCoreType))
        return 0;
    VenueCore *c = (VenueCore *)venue;
    if (c->status == NULL || !PyDict_CheckExact(c->status) || c->engine == NULL ||
        !Py_IS_TYPE(c->engine, &EngineType))
        return 0;
    PyObject *s = PyDict_GetItemWithError(c->status, sym);
    if (s == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(s);
    int tr = PySet_Contains(TRADING_STATES, s);
    Py_DECREF(s);
    if (tr < 0)
        return -1;
    Book *b = find_book((Engine *)c->engine, sym);
    if (b == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (view_check(b) < 0)
        return -1;
    *trading = tr;
    *book = b;
    return 1;
}

static PyObject *
call_method3(PyObject *name, PyObject *self, PyObject *x, PyObject *y, PyObject *z, size_t n)
{
    PyObject *a[4] = {self, x, y, z};
    return PyObject_VectorcallMethod(name, a, n, NULL);
}

/* A lit venue's arrival (venue.Venue._arrive; the reference is _PyVenueCore._lit_arrive). */
static PyObject *
core_lit_arrive(VenueCore *c, PyObject *request)
{
    PyObject *self = (PyObject *)c;
    c->messages++;
    if (core_need_dict(c->status, "status") < 0)
        return NULL;
    static SlotCache instrument_slot[SLOT_CACHE];
    PyObject *instrument = slot_attr(request, S_instrument_attr, instrument_slot);
    if (instrument == NULL)
        return NULL;
    PyObject *status = PyDict_GetItemWithError(c->status, instrument);
    PyObject *events = NULL, *admitted = NULL, *r = NULL;
    if (status == NULL) {
        if (PyErr_Occurred() || core_handle_report(c, request) < 0)
            goto fail;
        goto done;
    }
    Py_INCREF(status);
    int trading = PySet_Contains(TRADING_STATES, status);
    if (trading <= 0) {
        if (trading == 0)
            r = call_method3(S_arrive_not_trading, self, request, status, NULL, 3);
        Py_DECREF(status);
        if (r == NULL)
            goto fail;
        Py_DECREF(r);
        goto done;
    }
    Py_DECREF(status);
    PyObject *guard = c->guard;
    if (core_need(guard, "guard") < 0)
        goto fail;
    Py_INCREF(guard);
    Py_INCREF(request);
    if (guard != Py_None && Py_TYPE(request) == L_NEW.type) {
        int own = own_method(guard, S_admit, D_admit);
        if (own < 0)
            goto fail_guard;
        admitted = own ? guard_admit_c(guard, self, request)
                       : call_method3(S_admit, guard, self, request, NULL, 3);
        if (admitted == NULL)
            goto fail_guard;
        if (Py_TYPE(admitted) == (PyTypeObject *)EV_OrderRejected) {
            PyObject *list = PyList_New(1);
            if (list == NULL)
                goto fail_guard;
            PyList_SET_ITEM(list, 0, admitted);
            admitted = NULL;
            int rc = core_report(c, list);
            Py_DECREF(list);
            if (rc < 0)
                goto fail_guard;
            Py_DECREF(guard);
            Py_DECREF(request);
            goto done;
        }
        Py_SETREF(request, admitted);
        admitted = NULL;
    }
    events = core_handle(c, request);
    if (events == NULL || core_report(c, events) < 0)
        goto fail_guard;
    if (core_need(c->subscribers, "_subscribers") < 0)
        goto fail_guard;
    int any = PyObject_IsTrue(c->subscribers);
    if (any < 0)
        goto fail_guard;
    if (any) {
        int own = own_method(self, S_publish_market_data, D_lit_publish);
        if (own < 0)
            goto fail_guard;
        r = own ? lit_publish(c, instrument, events, 0)
                : call_method3(S_publish_market_data, self, instrument, events, NULL, 3);
        if (r == NULL)
            goto fail_guard;
        Py_DECREF(r);
    }
    int wants = guard == Py_None ? 0 : core_guard_wants(c, guard, request, instrument, events);
    if (wants < 0)
        goto fail_guard;
    if (wants) {
        int own = own_method(guard, S_after, D_after);
        if (own < 0)
            goto fail_guard;
        r = own ? guard_after_c(guard, self, request, events)
                : call_method3(S_after, guard, self, request, events, 4);
        if (r == NULL)
            goto fail_guard;
        Py_DECREF(r);
    }
    Py_DECREF(events);
    Py_DECREF(guard);
    Py_DECREF(request);
done:
    Py_DECREF(instrument);
    Py_RETURN_NONE;
fail_guard:
    Py_XDECREF(events);
    Py_XDECREF(admitted);
    Py_DECREF(guard);
    Py_DECREF(request);
fail:
    Py_DECREF(instrument);
    return NULL;
}

/* A lit venue's market data after a request (venue.Venue._publish_market_data; the reference
 * is _PyVenueCore._lit_publish_market_data): the trades among `events`, and a Quote when the
 * top of the book changed since the last one published (or always with fresh_quote), handed
 * to the venue's _broadcast. The book's l1 is the C book's own (book.l1()) when the engine is
 * the C one. */
/* Whether `shown` (what _last_l1 holds) equals the C book's l1() tuple, told without making
 * it: 1 equal, 0 not, 2 cannot tell here (then make the tuple and compare). Items compare in
 * order, as a tuple's != does, so an item that is not an exact int or None stops it. */
static int
l1_same(PyObject *shown, Book *b)
{
    if (!PyTuple_CheckExact(shown) || PyTuple_GET_SIZE(shown) != 4)
        return 2;
    Ladder *lds[2] = {&b->bids, &b->asks};
    for (int k = 0; k < 2; k++) {
        Ladder *ld = lds[k];
        PyObject *px = PyTuple_GET_ITEM(shown, 2 * k), *q = PyTuple_GET_ITEM(shown, 2 * k + 1);
        int ovf;
        if (px == Py_None) {
            if (ld->n > 0)
                return 0;
        }
        else if (PyLong_CheckExact(px)) {
            if (ld->n == 0)
                return 0;
            long long v = PyLong_AsLongLongAndOverflow(px, &ovf);
            if (v == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                return 2;
            }
            if (ovf || v != ld->a[ld->n - 1]->price)
                return 0;
        }
        else {
            return 2;
        }
        if (!PyLong_CheckExact(q))
            return 2;
        long long qv = PyLong_AsLongLongAndOverflow(q, &ovf);
        if ((qv == -1 && PyErr_Occurred()) || ovf) {
            PyErr_Clear();
            return 2;
        }
        qsum_t have = ld->n ? (qsum_t)ld->a[ld->n - 1]->qty : 0;
        if ((qsum_t)qv != have)
            return 0;
    }
    return 1;
}

static PyObject *
core_lit_publish_md(VenueCore *c, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"instrument", "events", "fresh_quote"};
    PyObject *a[3];
    if (bind_args("_publish_market_data", args, nargs, kwnames, names, 2, 3, a) < 0)
        return NULL;
    int fresh = a[2] ? PyObject_IsTrue(a[2]) : 0;
    if (fresh < 0)
        return NULL;
    return lit_publish(c, a[0], a[1], fresh);
}

static PyObject *
lit_publish(VenueCore *c, PyObject *instrument, PyObject *events, int fresh)
{
    PyObject *self = (PyObject *)c;
    if (core_need(c->subscribers, "_subscribers") < 0)
        return NULL;
    int any = PyObject_IsTrue(c->subscribers);
    if (any <= 0)
        return any < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *md = NULL, *seq = NULL, *l1 = NULL, *last_l1 = NULL, *shown = NULL, *res = NULL;
    if ((md = PyList_New(0)) == NULL)
        goto done;
    if ((seq = PySequence_Fast(events, "market data events must be a sequence")) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *ev = PySequence_Fast_GET_ITEM(seq, i);
        if (Py_TYPE(ev) == (PyTypeObject *)EV_Trade && PyList_Append(md, ev) < 0)
            goto done;
    }
    if (core_need(c->engine, "engine") < 0)
        goto done;
    Book *b = Py_IS_TYPE(c->engine, &EngineType) ? find_book((Engine *)c->engine, instrument)
                                                 : NULL;
    int same = 2; /* l1 == shown: 1, 0, or 2 not known yet */
    if (b != NULL) {
        if (view_check(b) < 0)
            goto done;
    }
    else if (!PyErr_Occurred()) {
        PyObject *books = PyObject_GetAttr(c->engine, S_books_md);
        PyObject *book = books ? PyObject_GetItem(books, instrument) : NULL;
        Py_XDECREF(books);
        l1 = book ? PyObject_CallMethodNoArgs(book, S_l1_md) : NULL;
        Py_XDECREF(book);
        if (l1 == NULL)
            goto done;
    }
    else {
        goto done;
    }
    if (core_need(c->last_l1, "_last_l1") < 0)
        goto done;
    last_l1 = Py_NewRef(c->last_l1);
    if (!fresh) {
        if (PyDict_CheckExact(last_l1)) {
            shown = PyDict_GetItemWithError(last_l1, instrument);
            if (shown == NULL && PyErr_Occurred())
                goto done;
            shown = Py_NewRef(shown != NULL ? shown : Py_None);
        }
        else if ((shown = PyObject_CallMethodOneArg(last_l1, S_get_md, instrument)) == NULL) {
            goto done;
        }
        if (b != NULL)
            same = l1_same(shown, b);
    }
    if (same == 2 && b != NULL && (l1 = book_l1(b, NULL)) == NULL)
        goto done;
    int changed;
    if (fresh) {
        changed = 1;
    }
    else if (same != 2) {
        changed = !same;
    }
    else if ((changed = PyObject_RichCompareBool(l1, shown, Py_NE)) < 0) {
        goto done;
    }
    if (changed && l1 == NULL && (l1 = book_l1(b, NULL)) == NULL)
        goto done;
    if (changed) {
        if (PyObject_SetItem(last_l1, instrument, l1) < 0)
            goto done;
        if (!PyTuple_Check(l1) || PyTuple_GET_SIZE(l1) != 4) {
            PyErr_Format(PyExc_TypeError, "book.l1()=%R must be (bid, bid_qty, ask, ask_qty)", l1);
            goto done;
        }
        PyObject *bid = PyTuple_GET_ITEM(l1, 0), *ask = PyTuple_GET_ITEM(l1, 2);
        int hb = PyObject_IsTrue(bid), ha = hb < 0 ? -1 : PyObject_IsTrue(ask);
        long long now;
        if (ha < 0 || core_need(c->name, "name") < 0 || core_now(c, &now) < 0)
            goto done;
        PyObject *now_o = PyLong_FromLongLong(now);
        if (now_o == NULL)
            goto done;
        PyObject *f[7] = {now_o, c->name, instrument, hb ? bid : ZERO, PyTuple_GET_ITEM(l1, 1),
                          ha ? ask : ZERO, PyTuple_GET_ITEM(l1, 3)};
        PyObject *quote = make(EV_Quote, f, 7);
        Py_DECREF(now_o);
        if (quote == NULL)
            goto done;
        int rc = PyList_Append(md, quote);
        Py_DECREF(quote);
        if (rc < 0)
            goto done;
    }
    if (PyList_GET_SIZE(md) > 0) {
        int own = own_method(self, S_broadcast, D_broadcast);
        if (own < 0)
            goto done;
        PyObject *ba[2] = {self, md};
        PyObject *r = own ? venue_broadcast(self, md)
                          : PyObject_VectorcallMethod(S_broadcast, ba, 2, NULL);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(md);
    Py_XDECREF(seq);
    Py_XDECREF(l1);
    Py_XDECREF(last_l1);
    Py_XDECREF(shown);
    return res;
}

/* --- the type ----------------------------------------------------------------------------- */

static int
core_traverse(VenueCore *c, visitproc visit, void *arg)
{
    Py_VISIT(c->name);
    Py_VISIT(c->loop);
    Py_VISIT(c->call_at);
    Py_VISIT(c->now_ns);
    Py_VISIT(c->status);
    Py_VISIT(c->engine);
    Py_VISIT(c->guard);
    Py_VISIT(c->latency);
    Py_VISIT(c->routes);
    Py_VISIT(c->subscribers);
    Py_VISIT(c->arrive);
    Py_VISIT(c->guard_top);
    Py_VISIT(c->config);
    Py_VISIT(c->last_l1);
    Py_VISIT(c->deliver);
    return 0;
}

static int
core_clear(VenueCore *c)
{
    Py_CLEAR(c->name);
    Py_CLEAR(c->loop);
    Py_CLEAR(c->call_at);
    Py_CLEAR(c->now_ns);
    Py_CLEAR(c->status);
    Py_CLEAR(c->engine);
    Py_CLEAR(c->guard);
    Py_CLEAR(c->latency);
    Py_CLEAR(c->routes);
    Py_CLEAR(c->subscribers);
    Py_CLEAR(c->arrive);
    Py_CLEAR(c->guard_top);
    Py_CLEAR(c->config);
    Py_CLEAR(c->last_l1);
    Py_CLEAR(c->deliver);
    return 0;
}

static void
core_dealloc(VenueCore *c)
{
    PyObject_GC_UnTrack(c);
    core_clear(c);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyObject *
core_get_loop(VenueCore *c, void *closure)
{
    (void)closure;
    if (c->loop == NULL) {
        PyErr_SetString(PyExc_AttributeError, "venue has no attribute 'loop'");
        return NULL;
    }
    return Py_NewRef(c->loop);
}

/* A core's `loop` setter: the loop and its bound call_at and now_ns, all or nothing (the
 * venue core's and the SIP's). */
static int
set_loop_fields(PyObject *loop, PyObject **loop_f, PyObject **call_at_f, PyObject **now_ns_f)
{
    if (loop == NULL) {
        PyErr_SetString(PyExc_AttributeError, "loop cannot be deleted");
        return -1;
    }
    PyObject *call_at = PyObject_GetAttr(loop, S_call_at);
    if (call_at == NULL)
        return -1;
    PyObject *now_ns = PyObject_GetAttr(loop, S_now_ns_attr);
    if (now_ns == NULL) {
        Py_DECREF(call_at);
        return -1;
    }
    Py_XSETREF(*call_at_f, call_at);
    Py_XSETREF(*now_ns_f, now_ns);
    Py_XSETREF(*loop_f, Py_NewRef(loop));
    return 0;
}

static int
core_set_loop(VenueCore *c, PyObject *loop, void *closure)
{
    (void)closure;
    return set_loop_fields(loop, &c->loop, &c->call_at, &c->now_ns);
}

static PyMethodDef core_methods[] = {
    {"submit", FASTCALL_KW(core_submit),
     "submit(owner, instrument, side, qty, price=0, order_type=LIMIT, tif=DAY, "
     "client_order_id='') -> the venue order id; the NewOrder arrives after the owner's "
     "latency."},
    {"cancel", FASTCALL_KW(core_cancel), "cancel(owner, instrument, order_id)"},
    {"modify", FASTCALL_KW(core_modify), "modify(owner, instrument, order_id, price, qty)"},
    {"_report", (PyCFunction)core_report_method, METH_O,
     "_report(events): each execution report to its owner after the return latency."},
    {"_lit_arrive", (PyCFunction)core_lit_arrive, METH_O,
     "_lit_arrive(request): a lit venue's arrival (Venue._arrive)."},
    {"_lit_publish_market_data", FASTCALL_KW(core_lit_publish_md),
     "_lit_publish_market_data(instrument, events, fresh_quote=False): a lit venue's market "
     "data after a request (Venue._publish_market_data)."},
    {NULL, NULL, 0, NULL},
};

#define CORE_OBJ(n, field)                                                                    \
    {                                                                                         \
        n, FG_OBJECT_EX, offsetof(VenueCore, field), 0, NULL                                  \
    }
#if PY_VERSION_HEX >= 0x030C0000
#define FG_LONGLONG Py_T_LONGLONG
#else
#define FG_LONGLONG T_LONGLONG
#endif

static PyMemberDef core_members[] = {
    CORE_OBJ("name", name),
    CORE_OBJ("status", status),
    CORE_OBJ("engine", engine),
    CORE_OBJ("guard", guard),
    CORE_OBJ("_latency", latency),
    CORE_OBJ("_routes", routes),
    CORE_OBJ("_subscribers", subscribers),
    CORE_OBJ("_arrive_cb", arrive),
    CORE_OBJ("_guard_top", guard_top),
    CORE_OBJ("config", config),
    CORE_OBJ("_last_l1", last_l1),
    {"_entry_latency_ns", FG_LONGLONG, offsetof(VenueCore, entry_latency), 0, NULL},
    {"_next_order_id", FG_LONGLONG, offsetof(VenueCore, next_order_id), 0, NULL},
    {"messages", FG_LONGLONG, offsetof(VenueCore, messages), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef core_getset[] = {
    {"loop", (getter)core_get_loop, (setter)core_set_loop, "the event loop", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject VenueCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.VenueCore",
    .tp_doc = "A venue's order entry, report delivery and lit arrival path (C implementation "
              "of flashguard.market.venue._PyVenueCore).",
    .tp_basicsize = sizeof(VenueCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_methods = core_methods,
    .tp_members = core_members,
    .tp_getset = core_getset,
};

static int
venue_core_init_module(PyObject *m)
{
    if (intern(&S_owner_attr, "owner") < 0 || intern(&S_instrument_attr, "instrument") < 0 ||
        intern(&S_admit, "admit") < 0 || intern(&S_after, "after") < 0 ||
        intern(&S_handle, "handle") < 0 ||
        intern(&S_arrive_not_trading, "_arrive_not_trading") < 0 ||
        intern(&S_publish_market_data, "_publish_market_data") < 0 ||
        intern(&S_call_at, "call_at") < 0 || intern(&S_now_ns_attr, "now_ns") < 0 ||
        intern(&S_empty, "") < 0 || intern(&S_clamped, "_clamped") < 0 ||
        intern(&S_broadcast, "_broadcast") < 0 || intern(&S_last_l1, "_last_l1") < 0 ||
        intern(&S_books_md, "books") < 0 || intern(&S_l1_md, "l1") < 0 ||
        intern(&S_get_md, "get") < 0)
        return -1;
    PyObject *events = PyImport_ImportModule("flashguard.core.events");
    if (events == NULL)
        return -1;
    EV_Quote = PyObject_GetAttrString(events, "Quote");
    Py_DECREF(events);
    if (EV_Quote == NULL)
        return -1;
    ZERO = PyLong_FromLong(0);
    if (ZERO == NULL)
        return -1;
    LOOP_API = PyCapsule_Import(FG_CLOOP_API_CAPSULE, 0);
    if (LOOP_API == NULL)
        PyErr_Clear(); /* the C loop is not built: every loop call goes through Python */
    else if (LOOP_API->version != FG_CLOOP_API_VERSION)
        LOOP_API = NULL;
    PyObject *open = PyUnicode_InternFromString("open");
    PyObject *limit_state = PyUnicode_InternFromString("limit_state");
    PyObject *states = (open && limit_state) ? PyTuple_Pack(2, open, limit_state) : NULL;
    Py_XDECREF(open);
    Py_XDECREF(limit_state);
    if (states == NULL)
        return -1;
    TRADING_STATES = PyFrozenSet_New(states);
    Py_DECREF(states);
    if (TRADING_STATES == NULL || PyType_Ready(&VenueCoreType) < 0)
        return -1;
    D_lit_publish = PyDict_GetItemString(VenueCoreType.tp_dict, "_lit_publish_market_data");
    if (D_lit_publish == NULL)
        return -1;
    Py_INCREF(D_lit_publish);
    if (PyModule_AddType(m, &VenueCoreType) < 0) /* as "VenueCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_VENUE_H */
