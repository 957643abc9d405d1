/* The exchange protections that run on every order and trade, in C: `LuldCore` (the base of
 * protections.luld.Luld; reference protections.luld.PyLuld) and `StopCore` (the base of
 * protections.stop_logic.StopLogic; reference protections.stop_logic.PyStopLogic).
 * Included once, by _cengine.c; see there.
 *
 * Same calls, same answers, same Transitions, same errors as the references: the window of
 * trades and the rolling minimum and maximum are ring buffers of int64, the reference price is
 * the same exact fraction (num / den, compared in 128-bit integers) and the bands of a
 * reference are still computed by the Python `luld_bands` (exact Fraction arithmetic), once
 * per reference and doubling, as the reference caches them. Parameter validation stays in
 * Python (the subclasses' __init__ validates, then calls `_setup`), and so do the messages of
 * bad inputs (the checks' require_int and require_time are called to raise them).
 */
#ifndef FLASHGUARD_CENGINE_PROT_H
#define FLASHGUARD_CENGINE_PROT_H

/* --- a ring buffer of (t, price, qty) ----------------------------------------------------- */

typedef struct {
    int64_t t, p, q;
} Rec;

typedef struct {
    Rec *a;
    Py_ssize_t head, n, cap; /* cap: 0 or a power of two */
} Ring;

static int
ring_push(Ring *r, int64_t t, int64_t p, int64_t q)
{
    if (UNLIKELY(r->n == r->cap)) {
        Py_ssize_t cap = r->cap ? r->cap * 2 : 16;
        Rec *a = PyMem_Malloc((size_t)cap * sizeof(Rec));
        if (a == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < r->n; i++)
            a[i] = r->a[(r->head + i) & (r->cap - 1)];
        PyMem_Free(r->a);
        r->a = a;
        r->head = 0;
        r->cap = cap;
    }
    Rec *x = &r->a[(r->head + r->n) & (r->cap - 1)];
    x->t = t;
    x->p = p;
    x->q = q;
    r->n++;
    return 0;
}

static inline Rec *
ring_front(Ring *r)
{
    return &r->a[r->head];
}

static inline Rec *
ring_back(Ring *r)
{
    return &r->a[(r->head + r->n - 1) & (r->cap - 1)];
}

static inline void
ring_pop_front(Ring *r)
{
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
}

static inline void
ring_clear(Ring *r)
{
    r->head = 0;
    r->n = 0;
}

static void
ring_free(Ring *r)
{
    PyMem_Free(r->a);
    r->a = NULL;
    r->head = r->n = r->cap = 0;
}

/* --- shared: statuses, reasons, the Python helpers ---------------------------------------- */

enum { PS_OPEN, PS_LIMIT_STATE, PS_PAUSED, PS_HALTED, PS_AUCTION, PS_CLOSED, PS_COUNT };
static const char *const PS_NAMES[PS_COUNT] = {"open",   "limit_state", "paused",
                                               "halted", "auction",     "closed"};
static PyObject *PS_STR[PS_COUNT];
static PyObject *R_limit_state_not_cleared, *R_pause_elapsed, *R_limit_state_cleared,
    *R_reopened, *R_reopen_extended, *R_offer_at_lower_band, *R_bid_at_upper_band,
    *R_stop_logic, *R_price_ticks, *R_qty, *R_t_ns;
static PyObject *G_Transition, *G_luld_bands, *G_Fraction, *G_require_int, *G_require_time;
static PyObject *MINUS_ONE;

static int
prot_import(PyObject **slot, const char *module, const char *name)
{
    if (*slot != NULL)
        return 0;
    PyObject *m = PyImport_ImportModule(module);
    if (m == NULL)
        return -1;
    *slot = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return *slot ? 0 : -1;
}

/* The Python helpers, imported at the first protection's _setup (not at module import: the
 * protections' modules import this one). */
static int
prot_imports(void)
{
    if (G_require_time != NULL)
        return 0;
    if (prot_import(&G_Transition, "flashguard.market.protections.transition", "Transition") < 0 ||
        prot_import(&G_luld_bands, "flashguard.market.protections.luld_bands", "luld_bands") < 0 ||
        prot_import(&G_Fraction, "fractions", "Fraction") < 0 ||
        prot_import(&G_require_int, "flashguard.market.protections.checks", "require_int") < 0 ||
        prot_import(&G_require_time, "flashguard.market.protections.checks", "require_time") < 0)
        return -1;
    return 0;
}

static int
prot_ready(PyObject *setup_marker)
{
    if (UNLIKELY(setup_marker == NULL || G_require_time == NULL)) {
        PyErr_SetString(PyExc_RuntimeError, "protection used before _setup()");
        return -1;
    }
    return 0;
}

/* An int argument that must fit in int64 (times). */
static int
prot_i64(PyObject *v, const char *what, int64_t *out)
{
    long long x;
    if (core_int64(v, what, &x) < 0)
        return -1;
    *out = (int64_t)x;
    return 0;
}

/* A checked input (a price, a size): the reference's `type(v) is not int or v < minimum` test,
 * then require_int for the message; -1 with the error set. */
