/* The C twin of the risk gate's hot path. Two pieces, each with a Python reference:
 *
 *   admit_limit_order(order, view)  fastpath.admit_limit_order: every layer 1 rule of a plain
 *                                   limit order, then the throttle token and the booking;
 *   Lane(views, kill_switch, portfolio, judge, full)
 *                                   RiskGate._check for the common case: kill switch off,
 *                                   both runaway counters counted without tripping, strategy
 *                                   ACTIVE, portfolio not reduce-only, a new order. Anything
 *                                   else goes to `full` (RiskGate._check) before anything was
 *                                   counted, or to `judge` (RiskGate._judge) after.
 *
 * Same contract as the references: admit answers True only when the order is admitted and
 * booked exactly as the Python function books it (the same objects in the same slots and
 * dicts); False with nothing changed but caches, so the caller runs the rules to say why.
 * Only the cost differs: the state objects are plain slotted classes and msgspec Structs, so
 * their fields are read at the slot offsets `bind` learns once, not through attribute lookups.
 *
 * Python ints are unbounded and these are int64: a value that does not fit, or a product or
 * sum that would overflow, answers False (or goes to `full`) and leaves the verdict to the
 * Python code, which computes exactly. So does any object that is not of the exact bound type
 * (a subclass, a stand-in in a test), and a client_order_id or parent_id that is not exactly
 * a str (its hash and == could run Python code).
 *
 * References: objects read from slots are borrowed. Where Python code can run before they
 * are last used (a call into Python, an allocation that may start the cyclic GC and so run
 * finalizers), they are held by a strong reference for the duration of the call, so no
 * rebinding of a slot meanwhile can free them under us.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>

#if PY_VERSION_HEX >= 0x030C0000
#define FG_OBJECT_EX Py_T_OBJECT_EX
#else
#define FG_OBJECT_EX T_OBJECT_EX
#endif

#include "../_cslots.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define BPS 10000
#define LIMIT 1
#define NO_BOUND ((int64_t)1 << 62)
/* price bounds in C only while every product stays inside int64; else the Python function */
#define SAFE ((int64_t)1 << 31)

/* ---------------------------------------------------------------------------------------- */
/* Bound classes and slot offsets                                                           */
/* ---------------------------------------------------------------------------------------- */

enum {
    C_ORDER, C_VIEW, C_LIMITS, C_STRATEGY, C_BOOK, C_MARKET, C_SESSION, C_BUCKET, C_RECORD,
    C_WINDOW, C_KILL, C_PORTFOLIO, C_COUNT
};

static const char *const CLASS_NAMES[C_COUNT] = {
    "RiskOrder", "View", "OrderLimits", "StrategyBook", "PositionBook", "InstrumentMarket",
    "VenueSession", "TokenBucket", "OrderRecord", "RateWindow", "KillSwitch", "PortfolioRisk",
};


enum {
    O_CID, O_VENUE, O_SIDE, O_TYPE, O_PRICE, O_QTY, O_T, O_ORDER_ID, O_OWNER, O_STRATEGY,
    O_INSTRUMENT, O_REPLACES, O_PARENT,
    V_LIMITS, V_STRATEGY, V_MARKET, V_BOOK, V_SESSION, V_ORDERS, V_RECENT, V_RECENT_OLD,
    V_RECENT_END, V_SEEN, V_LO, V_HI, V_BUY_HI, V_SELL_LO, V_LAST_BUY_HI, V_LAST_SELL_LO,
    L_QTY_CAP, L_MAX_QTY, L_MAX_NOTIONAL, L_STEPS, L_LOT_MULTIPLE, L_PRICE_INCREMENT,
    L_MAX_OPEN, L_AGE, L_WINDOW, L_STRIDE, L_MAX_POSITION, L_COLLAR, L_FAT,
    S_KEEP, S_OPEN, S_MODE, S_MESSAGES,
    M_QUOTE_T, M_VERSION, M_REF, M_BAND_LO, M_BAND_HI, M_LAST, M_LAST_T,
    B_POS, B_OPEN_BUY, B_OPEN_SELL,
    SS_ORDERS,
    K_LEVEL, K_T, K_RATE, K_CAPACITY, K_COST,
    W_COUNT, W_END, W_LIMIT,
    KS_ENGAGED, KS_MESSAGES,
    P_REDUCE_ONLY,
    F_COUNT
};

