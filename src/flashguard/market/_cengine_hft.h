/* The HFTs' wake-up and report handling in C: `HftCore`, the twin of agents.hft.Hft._wake,
 * _schedule, _on_report, _unload, _arbitrage and World.best_quotes (the reference). Included
 * once, by _cengine.c (after the slots); see there.
 *
 * Same draws in the same order, the same arithmetic (Python's int/float rules spelled out),
 * the same requests through the venues' submit and the agent's Slots (the C Slots directly,
 * any other through its methods). Venues, books and signals are read through their Python
 * attributes, as the reference reads them.
 */
#ifndef FLASHGUARD_CENGINE_HFT_H
#define FLASHGUARD_CENGINE_HFT_H

typedef struct {
    PyObject_HEAD
    PyObject *lit;
    PyObject *sym;
    PyObject *owner;
    PyObject *slots;
    PyObject *uniform;
    PyObject *signals;
    PyObject *call_at;
    PyObject *now_ns;
    PyObject *wake_cb;
    long long wake_ms, size, inventory_limit;
    double unload_at, lean_toxicity;
} HftCore;

static PyObject *S_toxicity, *S_ret, *S_wake, *S_inventory, *S_on_report, *S_pull_all,
    *S_place;
static PyObject *FIVE;

typedef struct {
    PyObject *venue; /* borrowed from lit, NULL: none */
    long long price, qty;
} Best;

/* Whether both top levels' quantities fit in int64 (else book.l1() and its errors decide). */
static int
top_qty_fits(const Book *b)
{
    const Ladder *bids = &b->bids, *asks = &b->asks;
    return (!bids->n || bids->a[bids->n - 1]->qty <= INT64_MAX) &&
           (!asks->n || asks->a[asks->n - 1]->qty <= INT64_MAX);
}

/* World.best_quotes(): the highest bid and the lowest offer across the trading lit venues. */
static int
hft_best_quotes(HftCore *h, Best *hi, Best *lo)
{
    hi->venue = lo->venue = NULL;
    hi->price = hi->qty = lo->price = lo->qty = 0;
    Py_ssize_t n = PyList_GET_SIZE(h->lit);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *venue = PyList_GET_ITEM(h->lit, i);
        int trading;
        Book *bk;
        int fast = venue_view(venue, h->sym, &trading, &bk);
        if (fast < 0)
            return -1;
        if (fast && trading && top_qty_fits(bk)) {
            /* book.l1() read in place */
            const Ladder *bids = &bk->bids, *asks = &bk->asks;
            if (bids->n) {
                const Level *lv = bids->a[bids->n - 1];
                if (hi->venue == NULL || lv->price > hi->price) {
                    hi->venue = venue;
                    hi->price = lv->price;
                    hi->qty = (long long)lv->qty;
                }
            }
            if (asks->n) {
                const Level *lv = asks->a[asks->n - 1];
                if (lo->venue == NULL || lv->price < lo->price) {
                    lo->venue = venue;
                    lo->price = lv->price;
                    lo->qty = (long long)lv->qty;
                }
            }
            continue;
        }
        if (!fast)
            trading = noise_trading(venue, h->sym);
        if (trading < 0)
            return -1;
        if (!trading)
            continue;
        PyObject *books = PyObject_GetAttr(venue, S_books_attr);
        if (books == NULL)
            return -1;
        PyObject *book = PyObject_GetItem(books, h->sym);
        Py_DECREF(books);
        if (book == NULL)
            return -1;
        PyObject *l1 = PyObject_CallMethodNoArgs(book, S_l1);
        Py_DECREF(book);
        if (l1 == NULL)
            return -1;
        if (!PyTuple_Check(l1) || PyTuple_GET_SIZE(l1) != 4) {
            PyErr_Format(PyExc_TypeError, "book.l1()=%R must be (bid, bid_qty, ask, ask_qty)",
                         l1);
            Py_DECREF(l1);
            return -1;
        }
        long long bid, bid_qty, ask, ask_qty;
        PyObject *b = PyTuple_GET_ITEM(l1, 0), *a = PyTuple_GET_ITEM(l1, 2);
        int rc = 0;
        if (b != Py_None) {
            rc = core_int64(b, "best bid", &bid) < 0 ||
                 core_int64(PyTuple_GET_ITEM(l1, 1), "bid qty", &bid_qty) < 0;
            if (!rc && (hi->venue == NULL || bid > hi->price)) {
                hi->venue = venue;
                hi->price = bid;
                hi->qty = bid_qty;
            }
        }
        if (!rc && a != Py_None) {
            rc = core_int64(a, "best ask", &ask) < 0 ||
                 core_int64(PyTuple_GET_ITEM(l1, 3), "ask qty", &ask_qty) < 0;
            if (!rc && (lo->venue == NULL || ask < lo->price)) {
                lo->venue = venue;
                lo->price = ask;
                lo->qty = ask_qty;
            }
        }
        Py_DECREF(l1);
        if (rc)
            return -1;
    }
    return 0;
}