static int
prot_checked(PyObject *v, PyObject *field, long minimum, int64_t *out)
{
    if (LIKELY(PyLong_CheckExact(v))) {
        int ovf;
        long long x = PyLong_AsLongLongAndOverflow(v, &ovf);
        if (x == -1 && PyErr_Occurred())
            return -1;
        if (LIKELY(!ovf && x >= minimum)) {
            *out = x;
            return 0;
        }
    }
    PyObject *mn = PyLong_FromLong(minimum);
    if (mn == NULL)
        return -1;
    PyObject *a[3] = {field, v, mn};
    PyObject *r = PyObject_Vectorcall(G_require_int, a, 3, NULL);
    Py_DECREF(mn);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    /* accepted by the reference (an int subclass, a huge int) */
    int ovf;
    long long x = PyLong_AsLongLongAndOverflow(v, &ovf);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (ovf) {
        PyErr_Format(PyExc_OverflowError, "%S=%R does not fit in a signed 64-bit integer",
                     field, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* require_time("t_ns", t, now): raises the reference's error. */
static int
prot_backwards(int64_t t, int64_t now)
{
    PyObject *t_o = PyLong_FromLongLong(t), *n_o = PyLong_FromLongLong(now);
    if (t_o != NULL && n_o != NULL) {
        PyObject *a[3] = {R_t_ns, t_o, n_o};
        PyObject *r = PyObject_Vectorcall(G_require_time, a, 3, NULL);
        Py_XDECREF(r);
        if (r != NULL)
            PyErr_Format(PyExc_ValueError, "t_ns=%lld is before the previous call's t_ns=%lld",
                         (long long)t, (long long)now);
    }
    Py_XDECREF(t_o);
    Py_XDECREF(n_o);
    return -1;
}

static int
prot_require_status(const char *call, int64_t t, int status, int wanted)
{
    if (status == wanted)
        return 0;
    PyErr_Format(PyExc_RuntimeError, "%s at t_ns=%lld: status=%R, expected %R", call,
                 (long long)t, PS_STR[status], PS_STR[wanted]);
    return -1;
}

/* Append Transition(t, status, reason[, until]) to the list `pending`. */
static int
prot_pend(PyObject *pending, int64_t t, int status, PyObject *reason, int has_until,
          int64_t until)
{
    PyObject *t_o = PyLong_FromLongLong(t);
    PyObject *u_o = has_until ? PyLong_FromLongLong(until) : NULL;
    if (t_o == NULL || (has_until && u_o == NULL)) {
        Py_XDECREF(t_o);
        Py_XDECREF(u_o);
        return -1;
    }
    PyObject *a[4] = {t_o, PS_STR[status], reason, u_o};
    PyObject *tr = PyObject_Vectorcall(G_Transition, a, has_until ? 4 : 3, NULL);
    Py_DECREF(t_o);
    Py_XDECREF(u_o);
    if (tr == NULL)
        return -1;
    int rc = PyList_Append(pending, tr);
    Py_DECREF(tr);
    return rc;
}

/* The pending transitions, handed over (the reference's _drain). */
static PyObject *
prot_drain(PyObject **pending)
{
    if (PyList_GET_SIZE(*pending) == 0)
        return PyList_New(0);
    PyObject *fresh = PyList_New(0);
    if (fresh == NULL)
        return NULL;
    PyObject *out = *pending;
    *pending = fresh;
    return out;
}

static PyObject *
opt_i64(int has, int64_t v)
{
    return has ? PyLong_FromLongLong(v) : Py_NewRef(Py_None);
}

/* None or an int64 (a quote side). 1 present, 0 None, -1 error. */
static int
opt_arg(PyObject *v, const char *what, int64_t *out)
{
    if (v == Py_None)
        return 0;
    return prot_i64(v, what, out) < 0 ? -1 : 1;
}

/* ------------------------------------------------------------------------------------------ */
/* LULD                                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define NS_PER_SECOND_ 1000000000LL
#define NS_PER_DAY_ (86400LL * NS_PER_SECOND_)

typedef struct {
    PyObject *obj; /* the (lower, upper) tuple, or NULL */
    int64_t lo, hi;
} BandsC;

typedef struct {
    PyObject_HEAD
    PyObject *params;
    PyObject *tick;    /* Fraction */
    PyObject *pending; /* list of Transition; NULL before _setup */
    BandsC cache[2];   /* by doubled */
    BandsC frozen;     /* bands held in a limit state or pause */
    int64_t *doubling; /* [start, end) ns of day, pairs */
    Py_ssize_t ndoubling;
    int64_t midnight, span, mn, md, limit_state_ns, pause_ns, extension_ns;
    int64_t doubled_until, deadline, now;
    int64_t ref_num, ref_den, sum_price;
    Ring window;
    int tier, enabled, status, doubled_now, has_until, has_deadline, has_now;
} LuldCore;

static PyTypeObject LuldCoreType;

static void
bands_clear(BandsC *b)
{
    Py_CLEAR(b->obj);
}

static int
luld_push(LuldCore *l, int64_t t, int64_t p, int64_t q)
{
    int64_t s;
    if (UNLIKELY(__builtin_add_overflow(l->sum_price, p, &s))) {
        PyErr_SetString(PyExc_OverflowError, "LULD window: the sum of prices overflows int64");
        return -1;
    }
    if (ring_push(&l->window, t, p, q) < 0)
        return -1;
    l->sum_price = s;
    return 0;
}

static void
luld_set_reference(LuldCore *l, int64_t num, int64_t den)
{
    if ((__int128)num * l->ref_den != (__int128)l->ref_num * den) {
        bands_clear(&l->cache[0]);
        bands_clear(&l->cache[1]);
    }
    l->ref_num = num;
    l->ref_den = den;
}

static void
luld_follow_mean(LuldCore *l)
{
    int64_t n = l->window.n;
    if (!n)
        return;
    int64_t total = l->sum_price;
    if (!l->ref_den) {
        luld_set_reference(l, total, n);
        return;
    }
    __int128 rn = l->ref_num, rd = l->ref_den;
    __int128 diff = (__int128)total * rd - rn * n;
    if (diff < 0)
        diff = -diff;
    /* |total/n - ref| >= move * ref: both sides stay far inside 128 bits for int64 inputs
     * whose products the reference computes exactly (|diff| < 2**127 / md) */
    if (diff * l->md >= (__int128)l->mn * rn * n)
        luld_set_reference(l, total, n);
}

static int
luld_fire(LuldCore *l, int64_t deadline)
{
    if (l->status == PS_LIMIT_STATE) {
        l->status = PS_PAUSED;
        l->deadline = deadline + l->pause_ns;
        l->has_deadline = 1;
        return prot_pend(l->pending, deadline, PS_PAUSED, R_limit_state_not_cleared, 1,
                         l->deadline);
    }
    l->status = PS_AUCTION;
    l->has_deadline = 0;
    return prot_pend(l->pending, deadline, PS_AUCTION, R_pause_elapsed, 0, 0);
}

static int
luld_advance(LuldCore *l, int64_t t)
{
    if (l->has_now && t == l->now)
        return 0;
    if (l->has_now && t < l->now)
        return prot_backwards(t, l->now);
    l->now = t;
    l->has_now = 1;
    Ring *w = &l->window;
    for (;;) {
        int has_exp = w->n > 0;
        int64_t oldest = has_exp ? ring_front(w)->t : 0;
        int64_t expiry = oldest + l->span;
        if (l->has_deadline && l->deadline <= t && (!has_exp || l->deadline <= expiry)) {
            if (luld_fire(l, l->deadline) < 0)
                return -1;
        }
        else if (has_exp && expiry <= t) {
            while (w->n > 0 && ring_front(w)->t == oldest) {
                l->sum_price -= ring_front(w)->p;
                ring_pop_front(w);
            }
            if (l->status == PS_OPEN)
                luld_follow_mean(l);
        }
        else {
            return 0;
        }
    }
}

static int
luld_doubled(LuldCore *l, int64_t t)
{
    if (l->has_until && t < l->doubled_until)
        return l->doubled_now;
    __int128 d = ((__int128)t - l->midnight) % NS_PER_DAY_;
    if (d < 0)
        d += NS_PER_DAY_;
    int64_t ns = (int64_t)d;
    int doubled = 0;
    int64_t next_edge = NS_PER_DAY_;
    for (Py_ssize_t i = 0; i < l->ndoubling; i++) {
        int64_t s = l->doubling[2 * i], e = l->doubling[2 * i + 1];
        if (s <= ns && ns < e)
            doubled = 1;
        if (s > ns && s < next_edge)
            next_edge = s;
        if (e > ns && e < next_edge)
            next_edge = e;
    }
    l->doubled_now = doubled;
    l->doubled_until = t - ns + next_edge;
    l->has_until = 1;
    return doubled;
}

/* The bands of the reference in effect (NULL out->obj: no reference yet). Borrowed. */
static int
luld_current_bands(LuldCore *l, int64_t t, BandsC **out)
{
    *out = NULL;
    if (!l->ref_den)
        return 0;
    int doubled = luld_doubled(l, t);
    BandsC *b = &l->cache[doubled];
    if (b->obj == NULL) {
        PyObject *num = PyLong_FromLongLong(l->ref_num), *den = PyLong_FromLongLong(l->ref_den);
        PyObject *ref = NULL, *tier = NULL, *res = NULL;
        if (num && den) {
            PyObject *a[2] = {num, den};
            ref = PyObject_Vectorcall(G_Fraction, a, 2, NULL);
        }
        if (ref && (tier = PyLong_FromLong(l->tier)) != NULL) {
            PyObject *a[4] = {ref, l->tick, tier, doubled ? Py_True : Py_False};
            res = PyObject_Vectorcall(G_luld_bands, a, 4, NULL);
        }
        Py_XDECREF(num);
        Py_XDECREF(den);
        Py_XDECREF(ref);
        Py_XDECREF(tier);
        if (res == NULL)
            return -1;
        long long lo, hi;
        if (!PyTuple_CheckExact(res) || PyTuple_GET_SIZE(res) != 2 ||
            core_int64(PyTuple_GET_ITEM(res, 0), "lower band", &lo) < 0 ||
            core_int64(PyTuple_GET_ITEM(res, 1), "upper band", &hi) < 0) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "luld_bands returned %R, not (lower, upper)", res);
            Py_DECREF(res);
            return -1;
        }
        b->obj = res;
        b->lo = lo;
        b->hi = hi;
    }
    *out = b;
    return 0;
}