static const Field FIELDS[F_COUNT] = {
    {C_ORDER, "client_order_id"}, {C_ORDER, "venue"}, {C_ORDER, "side"},
    {C_ORDER, "order_type"}, {C_ORDER, "price"}, {C_ORDER, "qty"}, {C_ORDER, "t_ns"},
    {C_ORDER, "order_id"}, {C_ORDER, "owner"}, {C_ORDER, "strategy"},
    {C_ORDER, "instrument"}, {C_ORDER, "replaces"}, {C_ORDER, "parent_id"},
    {C_VIEW, "limits"}, {C_VIEW, "strategy"}, {C_VIEW, "market"}, {C_VIEW, "book"},
    {C_VIEW, "session"}, {C_VIEW, "orders"}, {C_VIEW, "recent"}, {C_VIEW, "recent_old"},
    {C_VIEW, "recent_end"}, {C_VIEW, "seen"}, {C_VIEW, "lo"}, {C_VIEW, "hi"},
    {C_VIEW, "buy_hi"}, {C_VIEW, "sell_lo"}, {C_VIEW, "last_buy_hi"},
    {C_VIEW, "last_sell_lo"},
    {C_LIMITS, "qty_cap"}, {C_LIMITS, "max_qty"}, {C_LIMITS, "max_notional"},
    {C_LIMITS, "steps"}, {C_LIMITS, "lot_multiple"}, {C_LIMITS, "price_increment"},
    {C_LIMITS, "max_open_orders"}, {C_LIMITS, "ref_max_age_ns"}, {C_LIMITS, "dup_window_ns"},
    {C_LIMITS, "dup_stride"}, {C_LIMITS, "max_position"}, {C_LIMITS, "collar_bps"},
    {C_LIMITS, "fat_finger_bps"},
    {C_STRATEGY, "size_permille"}, {C_STRATEGY, "open_orders"}, {C_STRATEGY, "mode"},
    {C_STRATEGY, "messages"},
    {C_MARKET, "quote_t"}, {C_MARKET, "version"}, {C_MARKET, "ref"}, {C_MARKET, "band_lo"},
    {C_MARKET, "band_hi"}, {C_MARKET, "last"}, {C_MARKET, "last_t"},
    {C_BOOK, "pos"}, {C_BOOK, "open_buy"}, {C_BOOK, "open_sell"},
    {C_SESSION, "orders"},
    {C_BUCKET, "level"}, {C_BUCKET, "t_ns"}, {C_BUCKET, "rate"}, {C_BUCKET, "capacity"},
    {C_BUCKET, "cost"},
    {C_WINDOW, "count"}, {C_WINDOW, "end"}, {C_WINDOW, "limit"},
    {C_KILL, "engaged"}, {C_KILL, "messages"},
    {C_PORTFOLIO, "reduce_only"},
};

static PyTypeObject *TYPES[C_COUNT];
static Py_ssize_t OFF[F_COUNT];
static PyObject *PRICE_BOUNDS; /* fastpath.price_bounds, for values beyond SAFE */
static PyObject *S_REMEMBER;   /* "remember" */
static int BOUND;

#define SLOT(obj, f) (*(PyObject **)((char *)(obj) + OFF[f]))

/* ---------------------------------------------------------------------------------------- */
/* Slot access                                                                              */
/* ---------------------------------------------------------------------------------------- */

