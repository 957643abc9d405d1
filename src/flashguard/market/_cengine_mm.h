/* The market makers' wake-up in C: `MmCore`, the twin of agents.market_maker.MarketMaker._wake
 * and _schedule (the reference). Included once, by _cengine.c (after the HFTs); see there.
 *
 * Same draws in the same order, the same float arithmetic in the same order (Python's
 * int/float/min/max/floor/ceil rules spelled out), the same requests through the agent's C
 * Slots in the same order, the same "nothing changed" skip (the wanted quotes and the slots'
 * version compared with the last full wake-up's). The signals are read through their Python
 * attributes and `ret`, the venues' status and books in place when they are the C venue core.
 */
#ifndef FLASHGUARD_CENGINE_MM_H
#define FLASHGUARD_CENGINE_MM_H

typedef struct {
    long long vi, size;
} MmTrading;

typedef struct {
    int has_b, has_a;
    long long b, a;
} MmCap;

typedef struct {
    PyObject_HEAD
    PyObject *lit;
    PyObject *sym;
    PyObject *slots;    /* a _cengine.Slots */
    PyObject *uniform;
    PyObject *signals;
    PyObject *sizes;    /* list: lots per level, by venue */
    PyObject *move_window; /* params.move_window_s, the int passed to signals.ret */
    PyObject *call_at;
    PyObject *now_ns;
    PyObject *wake_cb;
    long long wake_ms, levels, level_gap, inventory_limit, move_window_s;
    double half_spread, skew, widen_vol, pull_vol, pull_toxicity, cooldown_s, move_limit,
        flow_limit;
    int post_only, rearm;
    long long out_until, back_ns;
    /* this wake-up's wanted quotes, and the last full wake-up's (q_*) */
    long long *prices, *q_prices; /* (bid, ask) per level */
    MmTrading *trading, *q_trading;
    MmCap *caps, *q_caps;
    Py_ssize_t cap_venues;        /* the trading/caps arrays' capacity */
    Py_ssize_t q_n;               /* trading venues then */
    long long q_inv, q_version;
    int quoted;                   /* 0: no full wake-up yet (_quoted is None) */
} MmCore;

static PyObject *S_toxicity_slow, *S_fair_mm, *S_vol_ratio_mm, *S_toxicity_mm;

static PyObject *SignalsClass, *SignalsRet; /* signals.Signals and its ret, loaded once */
static PyObject *S__mids;

/* Signals.ret(lookback_s) computed in place (the reference, signals.py):
 *     mids = self._mids; k = min(lookback_s, len(mids) - 1)
 *     if k <= 0 or mids[-1 - k] <= 0: return 0.0
 *     return math.log(mids[-1] / mids[-1 - k])
 * 1: done; 0: not a plain Signals with float mids (the caller calls the method); -1: error. */
static int
signals_ret_c(PyObject *signals, long long lookback, double *out)
{
    if (SignalsClass == NULL || !Py_IS_TYPE(signals, (PyTypeObject *)SignalsClass))
        return 0;
    PyObject *ret = PyDict_GetItemWithError(((PyTypeObject *)SignalsClass)->tp_dict, S_ret);
    if (ret != SignalsRet) /* changed since: the method decides */
        return PyErr_Occurred() ? -1 : 0;
    PyObject *mids = PyObject_GetAttr(signals, S__mids);
    if (mids == NULL)
        return -1;
    int rc = 0;
    if (!PyList_CheckExact(mids) && strcmp(Py_TYPE(mids)->tp_name, "collections.deque") != 0)
        goto done; /* indexing from the end as Python's mids[-1 - k] only for these */
    Py_ssize_t n = PySequence_Size(mids);
    if (n < 0) {
        rc = -1;
        goto done;
    }
    long long k = (long long)n - 1 < lookback ? (long long)n - 1 : lookback;
    if (k <= 0) {
        *out = 0.0;
        rc = 1;
        goto done;
    }
    PyObject *old = PySequence_GetItem(mids, (Py_ssize_t)(n - 1 - k));
    PyObject *last = old == NULL ? NULL : PySequence_GetItem(mids, n - 1);
    if (last == NULL) {
        Py_XDECREF(old);
        rc = -1;
        goto done;
    }
    if (PyFloat_CheckExact(old) && PyFloat_CheckExact(last)) {
        double o = PyFloat_AS_DOUBLE(old), x;
        if (o <= 0.0) {
            *out = 0.0;
            rc = 1;
        }
        else {
            /* math.log's m_log: log of a positive finite, NaN and +inf as they are, else
             * "math domain error" */
            x = PyFloat_AS_DOUBLE(last) / o;
            if (isnan(x) || (isinf(x) && x > 0)) {
                *out = x;
                rc = 1;
            }
            else if (x > 0.0 && isfinite(x)) {
                *out = log(x);
                rc = 1;
            }
            else {
                PyErr_SetString(PyExc_ValueError, "math domain error");
                rc = -1;
            }
        }
    }
    Py_DECREF(old);
    Py_DECREF(last);
done:
    Py_DECREF(mids);
    return rc;
}