/* The limit-state reason of a quote against bands, or NULL. */
static PyObject *
luld_at_band(const BandsC *b, int has_bid, int64_t bid, int has_ask, int64_t ask)
{
    if (has_ask && ask <= b->lo)
        return R_offer_at_lower_band;
    if (has_bid && bid >= b->hi)
        return R_bid_at_upper_band;
    return NULL;
}

/* bands(t): borrowed, NULL out for None. */
static int
luld_bands_c(LuldCore *l, int64_t t, BandsC **out)
{
    *out = NULL;
    if (!l->enabled)
        return 0;
    if (luld_advance(l, t) < 0)
        return -1;
    if (l->frozen.obj != NULL) {
        *out = &l->frozen;
        return 0;
    }
    return luld_current_bands(l, t, out);
}

static int
luld_on_trade_c(LuldCore *l, int64_t t, int64_t price, int64_t qty)
{
    if (!l->enabled)
        return 0;
    if (luld_advance(l, t) < 0 || luld_push(l, t, price, qty) < 0)
        return -1;
    if (l->status == PS_OPEN)
        luld_follow_mean(l);
    return 0;
}

/* on_quote without the drain: the transitions wait in l->pending. */
static int
luld_on_quote_c(LuldCore *l, int64_t t, int has_bid, int64_t bid, int has_ask, int64_t ask)
{
    if (!l->enabled)
        return 0;
    if (luld_advance(l, t) < 0)
        return -1;
    if (l->status == PS_LIMIT_STATE) {
        if (luld_at_band(&l->frozen, has_bid, bid, has_ask, ask) == NULL) {
            l->status = PS_OPEN;
            bands_clear(&l->frozen);
            l->has_deadline = 0;
            if (l->window.n)
                luld_set_reference(l, l->sum_price, l->window.n);
            if (prot_pend(l->pending, t, PS_OPEN, R_limit_state_cleared, 0, 0) < 0)
                return -1;
        }
    }
    if (l->status == PS_OPEN) {
        BandsC *b;
        if (luld_current_bands(l, t, &b) < 0)
            return -1;
        PyObject *reason = b == NULL ? NULL : luld_at_band(b, has_bid, bid, has_ask, ask);
        if (reason != NULL) {
            l->status = PS_LIMIT_STATE;
            l->frozen.obj = Py_NewRef(b->obj);
            l->frozen.lo = b->lo;
            l->frozen.hi = b->hi;
            l->deadline = t + l->limit_state_ns;
            l->has_deadline = 1;
            if (prot_pend(l->pending, t, PS_LIMIT_STATE, reason, 1, l->deadline) < 0)
                return -1;
        }
    }
    return 0;
}