static inline int
as_i64(PyObject *x, int64_t *out)
{
    if (UNLIKELY(x == NULL || !PyLong_Check(x)))
        return 0;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
    if (UNLIKELY(overflow))
        return 0;
    if (UNLIKELY(v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

/* An int slot as int64; 0 when it is unset, not an int, or out of range. */
static inline int
rd(PyObject *obj, int f, int64_t *out)
{
    return as_i64(SLOT(obj, f), out);
}

/* Store a new reference in a slot, releasing the old one. */
static inline void
put(PyObject *obj, int f, PyObject *x)
{
    PyObject **slot = &SLOT(obj, f);
    PyObject *old = *slot;
    *slot = x;
    Py_XDECREF(old);
}

static inline int
wr(PyObject *obj, int f, int64_t v)
{
    PyObject *x = PyLong_FromLongLong(v);
    if (UNLIKELY(x == NULL))
        return -1;
    put(obj, f, x);
    return 0;
}

/* A slot holding an object of exactly the bound type (borrowed), or NULL. */
static inline PyObject *
obj_of(PyObject *owner, int f, int cls)
{
    PyObject *x = SLOT(owner, f);
    return (x != NULL && Py_TYPE(x) == TYPES[cls]) ? x : NULL;
}

static inline PyObject *
dict_of(PyObject *owner, int f)
{
    PyObject *x = SLOT(owner, f);
    return (x != NULL && PyDict_CheckExact(x)) ? x : NULL;
}

/* Python's a // b and -(-a // b), for b > 0. */
static inline int64_t
floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static inline int64_t
ceildiv(int64_t a, int64_t b)
{
    return -floordiv(-a, b);
}

static inline int
safe(int64_t x)
{
    return x > -SAFE && x < SAFE;
}

/* ---------------------------------------------------------------------------------------- */
/* fastpath.price_bounds                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* 1: the bounds on v are current; 0: answer False; -1: an exception. */
static int
price_bounds(PyObject *v, PyObject *lim, PyObject *m)
{
    int64_t ref, band_lo, band_hi, last, c, fat_bps;
    if (!rd(m, M_REF, &ref) || !rd(m, M_BAND_LO, &band_lo) || !rd(m, M_BAND_HI, &band_hi)
        || !rd(m, M_LAST, &last) || !rd(lim, L_COLLAR, &c) || !rd(lim, L_FAT, &fat_bps))
        return 0;
    if (!(safe(ref) && safe(band_lo) && safe(band_hi) && safe(last) && safe(c)
          && safe(fat_bps))) {
        PyObject *r = PyObject_CallFunctionObjArgs(PRICE_BOUNDS, v, lim, NULL);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
        return 1;
    }
    int64_t lo, hi, buy_hi, sell_lo, last_buy_hi, last_sell_lo;
    if (ref) {
        int64_t fat = floordiv(ref * fat_bps, BPS);
        lo = ref - fat;
        hi = ref + fat;
        if (band_hi) {
            lo = lo > band_lo ? lo : band_lo;
            hi = hi < band_hi ? hi : band_hi;
        }
        int64_t a = floordiv(ref * (BPS + c), BPS);
        buy_hi = a < hi ? a : hi;
        int64_t b = ceildiv(ref * (BPS - c), BPS);
        sell_lo = b > lo ? b : lo;
    }
    else {
        lo = buy_hi = 0;
        hi = sell_lo = NO_BOUND;
    }
    if (last) {
        last_buy_hi = floordiv(last * (BPS + c), BPS);
        last_sell_lo = ceildiv(last * (BPS - c), BPS);
    }
    else {
        last_buy_hi = NO_BOUND;
        last_sell_lo = 0;
    }
    if (wr(v, V_LO, lo) || wr(v, V_HI, hi) || wr(v, V_BUY_HI, buy_hi)
        || wr(v, V_SELL_LO, sell_lo) || wr(v, V_LAST_BUY_HI, last_buy_hi)
        || wr(v, V_LAST_SELL_LO, last_sell_lo))
        return -1;
    Py_INCREF(SLOT(m, M_VERSION));
    put(v, V_SEEN, SLOT(m, M_VERSION));
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* View.remember                                                                            */
/* ---------------------------------------------------------------------------------------- */

/* `sent` is the (t_ns, parent_id) tuple the memory keeps; its own reference is not taken. */
static int
remember(PyObject *v, PyObject *key, int64_t t, int64_t window, PyObject *t_obj,
         PyObject *window_obj, PyObject *parent, PyObject *sent)
{
    int64_t end, stale, next_end;
    PyObject *recent = dict_of(v, V_RECENT);
    if (recent == NULL || !rd(v, V_RECENT_END, &end)
        || __builtin_add_overflow(end, window, &stale)
        || __builtin_add_overflow(t, window, &next_end)) {
        PyObject *r = PyObject_CallMethodObjArgs(v, S_REMEMBER, key, t_obj, window_obj, parent,
                                                 NULL);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
        return 0;
    }
    if (t >= end) {
        PyObject *fresh = PyDict_New(), *old;
        if (fresh == NULL)
            return -1;
        if (t < stale) {
            old = Py_NewRef(recent);
        }
        else if ((old = PyDict_New()) == NULL) {
            Py_DECREF(fresh);
            return -1;
        }
        put(v, V_RECENT_OLD, old);
        recent = fresh; /* the slot's reference: borrowed from here on */
        put(v, V_RECENT, fresh);
        if (wr(v, V_RECENT_END, next_end))
            return -1;
    }
    return PyDict_SetItem(recent, key, sent);
}

/* Another order with this key, sent by `by`, was within the window: may this order, of
 * `parent`, repeat it? Only a child of the same parent may (pretrade.duplicate_order). Both
 * are exact strs here, or the answer is no and Python decides. */
static inline int
same_parent(PyObject *parent, PyObject *by)
{
    if (PyUnicode_GET_LENGTH(parent) == 0 || !PyUnicode_CheckExact(by))
        return 0;
    return by == parent || PyUnicode_Compare(parent, by) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* admit_limit_order                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* The objects one admission reads, each held by a strong reference while it runs. */
typedef struct {
    PyObject *v, *lim, *sb, *m, *b, *bucket, *orders;
} Held;

static inline void
release(Held *h)
{
    Py_XDECREF(h->v);
    Py_XDECREF(h->lim);
    Py_XDECREF(h->sb);
    Py_XDECREF(h->m);
    Py_XDECREF(h->b);
    Py_XDECREF(h->bucket);
    Py_XDECREF(h->orders);
}

static int admit_held(PyObject *o, Held *h);

/* 1: admitted and booked; 0: not (nothing changed); -1: an exception. */
static int
admit(PyObject *o, PyObject *v)
{
    if (UNLIKELY(Py_TYPE(o) != TYPES[C_ORDER] || Py_TYPE(v) != TYPES[C_VIEW]))
        return 0;
    PyObject *session = obj_of(v, V_SESSION, C_SESSION);
    Held h = {
        v, obj_of(v, V_LIMITS, C_LIMITS), obj_of(v, V_STRATEGY, C_STRATEGY),
        obj_of(v, V_MARKET, C_MARKET), obj_of(v, V_BOOK, C_BOOK),
        session ? obj_of(session, SS_ORDERS, C_BUCKET) : NULL, dict_of(v, V_ORDERS),
    };
    if (UNLIKELY(!h.lim || !h.sb || !h.m || !h.b || !h.bucket || !h.orders))
        return 0;
    Py_INCREF(h.v);
    Py_INCREF(h.lim);
    Py_INCREF(h.sb);
    Py_INCREF(h.m);
    Py_INCREF(h.b);
    Py_INCREF(h.bucket);
    Py_INCREF(h.orders);
    int r = admit_held(o, &h);
    release(&h);
    return r;
}

static int
admit_held(PyObject *o, Held *h)
{
    PyObject *v = h->v, *lim = h->lim, *sb = h->sb, *m = h->m, *b = h->b;
    PyObject *bucket = h->bucket, *orders = h->orders;
    /* the order is frozen and its caller holds it: its fields are safe to borrow */
    PyObject *cid = SLOT(o, O_CID), *parent = SLOT(o, O_PARENT);
    if (UNLIKELY(!cid || !PyUnicode_CheckExact(cid) || !parent || !PyUnicode_CheckExact(parent)))
        return 0;

    int64_t qty, price, otype, cap, notional, max_notional;
    if (!rd(o, O_QTY, &qty) || !rd(o, O_PRICE, &price) || !rd(o, O_TYPE, &otype)
        || !rd(lim, L_QTY_CAP, &cap))
        return 0;
    /* qty_cap is 0 for an instrument off the allow-list, so that order fails here */
    if (qty <= 0 || qty > cap || price <= 0 || otype != LIMIT)
        return 0;
    if (!rd(lim, L_MAX_NOTIONAL, &max_notional)
        || __builtin_mul_overflow(price, qty, &notional) || notional > max_notional)
        return 0;
    int64_t steps;
    if (!rd(lim, L_STEPS, &steps))
        return 0;
    if (steps) {
        int64_t lot, inc;
        if (!rd(lim, L_LOT_MULTIPLE, &lot) || !rd(lim, L_PRICE_INCREMENT, &inc) || lot <= 0
            || inc <= 0 || qty % lot || price % inc)
            return 0;
    }
    int64_t keep, open, max_open;
    if (!rd(sb, S_KEEP, &keep))
        return 0;
    if (keep != 1000) {
        int64_t max_qty, x, y;
        if (!rd(lim, L_MAX_QTY, &max_qty) || __builtin_mul_overflow(qty, 1000, &x)
            || __builtin_mul_overflow(max_qty, keep, &y) || x > y)
            return 0;
    }
    if (!rd(sb, S_OPEN, &open) || !rd(lim, L_MAX_OPEN, &max_open) || open >= max_open)
        return 0;
    int64_t t, quote_t, age, d;
    if (!rd(o, O_T, &t) || !rd(m, M_QUOTE_T, &quote_t) || !rd(lim, L_AGE, &age)
        || __builtin_sub_overflow(t, quote_t, &d) || d > age)
        return 0;
    int found = PyDict_Contains(orders, cid);
    if (found)
        return found < 0 ? -1 : 0;
    int64_t window, side;
    if (!rd(lim, L_WINDOW, &window) || !rd(o, O_SIDE, &side))
        return 0;
    PyObject *key = NULL, *rec = NULL, *sent = NULL; /* owned: leave through `done` */
    int result = 0;
    if (window) {
        int64_t stride, k, sq;
        PyObject *recent = dict_of(v, V_RECENT), *recent_old = dict_of(v, V_RECENT_OLD);
        if (!recent || !recent_old || !rd(lim, L_STRIDE, &stride)
            || __builtin_mul_overflow(price, stride, &k)
            || __builtin_mul_overflow(side, qty, &sq) || __builtin_add_overflow(k, sq, &k))
            goto done;
        key = PyLong_FromLongLong(k);
        if (key == NULL)
            goto fail;
        /* (t_ns, parent_id), borrowed: int keys and exact dicts run no Python code */
        PyObject *last = PyDict_GetItemWithError(recent, key);
        if (last == NULL && !PyErr_Occurred())
            last = PyDict_GetItemWithError(recent_old, key);
        if (last == NULL && PyErr_Occurred())
            goto fail;
        if (last != NULL) {
            int64_t at, gap;
            if (!PyTuple_CheckExact(last) || PyTuple_GET_SIZE(last) != 2
                || !as_i64(PyTuple_GET_ITEM(last, 0), &at) || __builtin_sub_overflow(t, at, &gap))
                goto done;
            if (gap < window && !same_parent(parent, PyTuple_GET_ITEM(last, 1)))
                goto done;
        }
    }
    int64_t seen, version;
    if (!rd(v, V_SEEN, &seen) || !rd(m, M_VERSION, &version))
        goto done;
    if (seen != version) {
        int ok = price_bounds(v, lim, m);
        if (ok < 0)
            goto fail;
        if (!ok)
            goto done;
    }
    int64_t pos, open_side, max_position, worst, last_t;
    if (!rd(b, B_POS, &pos) || !rd(lim, L_MAX_POSITION, &max_position)
        || !rd(m, M_LAST_T, &last_t) || __builtin_sub_overflow(t, last_t, &d))
        goto done;
    int open_field;
    if (side == 1) {
        int64_t buy_hi, lo, last_buy_hi;
        if (!rd(v, V_BUY_HI, &buy_hi) || !rd(v, V_LO, &lo) || !rd(b, B_OPEN_BUY, &open_side)
            || !rd(v, V_LAST_BUY_HI, &last_buy_hi))
            goto done;
        if (price > buy_hi || price < lo || __builtin_add_overflow(pos, open_side, &worst)
            || __builtin_add_overflow(worst, qty, &worst) || worst > max_position)
            goto done;
        if (price > last_buy_hi && d <= age)
            goto done;
        open_field = B_OPEN_BUY;
    }
    else if (side == -1) {
        int64_t sell_lo, hi, last_sell_lo;
        if (!rd(v, V_SELL_LO, &sell_lo) || !rd(v, V_HI, &hi)
            || !rd(b, B_OPEN_SELL, &open_side) || !rd(v, V_LAST_SELL_LO, &last_sell_lo))
            goto done;
        if (price < sell_lo || price > hi || __builtin_add_overflow(open_side, qty, &worst)
            || __builtin_sub_overflow(worst, pos, &worst) || worst > max_position)
            goto done;
        if (price < last_sell_lo && d <= age)
            goto done;
        open_field = B_OPEN_SELL;
    }
    else
        goto done;

    int64_t level, bt, rate, capacity, cost, dt, refill, booked, open_after;
    if (!rd(bucket, K_LEVEL, &level) || !rd(bucket, K_T, &bt) || !rd(bucket, K_RATE, &rate)
        || !rd(bucket, K_CAPACITY, &capacity) || !rd(bucket, K_COST, &cost)
        || __builtin_sub_overflow(t, bt, &dt) || __builtin_add_overflow(open_side, qty, &booked)
        || __builtin_add_overflow(open, 1, &open_after))
        goto done;

    /* What booking needs is made before anything changes, so a failure (a class changed
     * without a rebuild, no memory) leaves the state as it was. As RiskState.register: */
    PyObject *qty_obj = SLOT(o, O_QTY);
    PyObject *rec_args[9] = {
        cid, SLOT(o, O_VENUE), b, SLOT(o, O_SIDE), SLOT(o, O_PRICE), qty_obj, qty_obj,
        SLOT(o, O_ORDER_ID), SLOT(o, O_OWNER),
    };
    for (int i = 0; i < 9; i++) {
        if (rec_args[i] == NULL) {
            PyErr_SetString(PyExc_AttributeError, "a RiskOrder field is unset");
            goto fail;
        }
    }
    rec = PyObject_Vectorcall((PyObject *)TYPES[C_RECORD], rec_args, 9, NULL);
    if (rec == NULL)
        goto fail;
    if (window) {
        sent = PyTuple_Pack(2, SLOT(o, O_T), parent);
        if (sent == NULL)
            goto fail;
        /* an int and a str can close no cycle: nothing for the cyclic GC to walk */
        if (PyLong_CheckExact(SLOT(o, O_T)))
            PyObject_GC_UnTrack(sent);
    }

    /* TokenBucket.take */
    if (dt > 0) {
        /* past int64 is past any capacity */
        if (__builtin_mul_overflow(dt, rate, &refill)
            || __builtin_add_overflow(level, refill, &level) || level > capacity)
            level = capacity;
        Py_INCREF(SLOT(o, O_T));
        put(bucket, K_T, SLOT(o, O_T));
    }
    if (level < cost) {
        if (wr(bucket, K_LEVEL, level))
            goto fail;
        goto done;
    }
    if (wr(bucket, K_LEVEL, level - cost))
        goto fail;

    /* admitted: book it */
    if (wr(b, open_field, booked) || PyDict_SetItem(orders, cid, rec)
        || wr(sb, S_OPEN, open_after))
        goto fail;
    if (window
        && remember(v, key, t, window, SLOT(o, O_T), SLOT(lim, L_WINDOW), parent, sent) < 0)
        goto fail;
    result = 1;
    goto done;
fail:
    result = -1;
done:
    Py_XDECREF(key);
    Py_XDECREF(rec);
    Py_XDECREF(sent);
    return result;
}

static PyObject *
admit_limit_order(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs != 2)) {
        PyErr_Format(PyExc_TypeError, "admit_limit_order takes (order, view), got %zd args",
                     nargs);
        return NULL;
    }
    if (UNLIKELY(!BOUND)) {
        PyErr_SetString(PyExc_RuntimeError, "_cgate.bind() was not called");
        return NULL;
    }
    int r = admit(args[0], args[1]);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* ---------------------------------------------------------------------------------------- */
/* Lane: RiskGate._check's common case                                                      */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *views;       /* RiskState.views: strategy -> venue -> instrument -> View */
    PyObject *kill_switch; /* KillSwitch */
    PyObject *portfolio;   /* PortfolioRisk */
    PyObject *judge;       /* RiskGate._judge(order, view) */
    PyObject *full;        /* RiskGate._check(order) */
} Lane;

/* The runaway window's count after this message, or -1 when Python must count it (a window
 * rolls, the count would pass its limit, or a value is out of range). */
static inline int64_t
next_count(PyObject *w, int64_t t)
{
    int64_t count, end, limit;
    if (Py_TYPE(w) != TYPES[C_WINDOW] || !rd(w, W_COUNT, &count) || !rd(w, W_END, &end)
        || !rd(w, W_LIMIT, &limit) || t >= end || count >= limit)
        return -1;
    return count + 1;
}

static PyObject *
lane_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Lane *L = (Lane *)self;
    if (UNLIKELY(PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL || !BOUND))
        return PyObject_Vectorcall(L->full, args, nargsf, kwnames);
    PyObject *o = args[0], *ks = L->kill_switch, *pf = L->portfolio;
    int64_t t;
    if (UNLIKELY(Py_TYPE(o) != TYPES[C_ORDER] || Py_TYPE(ks) != TYPES[C_KILL]
                 || Py_TYPE(pf) != TYPES[C_PORTFOLIO] || SLOT(ks, KS_ENGAGED) != Py_False
                 || !rd(o, O_T, &t)))
        goto full;
    PyObject *strategy = SLOT(o, O_STRATEGY), *venue = SLOT(o, O_VENUE);
    PyObject *instrument = SLOT(o, O_INSTRUMENT);
    if (UNLIKELY(!strategy || !venue || !instrument))
        goto full;
    PyObject *by_venue = PyDict_GetItemWithError(L->views, strategy);
    PyObject *by_instrument = NULL, *v = NULL;
    if (by_venue != NULL && PyDict_CheckExact(by_venue))
        by_instrument = PyDict_GetItemWithError(by_venue, venue);
    if (by_instrument != NULL && PyDict_CheckExact(by_instrument))
        v = PyDict_GetItemWithError(by_instrument, instrument);
    if (v == NULL && PyErr_Occurred())
        return NULL;
    if (v == NULL || Py_TYPE(v) != TYPES[C_VIEW])
        goto full;
    PyObject *sb = obj_of(v, V_STRATEGY, C_STRATEGY);
    PyObject *ks_meter = SLOT(ks, KS_MESSAGES);
    if (sb == NULL || ks_meter == NULL || SLOT(sb, S_MESSAGES) == NULL)
        goto full;
    int64_t n_all = next_count(ks_meter, t), n_strategy = next_count(SLOT(sb, S_MESSAGES), t);
    if (n_all < 0 || n_strategy < 0)
        goto full;
    /* every message counts toward runaway detection, whatever becomes of it; the new ints
     * are small, not tracked by the cyclic GC: no Python code runs until `admit` */
    if (wr(ks_meter, W_COUNT, n_all) || wr(SLOT(sb, S_MESSAGES), W_COUNT, n_strategy))
        return NULL;
    int64_t mode;
    PyObject *replaces = SLOT(o, O_REPLACES), *result;
    Py_INCREF(v); /* borrowed from a dict: held while Python code may run */
    if (!rd(sb, S_MODE, &mode) || mode != 0 || SLOT(pf, P_REDUCE_ONLY) != Py_False
        || replaces == NULL || !PyUnicode_Check(replaces) || PyUnicode_GET_LENGTH(replaces))
        goto judge;
    int r = admit(o, v);
    if (r < 0) {
        Py_DECREF(v);
        return NULL;
    }
    if (r) {
        Py_DECREF(v);
        Py_RETURN_NONE;
    }
judge: {
        PyObject *judge_args[2] = {o, v};
        result = PyObject_Vectorcall(L->judge, judge_args, 2, NULL);
        Py_DECREF(v);
        return result;
    }
full:
    return PyObject_Vectorcall(L->full, args, nargsf, NULL);
}

static PyObject *
lane_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *views, *kill_switch, *portfolio, *judge, *full;
    static char *kwlist[] = {"views", "kill_switch", "portfolio", "judge", "full", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOO:Lane", kwlist, &PyDict_Type, &views,
                                     &kill_switch, &portfolio, &judge, &full))
        return NULL;
    if (!PyCallable_Check(judge) || !PyCallable_Check(full)) {
        PyErr_SetString(PyExc_TypeError, "Lane: judge and full must be callables");
        return NULL;
    }
    Lane *L = (Lane *)type->tp_alloc(type, 0);
    if (L == NULL)
        return NULL;
    L->vectorcall = lane_vectorcall;
    L->views = Py_NewRef(views);
    L->kill_switch = Py_NewRef(kill_switch);
    L->portfolio = Py_NewRef(portfolio);
    L->judge = Py_NewRef(judge);
    L->full = Py_NewRef(full);
    return (PyObject *)L;
}