/* signals.ret(window) as a float */
static int
mm_ret(MmCore *m, PyObject *window, double *out)
{
    long long lookback;
    int ok;
    lookback = small_int(window, &ok);
    if (ok) {
        int rc = signals_ret_c(m->signals, lookback, out);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    PyObject *a[2] = {m->signals, window};
    return take_double(PyObject_VectorcallMethod(S_ret, a, 2, NULL), out);
}

static int
mm_schedule(MmCore *m)
{
    double u;
    long long wait, scaled;
    if (__builtin_mul_overflow(m->wake_ms, 1000000LL, &scaled)) {
        PyErr_SetString(PyExc_OverflowError, "market maker: wake_ms is too large");
        return -1;
    }
    if (draw(m->uniform, &u) < 0 || py_int((double)scaled * (0.5 + u), &wait) < 0)
        return -1;
    return loop_wake_after(m->now_ns, m->call_at, wait, m->wake_cb, "market maker");
}

static int
mm_place(Slots *s, long long vi, int side, long long level, long long price, long long qty)
{
    if (qty <= 0 || price <= 0) {
        int noop = slots_pull_is_noop(s, vi, side, level);
        if (noop != 0)
            return noop < 0 ? -1 : 0;
    }
    PyObject *vi_obj = PyLong_FromLongLong(vi), *lv = PyLong_FromLongLong(level),
             *p = PyLong_FromLongLong(price), *q = PyLong_FromLongLong(qty), *r = NULL;
    if (vi_obj != NULL && lv != NULL && p != NULL && q != NULL) {
        PyObject *args[5] = {vi_obj, side == 1 ? SIDE_BUY_OBJ : SIDE_SELL_OBJ, lv, p, q};
        r = slots_place(s, args, 5, NULL);
    }
    Py_XDECREF(vi_obj);
    Py_XDECREF(lv);
    Py_XDECREF(p);
    Py_XDECREF(q);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* math.floor / math.ceil of a float as a C integer (Python's errors for NaN and infinities) */
static int
mm_floor(double x, long long *out)
{
    return py_int(isfinite(x) ? floor(x) : x, out);
}

static int
mm_ceil(double x, long long *out)
{
    return py_int(isfinite(x) ? ceil(x) : x, out);
}

static int
mm_grow(MmCore *m, Py_ssize_t n)
{
    if (n <= m->cap_venues)
        return 0;
    Py_ssize_t cap = n < 8 ? 8 : n;
    MmTrading *t = PyMem_Realloc(m->trading, (size_t)cap * sizeof(MmTrading));
    if (t == NULL)
        goto nomem;
    m->trading = t;
    t = PyMem_Realloc(m->q_trading, (size_t)cap * sizeof(MmTrading));
    if (t == NULL)
        goto nomem;
    m->q_trading = t;
    MmCap *c = PyMem_Realloc(m->caps, (size_t)cap * sizeof(MmCap));
    if (c == NULL)
        goto nomem;
    m->caps = c;
    c = PyMem_Realloc(m->q_caps, (size_t)cap * sizeof(MmCap));
    if (c == NULL)
        goto nomem;
    m->q_caps = c;
    m->cap_venues = cap;
    return 0;
nomem:
    PyErr_NoMemory();
    return -1;
}

/* MarketMaker._wake */
static int
mm_wake(MmCore *m)
{
    if (mm_schedule(m) < 0)
        return -1;
    Slots *slots = (Slots *)m->slots;
    long long now;
    double vol_ratio, toxicity, toxicity_slow;
    if (loop_now(m->now_ns, &now) < 0 || attr_double(m->signals, S_vol_ratio_mm, &vol_ratio) < 0)
        return -1;
    int stressed = vol_ratio >= m->pull_vol;
    if (!stressed) {
        if (attr_double(m->signals, S_toxicity_mm, &toxicity) < 0)
            return -1;
        stressed = toxicity >= m->pull_toxicity;
    }
    if (!stressed) {
        if (attr_double(m->signals, S_toxicity_slow, &toxicity_slow) < 0)
            return -1;
        stressed = toxicity_slow >= m->flow_limit;
    }
    if (!stressed) {
        double r;
        if (!m->rearm) {
            if (mm_ret(m, m->move_window, &r) < 0)
                return -1;
            stressed = fabs(r) >= m->move_limit;
        }
        else if (m->out_until <= m->back_ns) { /* in the market */
            long long since;
            if (__builtin_sub_overflow(now, m->back_ns, &since)) {
                PyErr_SetString(PyExc_OverflowError, "market maker: time overflows");
                return -1;
            }
            /* floor division, as Python's // */
            long long secs = since / 1000000000LL;
            if (since % 1000000000LL != 0 && since < 0)
                secs -= 1;
            long long window = secs < m->move_window_s ? secs : m->move_window_s;
            PyObject *w = window == m->move_window_s ? Py_NewRef(m->move_window)
                                                     : PyLong_FromLongLong(window);
            if (w == NULL)
                return -1;
            int rc = mm_ret(m, w, &r);
            Py_DECREF(w);
            if (rc < 0)
                return -1;
            stressed = fabs(r) >= m->move_limit;
        }
    }
    if (stressed) {
        long long cool;
        if (py_int(m->cooldown_s * 1e9, &cool) < 0)
            return -1;
        if (__builtin_add_overflow(now, cool, &m->out_until)) {
            PyErr_SetString(PyExc_OverflowError, "market maker: out_until overflows");
            return -1;
        }
    }
    if (now < m->out_until) {
        if (PyDict_Size(slots->slots) > 0) {
            PyObject *r = slots_pull_all(slots, NULL);
            if (r == NULL)
                return -1;
            Py_DECREF(r);
        }
        return 0;
    }
    if (m->out_until > m->back_ns) /* back from a pull */
        m->back_ns = now;
    double mid;
    if (attr_double(m->signals, S_fair_mm, &mid) < 0 ||
        attr_double(m->signals, S_toxicity_mm, &toxicity) < 0)
        return -1;
    long long inv = slots->inventory, limit = m->inventory_limit;
    if (limit == 0 || m->widen_vol == 0.0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
        return -1;
    }
    double center = mid - m->skew * (double)inv / (double)limit;
    double half = m->half_spread * py_max(1.0, vol_ratio / m->widen_vol) * (1 + 2 * toxicity);
    /* Orders sent here only arrive later: which venues trade cannot change during a wake-up. */
    Py_ssize_t n_lit = PyList_GET_SIZE(m->lit);
    if (mm_grow(m, n_lit) < 0)
        return -1;
    Py_ssize_t n = 0;
    for (Py_ssize_t vi = 0; vi < n_lit; vi++) {
        PyObject *venue = PyList_GET_ITEM(m->lit, vi);
        int trading;
        Book *bk;
        int fast = venue_view(venue, m->sym, &trading, &bk);
        if (fast < 0)
            return -1;
        if (!fast)
            trading = noise_trading(venue, m->sym);
        if (trading < 0)
            return -1;
        if (!trading)
            continue;
        if (vi >= PyList_GET_SIZE(m->sizes)) {
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            return -1;
        }
        long long size;
        if (core_int64(PyList_GET_ITEM(m->sizes, vi), "size", &size) < 0)
            return -1;
        m->trading[n].vi = vi;
        m->trading[n].size = size;
        n++;
    }
    for (long long level = 0; level < m->levels; level++) {
        double gap = half + (double)(level * m->level_gap);
        long long b, a;
        if (mm_floor(center - gap, &b) < 0 || mm_ceil(center + gap, &a) < 0)
            return -1;
        if (a <= b)
            a = b + 1;
        m->prices[2 * level] = b;
        m->prices[2 * level + 1] = a;
    }
    if (m->post_only) {
        /* a quote never takes: one that would cross a venue's opposite best is posted one tick
         * behind it (a post-only order's price slide) */
        long long top_b = m->prices[0], top_a = m->prices[1];
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *venue = PyList_GetItem(m->lit, (Py_ssize_t)m->trading[k].vi);
            if (venue == NULL)
                return -1;
            int has_bid, has_ask, trading;
            long long bid = 0, ask = 0;
            Book *bk;
            int fast = venue_view(venue, m->sym, &trading, &bk);
            if (fast < 0)
                return -1;
            if (fast && top_qty_fits(bk)) {
                has_bid = bk->bids.n > 0;
                has_ask = bk->asks.n > 0;
                if (has_bid)
                    bid = bk->bids.a[bk->bids.n - 1]->price;
                if (has_ask)
                    ask = bk->asks.a[bk->asks.n - 1]->price;
            }
            else if (noise_l1(venue, m->sym, &has_bid, &bid, &has_ask, &ask) < 0) {
                return -1;
            }
            MmCap *c = &m->caps[k];
            c->has_b = has_ask && ask - 1 < top_b;
            c->b = c->has_b ? ask - 1 : 0;
            c->has_a = has_bid && bid + 1 > top_a;
            c->a = c->has_a ? bid + 1 : 0;
        }
    }
    /* The quotes wanted are a function of these; if they and the slots are as they were after
     * the last wake-up, which left every slot showing what it wanted, there is nothing to send
     * (most wake-ups of a calm market). */
    if (m->quoted && slots->version == m->q_version && inv == m->q_inv && n == m->q_n &&
        memcmp(m->prices, m->q_prices, (size_t)(2 * m->levels) * sizeof(long long)) == 0) {
        int same = 1;
        for (Py_ssize_t k = 0; k < n && same; k++) {
            same = m->trading[k].vi == m->q_trading[k].vi &&
                   m->trading[k].size == m->q_trading[k].size;
            if (same && m->post_only) {
                const MmCap *c = &m->caps[k], *d = &m->q_caps[k];
                same = c->has_b == d->has_b && c->has_a == d->has_a && c->b == d->b &&
                       c->a == d->a;
            }
        }
        if (same)
            return 0;
    }
    /* Working orders count against the limit: everything showing could fill at once. */
    long long bought = 0, sold = 0;
    for (long long level = 0; level < m->levels; level++) {
        long long b = m->prices[2 * level], a = m->prices[2 * level + 1];
        for (Py_ssize_t k = 0; k < n; k++) {
            long long size = m->trading[k].size;
            long long buy = inv + bought + size <= limit ? size : 0;
            long long sell = inv - sold - size >= -limit ? size : 0;
            bought += buy;
            sold += sell;
            long long bv = b, av = a;
            if (m->post_only) {
                const MmCap *c = &m->caps[k];
                if (c->has_b && c->b < bv)
                    bv = c->b;
                if (c->has_a && c->a > av)
                    av = c->a;
            }
            if (mm_place(slots, m->trading[k].vi, 1, level, bv, buy) < 0 ||
                mm_place(slots, m->trading[k].vi, -1, level, av, sell) < 0)
                return -1;
        }
    }
    memcpy(m->q_prices, m->prices, (size_t)(2 * m->levels) * sizeof(long long));
    memcpy(m->q_trading, m->trading, (size_t)n * sizeof(MmTrading));
    if (m->post_only)
        memcpy(m->q_caps, m->caps, (size_t)n * sizeof(MmCap));
    m->q_n = n;
    m->q_inv = inv;
    m->q_version = slots->version;
    m->quoted = 1;
    return 0;
}

static PyObject *
mm_wake_method(MmCore *m, PyObject *unused)
{
    (void)unused;
    if (mm_wake(m) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
mm_schedule_method(MmCore *m, PyObject *unused)
{
    (void)unused;
    if (mm_schedule(m) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
mm_int_param(PyObject *params, const char *name, long long *out)
{
    PyObject *v = PyObject_GetAttrString(params, name);
    if (v == NULL)
        return -1;
    int rc = core_int64(v, name, out);
    Py_DECREF(v);
    return rc;
}

static int
mm_bool_param(PyObject *params, const char *name, int *out)
{
    PyObject *v = PyObject_GetAttrString(params, name);
    if (v == NULL)
        return -1;
    int rc = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (rc < 0)
        return -1;
    *out = rc;
    return 0;
}

static PyObject *
mm_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"params", "lit", "sym", "slots", "uniform", "signals", "loop",
                             "sizes", "move_limit", "flow_limit", NULL};
    PyObject *params, *lit, *sym, *slots, *uniform, *signals, *loop, *sizes;
    double move_limit, flow_limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO!OOOO!dd:MmCore", kwlist, &params,
                                     &PyList_Type, &lit, &sym, &SlotsType, &slots, &uniform,
                                     &signals, &loop, &PyList_Type, &sizes, &move_limit,
                                     &flow_limit))
        return NULL;
    if (SignalsClass == NULL) {
        PyObject *mod = PyImport_ImportModule("flashguard.market.signals");
        if (mod == NULL)
            return NULL;
        PyObject *cls = PyObject_GetAttrString(mod, "Signals");
        Py_DECREF(mod);
        if (cls == NULL)
            return NULL;
        if (!PyType_Check(cls)) {
            Py_DECREF(cls);
            PyErr_SetString(PyExc_TypeError, "signals.Signals must be a class");
            return NULL;
        }
        PyObject *ret = PyDict_GetItemWithError(((PyTypeObject *)cls)->tp_dict, S_ret);
        if (ret == NULL) {
            Py_DECREF(cls);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "signals.Signals has no ret");
            return NULL;
        }
        SignalsRet = Py_NewRef(ret);
        SignalsClass = cls;
    }
    MmCore *m = (MmCore *)type->tp_alloc(type, 0);
    if (m == NULL)
        return NULL;
    m->move_limit = move_limit;
    m->flow_limit = flow_limit;
    if (mm_int_param(params, "wake_ms", &m->wake_ms) < 0 ||
        mm_int_param(params, "levels", &m->levels) < 0 ||
        mm_int_param(params, "level_gap_ticks", &m->level_gap) < 0 ||
        mm_int_param(params, "inventory_limit", &m->inventory_limit) < 0 ||
        mm_int_param(params, "move_window_s", &m->move_window_s) < 0 ||
        noise_param(params, "half_spread_ticks", &m->half_spread) < 0 ||
        noise_param(params, "skew_ticks", &m->skew) < 0 ||
        noise_param(params, "widen_vol", &m->widen_vol) < 0 ||
        noise_param(params, "pull_vol", &m->pull_vol) < 0 ||
        noise_param(params, "pull_toxicity", &m->pull_toxicity) < 0 ||
        noise_param(params, "cooldown_s", &m->cooldown_s) < 0 ||
        mm_bool_param(params, "post_only", &m->post_only) < 0 ||
        mm_bool_param(params, "rearm", &m->rearm) < 0)
        goto fail;
    if (m->levels < 0 || m->levels > (1LL << 24)) {
        PyErr_Format(PyExc_ValueError, "MmCore: levels=%lld must be in [0, 2**24]", m->levels);
        goto fail;
    }
    if (m->levels < 1 && m->post_only) {
        /* the reference reads prices[0]: an IndexError at the first wake-up */
        PyErr_SetString(PyExc_ValueError, "MmCore: post_only needs levels >= 1");
        goto fail;
    }
    if (m->level_gap > (1LL << 40) || m->level_gap < -(1LL << 40)) {
        PyErr_Format(PyExc_ValueError, "MmCore: level_gap_ticks=%lld is out of range",
                     m->level_gap);
        goto fail;
    }
    size_t np = (size_t)(2 * (m->levels > 0 ? m->levels : 1));
    m->prices = PyMem_Calloc(np, sizeof(long long));
    m->q_prices = PyMem_Calloc(np, sizeof(long long));
    if (m->prices == NULL || m->q_prices == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    m->lit = Py_NewRef(lit);
    m->sym = Py_NewRef(sym);
    m->slots = Py_NewRef(slots);
    m->uniform = Py_NewRef(uniform);
    m->signals = Py_NewRef(signals);
    m->sizes = Py_NewRef(sizes);
    if ((m->move_window = PyObject_GetAttrString(params, "move_window_s")) == NULL ||
        (m->call_at = PyObject_GetAttr(loop, S_call_at)) == NULL ||
        (m->now_ns = PyObject_GetAttr(loop, S_now_ns_attr)) == NULL ||
        (m->wake_cb = PyObject_GetAttr((PyObject *)m, S_wake)) == NULL)
        goto fail;
    return (PyObject *)m;
fail:
    Py_DECREF(m);
    return NULL;
}

static int
mm_traverse(MmCore *m, visitproc visit, void *arg)
{
    Py_VISIT(m->lit);
    Py_VISIT(m->sym);
    Py_VISIT(m->slots);
    Py_VISIT(m->uniform);
    Py_VISIT(m->signals);
    Py_VISIT(m->sizes);
    Py_VISIT(m->move_window);
    Py_VISIT(m->call_at);
    Py_VISIT(m->now_ns);
    Py_VISIT(m->wake_cb);
    return 0;
}

static int
mm_clear(MmCore *m)
{
    Py_CLEAR(m->lit);
    Py_CLEAR(m->sym);
    Py_CLEAR(m->slots);
    Py_CLEAR(m->uniform);
    Py_CLEAR(m->signals);
    Py_CLEAR(m->sizes);
    Py_CLEAR(m->move_window);
    Py_CLEAR(m->call_at);
    Py_CLEAR(m->now_ns);
    Py_CLEAR(m->wake_cb);
    return 0;
}

static void
mm_dealloc(MmCore *m)
{
    PyObject_GC_UnTrack(m);
    mm_clear(m);
    PyMem_Free(m->prices);
    PyMem_Free(m->q_prices);
    PyMem_Free(m->trading);
    PyMem_Free(m->q_trading);
    PyMem_Free(m->caps);
    PyMem_Free(m->q_caps);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

static PyMethodDef mm_methods[] = {
    {"wake", (PyCFunction)mm_wake_method, METH_NOARGS, "wake(): MarketMaker._wake."},
    {"schedule", (PyCFunction)mm_schedule_method, METH_NOARGS,
     "schedule(): MarketMaker._schedule."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef mm_members[] = {
    {"out_until", T_LONGLONG, offsetof(MmCore, out_until), 0,
     "until when it stays out (ns)"},
    {"back_ns", T_LONGLONG, offsetof(MmCore, back_ns), 0,
     "when it last came back from a pull (ns)"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject MmCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.MmCore",
    .tp_doc = "A market maker's wake-up (C implementation of "
              "flashguard.market.agents.market_maker.MarketMaker._wake).",
    .tp_basicsize = sizeof(MmCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = mm_new,
    .tp_dealloc = (destructor)mm_dealloc,
    .tp_traverse = (traverseproc)mm_traverse,
    .tp_clear = (inquiry)mm_clear,
    .tp_methods = mm_methods,
    .tp_members = mm_members,
};

static int
mm_init_module(PyObject *m)
{
    if (intern(&S_toxicity_slow, "toxicity_slow") < 0 || intern(&S_fair_mm, "fair") < 0 ||
        intern(&S__mids, "_mids") < 0 ||
        intern(&S_vol_ratio_mm, "vol_ratio") < 0 || intern(&S_toxicity_mm, "toxicity") < 0 ||
        PyType_Ready(&MmCoreType) < 0)
        return -1;
    if (PyModule_AddType(m, &MmCoreType) < 0) /* as "MmCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_MM_H */