static PyObject *
luld_setup(LuldCore *l, PyObject *const *args, Py_ssize_t nargs)
{
    /* (params, tick, tier, midnight_ns, doubling, span, move_num, move_den, limit_state_ns,
     *  pause_ns, extension_ns, enabled) */
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "_setup takes 12 arguments");
        return NULL;
    }
    if (prot_imports() < 0)
        return NULL;
    long long tier, midnight, span, mn, md, ls, ps, es;
    if (core_int64(args[2], "tier", &tier) < 0 || core_int64(args[3], "midnight_ns", &midnight) < 0 ||
        core_int64(args[5], "ref_window_ns", &span) < 0 ||
        core_int64(args[6], "ref_min_move numerator", &mn) < 0 ||
        core_int64(args[7], "ref_min_move denominator", &md) < 0 ||
        core_int64(args[8], "limit_state_ns", &ls) < 0 || core_int64(args[9], "pause_ns", &ps) < 0 ||
        core_int64(args[10], "extension_ns", &es) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(args[4], "doubling must be a sequence of (start, end)");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int64_t *d = PyMem_Malloc((size_t)(n ? n : 1) * 2 * sizeof(int64_t));
    if (d == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        long long s, e;
        if (!PyTuple_Check(w) || PyTuple_GET_SIZE(w) != 2 ||
            core_int64(PyTuple_GET_ITEM(w, 0), "doubling start", &s) < 0 ||
            core_int64(PyTuple_GET_ITEM(w, 1), "doubling end", &e) < 0) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "doubling window=%R must be (start, end)", w);
            PyMem_Free(d);
            Py_DECREF(seq);
            return NULL;
        }
        d[2 * i] = s;
        d[2 * i + 1] = e;
    }
    Py_DECREF(seq);
    PyObject *pending = PyList_New(0);
    if (pending == NULL) {
        PyMem_Free(d);
        return NULL;
    }
    int enabled = PyObject_IsTrue(args[11]);
    if (enabled < 0) {
        PyMem_Free(d);
        Py_DECREF(pending);
        return NULL;
    }
    PyMem_Free(l->doubling);
    l->doubling = d;
    l->ndoubling = n;
    Py_XSETREF(l->params, Py_NewRef(args[0]));
    Py_XSETREF(l->tick, Py_NewRef(args[1]));
    Py_XSETREF(l->pending, pending);
    bands_clear(&l->cache[0]);
    bands_clear(&l->cache[1]);
    bands_clear(&l->frozen);
    ring_clear(&l->window);
    l->tier = (int)tier;
    l->midnight = midnight;
    l->span = span;
    l->mn = mn;
    l->md = md;
    l->limit_state_ns = ls;
    l->pause_ns = ps;
    l->extension_ns = es;
    l->enabled = enabled;
    l->status = PS_OPEN;
    l->doubled_now = l->has_until = l->has_deadline = l->has_now = 0;
    l->ref_num = l->ref_den = l->sum_price = 0;
    Py_RETURN_NONE;
}