static int
lane_traverse(Lane *L, visitproc visit, void *arg)
{
    Py_VISIT(L->views);
    Py_VISIT(L->kill_switch);
    Py_VISIT(L->portfolio);
    Py_VISIT(L->judge);
    Py_VISIT(L->full);
    return 0;
}

static int
lane_clear(Lane *L)
{
    Py_CLEAR(L->views);
    Py_CLEAR(L->kill_switch);
    Py_CLEAR(L->portfolio);
    Py_CLEAR(L->judge);
    Py_CLEAR(L->full);
    return 0;
}

static void
lane_dealloc(Lane *L)
{
    PyObject_GC_UnTrack(L);
    lane_clear(L);
    Py_TYPE(L)->tp_free((PyObject *)L);
}

static PyTypeObject LaneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.system.risk._cgate.Lane",
    .tp_doc = "Lane(views, kill_switch, portfolio, judge, full): RiskGate._check's common "
              "case in C; call it with one RiskOrder.",
    .tp_basicsize = sizeof(Lane),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = lane_new,
    .tp_traverse = (traverseproc)lane_traverse,
    .tp_clear = (inquiry)lane_clear,
    .tp_dealloc = (destructor)lane_dealloc,
    .tp_vectorcall_offset = offsetof(Lane, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* ---------------------------------------------------------------------------------------- */
/* bind                                                                                     */
/* ---------------------------------------------------------------------------------------- */

static PyObject *
bind(PyObject *module, PyObject *args)
{
    PyObject *classes, *bounds;
    if (!PyArg_ParseTuple(args, "O!O:bind", &PyDict_Type, &classes, &bounds))
        return NULL;
    if (!PyCallable_Check(bounds)) {
        PyErr_SetString(PyExc_TypeError, "bind: price_bounds must be callable");
        return NULL;
    }
    PyTypeObject *types[C_COUNT];
    Py_ssize_t off[F_COUNT];
    if (fg_learn_slots(classes, CLASS_NAMES, C_COUNT, FIELDS, F_COUNT, "_cgate.c", types, off) < 0)
        return NULL;
    for (int c = 0; c < C_COUNT; c++)
        Py_XSETREF(TYPES[c], (PyTypeObject *)Py_NewRef(types[c]));
    for (int f = 0; f < F_COUNT; f++)
        OFF[f] = off[f];
    Py_XSETREF(PRICE_BOUNDS, Py_NewRef(bounds));
    BOUND = 1;
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"admit_limit_order", (PyCFunction)(void (*)(void))admit_limit_order, METH_FASTCALL,
     "admit_limit_order(order, view) -> bool: the C twin of fastpath.admit_limit_order."},
    {"bind", bind, METH_VARARGS,
     "bind(classes: dict[str, type], price_bounds) -> None: learn the slot layout."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "_cgate",
    "The C twin of the risk gate's hot path (fastpath.admit_limit_order, RiskGate._check).",
    -1, METHODS,
};

PyMODINIT_FUNC
PyInit__cgate(void)
{
    if (PyType_Ready(&LaneType) < 0)
        return NULL;
    S_REMEMBER = PyUnicode_InternFromString("remember");
    if (S_REMEMBER == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&MODULE);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Lane", (PyObject *)&LaneType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