static int
hft_submit(HftCore *h, PyObject *venue, int side, long long qty, long long price)
{
    PyObject *q = PyLong_FromLongLong(qty), *p = PyLong_FromLongLong(price), *r = NULL;
    if (q != NULL && p != NULL) {
        PyObject *a[8] = {venue, h->owner, h->sym, side == 1 ? SIDE_BUY_OBJ : SIDE_SELL_OBJ,
                          q, p, ONE, TIF_IOC_OBJ};
        r = PyObject_VectorcallMethod(S_submit, a, 8, NULL);
    }
    Py_XDECREF(q);
    Py_XDECREF(p);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int
hft_inventory(HftCore *h, long long *out)
{
    if (Py_IS_TYPE(h->slots, &SlotsType)) {
        *out = ((Slots *)h->slots)->inventory;
        return 0;
    }
    PyObject *v = PyObject_GetAttr(h->slots, S_inventory);
    if (v == NULL)
        return -1;
    int rc = core_int64(v, "slots.inventory", out);
    Py_DECREF(v);
    return rc;
}

/* Hft._unload(quotes): unload inventory beyond unload_at x inventory_limit with an IOC at the
 * best opposite price. */
static int
hft_unload(HftCore *h, const Best *hi_in, const Best *lo_in)
{
    long long inv;
    if (hft_inventory(h, &inv) < 0)
        return -1;
    long long mag = inv < 0 ? -inv : inv;
    double bound = h->unload_at * (double)h->inventory_limit;
    if ((double)mag <= bound)
        return 0;
    int side = inv > 0 ? -1 : 1;
    Best hi, lo;
    if (hi_in != NULL) {
        hi = *hi_in;
        lo = *lo_in;
    }
    else if (hft_best_quotes(h, &hi, &lo) < 0) {
        return -1;
    }
    const Best *b = side == -1 ? &hi : &lo;
    if (b->venue == NULL)
        return 0;
    long long keep;
    if (py_int(h->unload_at * (double)h->inventory_limit / 2, &keep) < 0)
        return -1;
    return hft_submit(h, b->venue, side, mag - keep, b->price);
}

static int
hft_arbitrage(HftCore *h, const Best *hi, const Best *lo)
{
    if (hi->venue == NULL || lo->venue == NULL || hi->venue == lo->venue ||
        hi->price <= lo->price)
        return 0;
    long long qty = hi->qty;
    if (lo->qty < qty)
        qty = lo->qty;
    if (h->inventory_limit < qty)
        qty = h->inventory_limit;
    if (hft_submit(h, lo->venue, 1, qty, lo->price) < 0)
        return -1;
    return hft_submit(h, hi->venue, -1, qty, hi->price);
}

static int
hft_schedule(HftCore *h)
{
    double u;
    long long wait, scaled;
    if (__builtin_mul_overflow(h->wake_ms, 1000000LL, &scaled)) {
        PyErr_SetString(PyExc_OverflowError, "hft: wake_ms is too large");
        return -1;
    }
    if (draw(h->uniform, &u) < 0 || py_int((double)scaled * (0.5 + u), &wait) < 0)
        return -1;
    return loop_wake_after(h->now_ns, h->call_at, wait, h->wake_cb, "hft");
}

static int
hft_place(HftCore *h, Py_ssize_t vi, int side, long long price, long long qty)
{
    if ((qty <= 0 || price <= 0) && Py_IS_TYPE(h->slots, &SlotsType)) {
        int noop = slots_pull_is_noop((Slots *)h->slots, (long long)vi, side, 0);
        if (noop != 0)
            return noop < 0 ? -1 : 0;
    }
    PyObject *vi_obj = PyLong_FromSsize_t(vi), *p = PyLong_FromLongLong(price),
             *q = PyLong_FromLongLong(qty), *r = NULL;
    if (vi_obj != NULL && p != NULL && q != NULL) {
        PyObject *args[5] = {vi_obj, side == 1 ? SIDE_BUY_OBJ : SIDE_SELL_OBJ, ZERO, p, q};
        if (Py_IS_TYPE(h->slots, &SlotsType)) {
            r = slots_place((Slots *)h->slots, args, 5, NULL);
        }
        else {
            PyObject *a[6] = {h->slots, args[0], args[1], args[2], args[3], args[4]};
            r = PyObject_VectorcallMethod(S_place, a, 6, NULL);
        }
    }
    Py_XDECREF(vi_obj);
    Py_XDECREF(p);
    Py_XDECREF(q);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int
hft_pull_all(HftCore *h)
{
    PyObject *r = Py_IS_TYPE(h->slots, &SlotsType)
                      ? slots_pull_all((Slots *)h->slots, NULL)
                      : PyObject_CallMethodNoArgs(h->slots, S_pull_all);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* Hft._wake */
static int
hft_wake(HftCore *h)
{
    Best hi, lo;
    if (hft_schedule(h) < 0 || hft_best_quotes(h, &hi, &lo) < 0 ||
        hft_unload(h, &hi, &lo) < 0 || hft_arbitrage(h, &hi, &lo) < 0)
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(h->lit);
    long long vi;
    double u;
    if (draw(h->uniform, &u) < 0 || py_int(u * (double)n, &vi) < 0)
        return -1;
    if (vi >= n)
        vi = n - 1;
    PyObject *venue = PyList_GetItem(h->lit, (Py_ssize_t)vi);
    if (venue == NULL)
        return -1;
    int trading;
    Book *bk;
    int fast = venue_view(venue, h->sym, &trading, &bk);
    if (fast < 0)
        return -1;
    if (!fast)
        trading = noise_trading(venue, h->sym);
    if (trading < 0)
        return -1;
    if (!trading)
        return hft_pull_all(h);
    int has_bid, has_ask;
    long long bid = 0, ask = 0;
    if (fast) {
        has_bid = bk->bids.n > 0;
        has_ask = bk->asks.n > 0;
        if (has_bid)
            bid = bk->bids.a[bk->bids.n - 1]->price;
        if (has_ask)
            ask = bk->asks.a[bk->asks.n - 1]->price;
    }
    else if (noise_l1(venue, h->sym, &has_bid, &bid, &has_ask, &ask) < 0) {
        return -1;
    }
    if (!has_bid || !has_ask)
        return hft_pull_all(h);
    long long inv;
    double toxicity, ret = 0.0;
    if (hft_inventory(h, &inv) < 0 || attr_double(h->signals, S_toxicity, &toxicity) < 0)
        return -1;
    int lean = toxicity > h->lean_toxicity;
    if (lean) {
        PyObject *a[2] = {h->signals, FIVE};
        if (take_double(PyObject_VectorcallMethod(S_ret, a, 2, NULL), &ret) < 0)
            return -1;
    }
    int flow_down = lean && ret < 0, flow_up = lean && ret > 0;
    long long size = h->size, limit = h->inventory_limit;
    long long buy = (inv + size <= limit && !flow_down) ? size : 0;
    long long sell = (inv - size >= -limit && !flow_up) ? size : 0;
    for (Py_ssize_t other = 0; other < n; other++) {
        if (other != (Py_ssize_t)vi) {
            if (hft_place(h, other, 1, 0, 0) < 0 || hft_place(h, other, -1, 0, 0) < 0)
                return -1;
        }
    }
    if (hft_place(h, (Py_ssize_t)vi, 1, bid, buy) < 0)
        return -1;
    return hft_place(h, (Py_ssize_t)vi, -1, ask, sell);
}

static PyObject *
hft_wake_method(HftCore *h, PyObject *unused)
{
    (void)unused;
    if (hft_wake(h) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
hft_schedule_method(HftCore *h, PyObject *unused)
{
    (void)unused;
    if (hft_schedule(h) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* Hft._on_report */
static PyObject *
hft_on_report(HftCore *h, PyObject *ev)
{
    PyTypeObject *kind = Py_TYPE(ev);
    if (kind == (PyTypeObject *)EV_OrderAccepted || kind == (PyTypeObject *)EV_OrderModified)
        Py_RETURN_NONE;
    PyObject *r;
    if (Py_IS_TYPE(h->slots, &SlotsType))
        r = slots_on_report((Slots *)h->slots, ev);
    else
        r = PyObject_CallMethodOneArg(h->slots, S_on_report, ev);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    if (kind == (PyTypeObject *)EV_OrderFilled && hft_unload(h, NULL, NULL) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
hft_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"params", "lit", "sym", "owner", "slots", "uniform", "signals",
                             "loop", NULL};
    PyObject *params, *lit, *sym, *owner, *slots, *uniform, *signals, *loop;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OOOOOO:HftCore", kwlist, &params,
                                     &PyList_Type, &lit, &sym, &owner, &slots, &uniform,
                                     &signals, &loop))
        return NULL;
    HftCore *h = (HftCore *)type->tp_alloc(type, 0);
    if (h == NULL)
        return NULL;
    double wake_ms, size, limit;
    if (noise_param(params, "wake_ms", &wake_ms) < 0 || noise_param(params, "size", &size) < 0 ||
        noise_param(params, "inventory_limit", &limit) < 0 ||
        noise_param(params, "unload_at", &h->unload_at) < 0 ||
        noise_param(params, "lean_toxicity", &h->lean_toxicity) < 0)
        goto fail;
    h->wake_ms = (long long)wake_ms;
    h->size = (long long)size;
    h->inventory_limit = (long long)limit;
    if ((double)h->wake_ms != wake_ms || (double)h->size != size ||
        (double)h->inventory_limit != limit) {
        PyErr_SetString(PyExc_ValueError, "HftCore: wake_ms, size and inventory_limit must be "
                                          "whole numbers");
        goto fail;
    }
    h->lit = Py_NewRef(lit);
    h->sym = Py_NewRef(sym);
    h->owner = Py_NewRef(owner);
    h->slots = Py_NewRef(slots);
    h->uniform = Py_NewRef(uniform);
    h->signals = Py_NewRef(signals);
    if ((h->call_at = PyObject_GetAttr(loop, S_call_at)) == NULL ||
        (h->now_ns = PyObject_GetAttr(loop, S_now_ns_attr)) == NULL ||
        (h->wake_cb = PyObject_GetAttr((PyObject *)h, S_wake)) == NULL)
        goto fail;
    return (PyObject *)h;
fail:
    Py_DECREF(h);
    return NULL;
}

static int
hft_traverse(HftCore *h, visitproc visit, void *arg)
{
    Py_VISIT(h->lit);
    Py_VISIT(h->sym);
    Py_VISIT(h->owner);
    Py_VISIT(h->slots);
    Py_VISIT(h->uniform);
    Py_VISIT(h->signals);
    Py_VISIT(h->call_at);
    Py_VISIT(h->now_ns);
    Py_VISIT(h->wake_cb);
    return 0;
}

static int
hft_clear(HftCore *h)
{
    Py_CLEAR(h->lit);
    Py_CLEAR(h->sym);
    Py_CLEAR(h->owner);
    Py_CLEAR(h->slots);
    Py_CLEAR(h->uniform);
    Py_CLEAR(h->signals);
    Py_CLEAR(h->call_at);
    Py_CLEAR(h->now_ns);
    Py_CLEAR(h->wake_cb);
    return 0;
}

static void
hft_dealloc(HftCore *h)
{
    PyObject_GC_UnTrack(h);
    hft_clear(h);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

static PyMethodDef hft_methods[] = {
    {"wake", (PyCFunction)hft_wake_method, METH_NOARGS, "wake(): Hft._wake."},
    {"schedule", (PyCFunction)hft_schedule_method, METH_NOARGS, "schedule(): Hft._schedule."},
    {"on_report", (PyCFunction)hft_on_report, METH_O, "on_report(event): Hft._on_report."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HftCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.HftCore",
    .tp_doc = "An HFT's wake-up and report handling (C implementation of "
              "flashguard.market.agents.hft.Hft).",
    .tp_basicsize = sizeof(HftCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = hft_new,
    .tp_dealloc = (destructor)hft_dealloc,
    .tp_traverse = (traverseproc)hft_traverse,
    .tp_clear = (inquiry)hft_clear,
    .tp_methods = hft_methods,
};

static int
hft_init_module(PyObject *m)
{
    if (intern(&S_toxicity, "toxicity") < 0 || intern(&S_ret, "ret") < 0 ||
        intern(&S_wake, "wake") < 0 || intern(&S_inventory, "inventory") < 0 ||
        intern(&S_on_report, "on_report") < 0 || intern(&S_pull_all, "pull_all") < 0 ||
        intern(&S_place, "place") < 0 || PyType_Ready(&HftCoreType) < 0)
        return -1;
    FIVE = PyLong_FromLong(5);
    if (FIVE == NULL)
        return -1;
    if (PyModule_AddType(m, &HftCoreType) < 0) /* as "HftCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_HFT_H */