static PyObject *
bands_obj(const BandsC *b)
{
    return b == NULL ? Py_NewRef(Py_None) : Py_NewRef(b->obj);
}

static PyObject *
luld_on_trade(LuldCore *l, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "on_trade(t_ns, price_ticks, qty)");
        return NULL;
    }
    if (prot_ready(l->pending) < 0)
        return NULL;
    if (!l->enabled)
        Py_RETURN_NONE;
    int64_t t, p, q;
    if (prot_checked(args[1], R_price_ticks, 1, &p) < 0 || prot_checked(args[2], R_qty, 1, &q) < 0 ||
        prot_i64(args[0], "t_ns", &t) < 0 || luld_on_trade_c(l, t, p, q) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
luld_on_quote(LuldCore *l, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "on_quote(t_ns, best_bid, best_ask)");
        return NULL;
    }
    if (prot_ready(l->pending) < 0)
        return NULL;
    if (!l->enabled)
        return PyList_New(0);
    int64_t t, bid = 0, ask = 0;
    int hb, ha;
    if (prot_i64(args[0], "t_ns", &t) < 0 || (hb = opt_arg(args[1], "best_bid", &bid)) < 0 ||
        (ha = opt_arg(args[2], "best_ask", &ask)) < 0 ||
        luld_on_quote_c(l, t, hb, bid, ha, ask) < 0)
        return NULL;
    return prot_drain(&l->pending);
}

static PyObject *
luld_poll(LuldCore *l, PyObject *t_obj)
{
    if (prot_ready(l->pending) < 0)
        return NULL;
    if (!l->enabled)
        return PyList_New(0);
    int64_t t;
    if (prot_i64(t_obj, "t_ns", &t) < 0 || luld_advance(l, t) < 0)
        return NULL;
    return prot_drain(&l->pending);
}

static PyObject *
luld_reopened(LuldCore *l, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "reopened(t_ns, price_ticks)");
        return NULL;
    }
    if (prot_ready(l->pending) < 0)
        return NULL;
    int64_t t;
    if (prot_i64(args[0], "t_ns", &t) < 0 || luld_advance(l, t) < 0 ||
        prot_require_status("reopened", t, l->status, PS_AUCTION) < 0)
        return NULL;
    l->status = PS_OPEN;
    bands_clear(&l->frozen);
    ring_clear(&l->window);
    l->sum_price = 0;
    if (args[1] != Py_None) {
        int64_t p;
        if (prot_checked(args[1], R_price_ticks, 1, &p) < 0)
            return NULL;
        /* the auction is one print whatever its size: it counts once in the mean */
        if (luld_push(l, t, p, 0) < 0)
            return NULL;
        luld_set_reference(l, p, 1);
    }
    if (prot_pend(l->pending, t, PS_OPEN, R_reopened, 0, 0) < 0)
        return NULL;
    return prot_drain(&l->pending);
}

static PyObject *
luld_extend(LuldCore *l, PyObject *t_obj)
{
    if (prot_ready(l->pending) < 0)
        return NULL;
    int64_t t;
    if (prot_i64(t_obj, "t_ns", &t) < 0 || luld_advance(l, t) < 0 ||
        prot_require_status("extend", t, l->status, PS_AUCTION) < 0)
        return NULL;
    l->status = PS_PAUSED;
    l->deadline = t + l->extension_ns;
    l->has_deadline = 1;
    if (prot_pend(l->pending, t, PS_PAUSED, R_reopen_extended, 1, l->deadline) < 0)
        return NULL;
    return prot_drain(&l->pending);
}

static PyObject *
luld_bands_m(LuldCore *l, PyObject *t_obj)
{
    if (prot_ready(l->pending) < 0)
        return NULL;
    int64_t t;
    BandsC *b;
    if (prot_i64(t_obj, "t_ns", &t) < 0 || luld_bands_c(l, t, &b) < 0)
        return NULL;
    return bands_obj(b);
}

static PyObject *
luld_allows(LuldCore *l, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "allows(t_ns, price_ticks)");
        return NULL;
    }
    if (prot_ready(l->pending) < 0)
        return NULL;
    int64_t t;
    BandsC *b;
    if (prot_i64(args[0], "t_ns", &t) < 0 || luld_bands_c(l, t, &b) < 0)
        return NULL;
    if (b == NULL)
        Py_RETURN_TRUE;
    PyObject *lo = PyTuple_GET_ITEM(b->obj, 0), *hi = PyTuple_GET_ITEM(b->obj, 1);
    int r = PyObject_RichCompareBool(lo, args[1], Py_LE);
    if (r > 0)
        r = PyObject_RichCompareBool(args[1], hi, Py_LE);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

static PyObject *
luld_next_deadline(LuldCore *l, PyObject *unused)
{
    (void)unused;
    return opt_i64(l->has_deadline, l->deadline);
}

static PyObject *
luld_get_status(LuldCore *l, void *closure)
{
    (void)closure;
    return Py_NewRef(PS_STR[l->status]);
}

static int
luld_traverse(LuldCore *l, visitproc visit, void *arg)
{
    Py_VISIT(l->params);
    Py_VISIT(l->tick);
    Py_VISIT(l->pending);
    Py_VISIT(l->cache[0].obj);
    Py_VISIT(l->cache[1].obj);
    Py_VISIT(l->frozen.obj);
    return 0;
}

static int
luld_clear(LuldCore *l)
{
    Py_CLEAR(l->params);
    Py_CLEAR(l->tick);
    Py_CLEAR(l->pending);
    bands_clear(&l->cache[0]);
    bands_clear(&l->cache[1]);
    bands_clear(&l->frozen);
    return 0;
}

static void
luld_dealloc(LuldCore *l)
{
    PyObject_GC_UnTrack(l);
    luld_clear(l);
    ring_free(&l->window);
    PyMem_Free(l->doubling);
    Py_TYPE(l)->tp_free((PyObject *)l);
}

static PyMethodDef luld_methods[] = {
    {"_setup", (PyCFunction)(void (*)(void))luld_setup, METH_FASTCALL,
     "_setup(params, tick, tier, midnight_ns, doubling, ref_window_ns, move_num, move_den, "
     "limit_state_ns, pause_ns, extension_ns, enabled): the validated parameters"},
    {"on_trade", (PyCFunction)(void (*)(void))luld_on_trade, METH_FASTCALL,
     "on_trade(t_ns, price_ticks, qty)"},
    {"on_quote", (PyCFunction)(void (*)(void))luld_on_quote, METH_FASTCALL,
     "on_quote(t_ns, best_bid, best_ask) -> transitions"},
    {"poll", (PyCFunction)luld_poll, METH_O, "poll(t_ns) -> transitions"},
    {"reopened", (PyCFunction)(void (*)(void))luld_reopened, METH_FASTCALL,
     "reopened(t_ns, price_ticks) -> transitions"},
    {"extend", (PyCFunction)luld_extend, METH_O, "extend(t_ns) -> transitions"},
    {"bands", (PyCFunction)luld_bands_m, METH_O, "bands(t_ns) -> (lower, upper) or None"},
    {"allows", (PyCFunction)(void (*)(void))luld_allows, METH_FASTCALL,
     "allows(t_ns, price_ticks) -> bool"},
    {"next_deadline", (PyCFunction)luld_next_deadline, METH_NOARGS, "next_deadline()"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef luld_members[] = {
    {"params", FG_OBJECT_EX, offsetof(LuldCore, params), 0, NULL},
    {"_ref_num", FG_LONGLONG, offsetof(LuldCore, ref_num), READONLY, NULL},
    {"_ref_den", FG_LONGLONG, offsetof(LuldCore, ref_den), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef luld_getset[] = {
    {"status", (getter)luld_get_status, NULL, "as of the latest call", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LuldCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.LuldCore",
    .tp_doc = "LULD state machine of one stock (C implementation of "
              "flashguard.market.protections.luld.PyLuld).",
    .tp_basicsize = sizeof(LuldCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)luld_dealloc,
    .tp_traverse = (traverseproc)luld_traverse,
    .tp_clear = (inquiry)luld_clear,
    .tp_methods = luld_methods,
    .tp_members = luld_members,
    .tp_getset = luld_getset,
};

/* ------------------------------------------------------------------------------------------ */
/* Stop logic and velocity logic                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *params;
    PyObject *pending; /* NULL before _setup */
    Ring trades, lows, highs; /* (t, price) */
    int64_t ticks, window_ns, pause_ns, before, until, now;
    int enabled, status, has_before, has_until, has_now;
} StopCore;

static PyTypeObject StopCoreType;

static int
stop_push(StopCore *s, int64_t t, int64_t p)
{
    if (ring_push(&s->trades, t, p, 0) < 0)
        return -1;
    Ring *lows = &s->lows;
    while (lows->n && ring_back(lows)->p >= p)
        lows->n--;
    if (ring_push(lows, t, p, 0) < 0)
        return -1;
    Ring *highs = &s->highs;
    while (highs->n && ring_back(highs)->p <= p)
        highs->n--;
    return ring_push(highs, t, p, 0);
}

static int
stop_advance(StopCore *s, int64_t t)
{
    if (s->has_now && t == s->now)
        return 0;
    if (s->has_now && t < s->now)
        return prot_backwards(t, s->now);
    s->now = t;
    s->has_now = 1;
    if (s->status == PS_PAUSED && s->has_until && s->until <= t) {
        if (prot_pend(s->pending, s->until, PS_AUCTION, R_pause_elapsed, 0, 0) < 0)
            return -1;
        s->status = PS_AUCTION;
        s->has_until = 0;
    }
    int64_t start = t - s->window_ns;
    Ring *r = &s->trades;
    while (r->n && ring_front(r)->t < start) {
        s->before = ring_front(r)->p;
        s->has_before = 1;
        ring_pop_front(r);
    }
    r = &s->lows;
    while (r->n && ring_front(r)->t < start)
        ring_pop_front(r);
    r = &s->highs;
    while (r->n && ring_front(r)->t < start)
        ring_pop_front(r);
    return 0;
}

/* limit_price(t, side) for side 1 or -1: 1 with *out set, 0 for None, -1 error. */
static int
stop_limit_c(StopCore *s, int64_t t, int side, int64_t *out)
{
    if (!s->enabled)
        return 0;
    if (stop_advance(s, t) < 0)
        return -1;
    Ring *r = side == 1 ? &s->lows : &s->highs;
    int has = r->n > 0;
    int64_t anchor = has ? ring_front(r)->p : 0;
    if (s->has_before && (!has || (side == 1 ? s->before < anchor : s->before > anchor))) {
        anchor = s->before;
        has = 1;
    }
    if (!has)
        return 0;
    *out = side == 1 ? anchor + s->ticks : anchor - s->ticks;
    return 1;
}

static int
stop_on_trade_c(StopCore *s, int64_t t, int64_t p)
{
    if (!s->enabled)
        return 0;
    if (stop_advance(s, t) < 0)
        return -1;
    return stop_push(s, t, p);
}

static PyObject *
stop_setup(StopCore *s, PyObject *const *args, Py_ssize_t nargs)
{
    /* (params, ticks, window_ns, pause_ns, enabled) */
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "_setup takes 5 arguments");
        return NULL;
    }
    if (prot_imports() < 0)
        return NULL;
    long long ticks, window, pause;
    if (core_int64(args[1], "ticks", &ticks) < 0 || core_int64(args[2], "window_ns", &window) < 0 ||
        core_int64(args[3], "pause_ns", &pause) < 0)
        return NULL;
    int enabled = PyObject_IsTrue(args[4]);
    if (enabled < 0)
        return NULL;
    PyObject *pending = PyList_New(0);
    if (pending == NULL)
        return NULL;
    Py_XSETREF(s->params, Py_NewRef(args[0]));
    Py_XSETREF(s->pending, pending);
    ring_clear(&s->trades);
    ring_clear(&s->lows);
    ring_clear(&s->highs);
    s->ticks = ticks;
    s->window_ns = window;
    s->pause_ns = pause;
    s->enabled = enabled;
    s->status = PS_OPEN;
    s->has_before = s->has_until = s->has_now = 0;
    Py_RETURN_NONE;
}

static PyObject *
stop_on_trade(StopCore *s, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "on_trade(t_ns, price_ticks)");
        return NULL;
    }
    if (prot_ready(s->pending) < 0)
        return NULL;
    if (!s->enabled)
        Py_RETURN_NONE;
    int64_t t, p;
    if (prot_checked(args[1], R_price_ticks, 1, &p) < 0 || prot_i64(args[0], "t_ns", &t) < 0 ||
        stop_on_trade_c(s, t, p) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
stop_limit_price(StopCore *s, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "limit_price(t_ns, side)");
        return NULL;
    }
    if (prot_ready(s->pending) < 0)
        return NULL;
    if (!s->enabled)
        Py_RETURN_NONE;
    int64_t t, out = 0;
    if (prot_i64(args[0], "t_ns", &t) < 0 || stop_advance(s, t) < 0)
        return NULL;
    int buy = PyObject_RichCompareBool(args[1], ONE, Py_EQ);
    int sell = buy ? 0 : PyObject_RichCompareBool(args[1], MINUS_ONE, Py_EQ);
    if (buy < 0 || sell < 0)
        return NULL;
    if (!buy && !sell) {
        PyErr_Format(PyExc_ValueError, "side=%R must be 1 (buy) or -1 (sell)", args[1]);
        return NULL;
    }
    int rc = stop_limit_c(s, t, buy ? 1 : -1, &out);
    if (rc < 0)
        return NULL;
    return opt_i64(rc, out);
}

static PyObject *
stop_trigger_c(StopCore *s, int64_t t, PyObject *reason)
{
    if (stop_advance(s, t) < 0 || prot_require_status("trigger", t, s->status, PS_OPEN) < 0)
        return NULL;
    s->status = PS_PAUSED;
    s->until = t + s->pause_ns;
    s->has_until = 1;
    PyObject *t_o = PyLong_FromLongLong(t), *u_o = PyLong_FromLongLong(s->until);
    PyObject *tr = NULL;
    if (t_o && u_o) {
        PyObject *a[4] = {t_o, PS_STR[PS_PAUSED], reason, u_o};
        tr = PyObject_Vectorcall(G_Transition, a, 4, NULL);
    }
    Py_XDECREF(t_o);
    Py_XDECREF(u_o);
    return tr;
}

static PyObject *
stop_trigger(StopCore *s, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"t_ns", "reason"};
    PyObject *a[2];
    if (bind_args("trigger", args, nargs, kwnames, names, 1, 2, a) < 0 ||
        prot_ready(s->pending) < 0)
        return NULL;
    int64_t t;
    if (prot_i64(a[0], "t_ns", &t) < 0)
        return NULL;
    return stop_trigger_c(s, t, a[1] ? a[1] : R_stop_logic);
}

static PyObject *
stop_poll(StopCore *s, PyObject *t_obj)
{
    if (prot_ready(s->pending) < 0)
        return NULL;
    int64_t t;
    if (prot_i64(t_obj, "t_ns", &t) < 0 || stop_advance(s, t) < 0)
        return NULL;
    return prot_drain(&s->pending);
}

static PyObject *
stop_reopened(StopCore *s, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "reopened(t_ns, price_ticks)");
        return NULL;
    }
    if (prot_ready(s->pending) < 0)
        return NULL;
    int64_t t;
    if (prot_i64(args[0], "t_ns", &t) < 0 || stop_advance(s, t) < 0 ||
        prot_require_status("reopened", t, s->status, PS_AUCTION) < 0)
        return NULL;
    s->status = PS_OPEN;
    ring_clear(&s->trades);
    ring_clear(&s->lows);
    ring_clear(&s->highs);
    s->has_before = 0;
    if (args[1] != Py_None) {
        int64_t p;
        if (prot_checked(args[1], R_price_ticks, 1, &p) < 0 || stop_push(s, t, p) < 0)
            return NULL;
    }
    if (prot_pend(s->pending, t, PS_OPEN, R_reopened, 0, 0) < 0)
        return NULL;
    return prot_drain(&s->pending);
}

static PyObject *
stop_next_deadline(StopCore *s, PyObject *unused)
{
    (void)unused;
    return opt_i64(s->has_until, s->until);
}

static PyObject *
stop_get_status(StopCore *s, void *closure)
{
    (void)closure;
    return Py_NewRef(PS_STR[s->status]);
}

static int
stop_traverse(StopCore *s, visitproc visit, void *arg)
{
    Py_VISIT(s->params);
    Py_VISIT(s->pending);
    return 0;
}

static int
stop_clear(StopCore *s)
{
    Py_CLEAR(s->params);
    Py_CLEAR(s->pending);
    return 0;
}

static void
stop_dealloc(StopCore *s)
{
    PyObject_GC_UnTrack(s);
    stop_clear(s);
    ring_free(&s->trades);
    ring_free(&s->lows);
    ring_free(&s->highs);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef stop_methods[] = {
    {"_setup", (PyCFunction)(void (*)(void))stop_setup, METH_FASTCALL,
     "_setup(params, ticks, window_ns, pause_ns, enabled): the validated parameters"},
    {"on_trade", (PyCFunction)(void (*)(void))stop_on_trade, METH_FASTCALL,
     "on_trade(t_ns, price_ticks)"},
    {"limit_price", (PyCFunction)(void (*)(void))stop_limit_price, METH_FASTCALL,
     "limit_price(t_ns, side) -> int or None"},
    {"trigger", FASTCALL_KW(stop_trigger), "trigger(t_ns, reason='stop_logic') -> Transition"},
    {"poll", (PyCFunction)stop_poll, METH_O, "poll(t_ns) -> transitions"},
    {"reopened", (PyCFunction)(void (*)(void))stop_reopened, METH_FASTCALL,
     "reopened(t_ns, price_ticks) -> transitions"},
    {"next_deadline", (PyCFunction)stop_next_deadline, METH_NOARGS, "next_deadline()"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef stop_members[] = {
    {"params", FG_OBJECT_EX, offsetof(StopCore, params), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef stop_getset[] = {
    {"status", (getter)stop_get_status, NULL, "as of the latest call", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject StopCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.StopCore",
    .tp_doc = "Stop logic / velocity logic of one venue and instrument (C implementation of "
              "flashguard.market.protections.stop_logic.PyStopLogic).",
    .tp_basicsize = sizeof(StopCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)stop_dealloc,
    .tp_traverse = (traverseproc)stop_traverse,
    .tp_clear = (inquiry)stop_clear,
    .tp_methods = stop_methods,
    .tp_members = stop_members,
    .tp_getset = stop_getset,
};

static int
prot_init_module(PyObject *m)
{
    for (int i = 0; i < PS_COUNT; i++)
        if (intern(&PS_STR[i], PS_NAMES[i]) < 0)
            return -1;
    if (intern(&R_limit_state_not_cleared, "limit_state_not_cleared") < 0 ||
        intern(&R_pause_elapsed, "pause_elapsed") < 0 ||
        intern(&R_limit_state_cleared, "limit_state_cleared") < 0 ||
        intern(&R_reopened, "reopened") < 0 || intern(&R_reopen_extended, "reopen_extended") < 0 ||
        intern(&R_offer_at_lower_band, "offer_at_lower_band") < 0 ||
        intern(&R_bid_at_upper_band, "bid_at_upper_band") < 0 ||
        intern(&R_stop_logic, "stop_logic") < 0 || intern(&R_price_ticks, "price_ticks") < 0 ||
        intern(&R_qty, "qty") < 0 || intern(&R_t_ns, "t_ns") < 0)
        return -1;
    MINUS_ONE = PyLong_FromLong(-1);
    if (MINUS_ONE == NULL || PyType_Ready(&LuldCoreType) < 0 || PyType_Ready(&StopCoreType) < 0)
        return -1;
    if (PyModule_AddType(m, &LuldCoreType) < 0) /* as "LuldCore" (its tp_name) */
        return -1;
    if (PyModule_AddType(m, &StopCoreType) < 0) /* as "StopCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_PROT_H */
