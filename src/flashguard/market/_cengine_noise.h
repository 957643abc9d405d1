/* The noise traders' wake-up in C: `NoiseCore`, the twin of agents.noise.NoiseTraders._act and
 * _schedule (the reference). Included once, by _cengine.c (after the venue core); see there.
 *
 * Same draws from the same streams in the same order (the population's uniform and
 * exponential block iterators are called here), the same float arithmetic in the same order
 * (IEEE doubles, as Python's floats; Python's min/max/int are spelled out with their NaN and
 * truncation behaviour), the same requests to the same venues, and the same Python objects
 * for the state a caller can see (`orders`, one list of (venue index, order id) per trader).
 * The signals, the activity level and the venues are read through their Python attributes.
 */
#ifndef FLASHGUARD_CENGINE_NOISE_H
#define FLASHGUARD_CENGINE_NOISE_H

#include <math.h>

#define NOISE_MAX_VENUES 64

typedef struct {
    PyObject_HEAD
    PyObject *lit;      /* list of lit venues */
    PyObject *sym;
    PyObject *orders;   /* list (per trader) of lists of (venue index, order id) */
    PyObject *uniform;  /* the population's draws: callables returning floats */
    PyObject *exponential;
    PyObject *signals;
    PyObject *activity; /* Activity or None */
    PyObject *call_at;  /* loop.call_at */
    PyObject *now_ns;   /* loop.now_ns */
    PyObject *act_cb;   /* this object's act, bound once */
    long long first_owner, count, max_orders;
    double cancel_prob, market_prob, mean_offset_ticks, size_tail, vol_feedback, stress_widen,
        size_scale, mean_wait_ns;
    Py_ssize_t n_venues;
    double cum[NOISE_MAX_VENUES];
} NoiseCore;

static PyObject *S_vol_ratio, *S_mid, *S_fair, *S_level, *S_status_attr, *S_books_attr, *S_l1,
    *S_submit, *S_cancel_attr, *S_act;
static PyObject *SIDE_BUY_OBJ, *SIDE_SELL_OBJ, *TIF_DAY_OBJ, *TIF_IOC_OBJ;
static PyObject *S__minute, *S__level;
static PyObject *ActivityClass; /* agents.activity.Activity, loaded by the first NoiseCore */

#define NS_PER_MINUTE_C 60000000000LL

static inline double
py_max(double a, double b)
{
    return b > a ? b : a; /* max(a, b): a unless b is larger (NaN b: a) */
}

static inline double
py_min(double a, double b)
{
    return b < a ? b : a;
}

/* int(x) of a float, as a C integer: truncation, and Python's errors for NaN and infinities. */
static int
py_int(double x, long long *out)
{
    if (UNLIKELY(isnan(x))) {
        PyErr_SetString(PyExc_ValueError, "cannot convert float NaN to integer");
        return -1;
    }
    if (UNLIKELY(isinf(x))) {
        PyErr_SetString(PyExc_OverflowError, "cannot convert float infinity to integer");
        return -1;
    }
    if (UNLIKELY(!(x > -9.2e18 && x < 9.2e18))) {
        PyErr_SetString(PyExc_OverflowError, "noise traders: a float is out of int64 range");
        return -1;
    }
    *out = (long long)x;
    return 0;
}

static int
draw(PyObject *stream, double *out)
{
    if (LIKELY(Py_IS_TYPE(stream, &DrawStreamType))) /* read in place */
        return stream_next_double((DrawStream *)stream, out);
    return take_double(PyObject_Vectorcall(stream, NULL, 0, NULL), out);
}

static int
attr_double(PyObject *o, PyObject *name, double *out)
{
    return take_double(PyObject_GetAttr(o, name), out);
}

/* Draws.below(n): a uniform integer in [0, n). */
static int
draw_below(NoiseCore *nc, long long n, long long *out)
{
    double u;
    long long k;
    if (draw(nc->uniform, &u) < 0 || py_int(u * (double)n, &k) < 0)
        return -1;
    *out = k < n ? k : n - 1;
    return 0;
}

/* NoiseTraders._schedule: the next action after an exponential wait at the current pace. */
static int
noise_schedule(NoiseCore *nc)
{
    double vol_ratio, boost, e;
    long long now, wait;
    if (attr_double(nc->signals, S_vol_ratio, &vol_ratio) < 0)
        return -1;
    boost = py_min(1.0 + nc->vol_feedback * py_max(0.0, vol_ratio - 1.0), 5.0);
    if (nc->activity != Py_None) {
        if (loop_now(nc->now_ns, &now) < 0)
            return -1;
        /* Activity.level(now) within the minute it last stepped to returns its level as it
         * is (no draw, no change): read it; any other case goes through the method. */
        if (Py_TYPE(nc->activity) == (PyTypeObject *)ActivityClass) {
            long long minute = now / NS_PER_MINUTE_C;
            if (now % NS_PER_MINUTE_C < 0)
                minute -= 1; /* floor division, as t_ns // NS_PER_MINUTE */
            PyObject *m = PyObject_GetAttr(nc->activity, S__minute);
            if (m == NULL)
                return -1;
            long long last;
            int ovf = 0, same = 0;
            if (PyLong_CheckExact(m)) {
                last = PyLong_AsLongLongAndOverflow(m, &ovf);
                same = !ovf && !(last == -1 && PyErr_Occurred()) && last == minute;
            }
            Py_DECREF(m);
            if (PyErr_Occurred())
                return -1;
            if (same) {
                double level;
                if (attr_double(nc->activity, S__level, &level) < 0)
                    return -1;
                boost *= level;
                goto wait;
            }
        }
        PyObject *t_obj = PyLong_FromLongLong(now);
        if (t_obj == NULL)
            return -1;
        PyObject *a[2] = {nc->activity, t_obj};
        PyObject *lv = PyObject_VectorcallMethod(S_level, a, 2, NULL);
        Py_DECREF(t_obj);
        double level;
        if (take_double(lv, &level) < 0)
            return -1;
        boost *= level;
    }
wait:
    if (draw(nc->exponential, &e) < 0 || py_int(e * nc->mean_wait_ns / boost, &wait) < 0)
        return -1;
    return loop_wake_after(nc->now_ns, nc->call_at, wait + 1, nc->act_cb, "noise traders");
}

/* venue.cancel(owner, sym, order_id) */
static int
noise_cancel(NoiseCore *nc, PyObject *venue, PyObject *owner, PyObject *oid)
{
    PyObject *a[4] = {venue, owner, nc->sym, oid};
    PyObject *r = PyObject_VectorcallMethod(S_cancel_attr, a, 4, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* venue.submit(owner, sym, side, size, price, 1, tif) -> the order id */
static PyObject *
noise_submit(NoiseCore *nc, PyObject *venue, PyObject *owner, int side, long long size,
             long long price, PyObject *tif)
{
    PyObject *size_obj = PyLong_FromLongLong(size);
    PyObject *price_obj = PyLong_FromLongLong(price);
    PyObject *r = NULL;
    if (size_obj != NULL && price_obj != NULL) {
        PyObject *a[8] = {venue, owner, nc->sym, side == 1 ? SIDE_BUY_OBJ : SIDE_SELL_OBJ,
                          size_obj, price_obj, ONE, tif};
        r = PyObject_VectorcallMethod(S_submit, a, 8, NULL);
    }
    Py_XDECREF(size_obj);
    Py_XDECREF(price_obj);
    return r;
}

/* The displayed best bid and ask of venue.books[sym] (has_*: 0 for an empty side). */
static int
noise_l1(PyObject *venue, PyObject *sym, int *has_bid, long long *bid, int *has_ask,
         long long *ask)
{
    PyObject *books = PyObject_GetAttr(venue, S_books_attr);
    if (books == NULL)
        return -1;
    PyObject *book = PyObject_GetItem(books, sym);
    Py_DECREF(books);
    if (book == NULL)
        return -1;
    PyObject *l1 = PyObject_CallMethodNoArgs(book, S_l1);
    Py_DECREF(book);
    if (l1 == NULL)
        return -1;
    int rc = -1;
    if (!PyTuple_Check(l1) || PyTuple_GET_SIZE(l1) != 4) {
        PyErr_Format(PyExc_TypeError, "book.l1()=%R must be (bid, bid_qty, ask, ask_qty)", l1);
        goto done;
    }
    PyObject *b = PyTuple_GET_ITEM(l1, 0), *a = PyTuple_GET_ITEM(l1, 2);
    *has_bid = b != Py_None;
    *has_ask = a != Py_None;
    if ((*has_bid && core_int64(b, "best bid", bid) < 0) ||
        (*has_ask && core_int64(a, "best ask", ask) < 0))
        goto done;
    rc = 0;
done:
    Py_DECREF(l1);
    return rc;
}

/* venue.status[sym] in TRADING_STATES (World.trading) */
static int
noise_trading(PyObject *venue, PyObject *sym)
{
    PyObject *status = PyObject_GetAttr(venue, S_status_attr);
    if (status == NULL)
        return -1;
    PyObject *s = PyObject_GetItem(status, sym);
    Py_DECREF(status);
    if (s == NULL)
        return -1;
    int rc = PySet_Contains(TRADING_STATES, s);
    Py_DECREF(s);
    return rc;
}

/* NoiseTraders._act: one trader acts. */
static int
noise_act(NoiseCore *nc)
{
    double u, x, mid, vol_ratio, fair, e;
    long long i, k, size, ref, offset, price;
    PyObject *owner = NULL, *mine = NULL, *popped = NULL, *oid = NULL;
    int rc = -1;
    if (noise_schedule(nc) < 0)
        return -1;
    if (draw_below(nc, nc->count, &i) < 0)
        return -1;
    owner = PyLong_FromLongLong(nc->first_owner + i);
    if (owner == NULL)
        return -1;
    mine = PyList_GetItem(nc->orders, (Py_ssize_t)i);
    if (mine == NULL || !PyList_Check(mine)) {
        if (mine != NULL)
            PyErr_SetString(PyExc_TypeError, "noise traders: orders must be lists");
        mine = NULL;
        goto done;
    }
    Py_INCREF(mine); /* held: Python code runs in the venues' calls */
    Py_ssize_t held = PyList_GET_SIZE(mine);
    if (held) {
        if (draw(nc->uniform, &u) < 0)
            goto done;
        if (u < nc->cancel_prob) {
            if (draw_below(nc, held, &k) < 0)
                goto done;
            popped = PySequence_GetItem(mine, (Py_ssize_t)k);
            if (popped == NULL || PySequence_DelItem(mine, (Py_ssize_t)k) < 0)
                goto done;
            if (!PyTuple_Check(popped) || PyTuple_GET_SIZE(popped) != 2) {
                PyErr_SetString(PyExc_TypeError, "noise traders: orders hold (venue, id)");
                goto done;
            }
            PyObject *venue = PyList_GetItem(nc->lit,
                                             PyLong_AsSsize_t(PyTuple_GET_ITEM(popped, 0)));
            if (venue == NULL || noise_cancel(nc, venue, owner, PyTuple_GET_ITEM(popped, 1)) < 0)
                goto done;
            rc = 0;
            goto done;
        }
    }
    if (draw(nc->uniform, &u) < 0)
        goto done;
    Py_ssize_t last = nc->n_venues - 1, vi = 0;
    while (vi < last && u > nc->cum[vi])
        vi++;
    PyObject *venue = PyList_GetItem(nc->lit, vi); /* borrowed: the list is not changed */
    if (venue == NULL)
        goto done;
    int trading = noise_trading(venue, nc->sym);
    if (trading <= 0) {
        rc = trading;
        goto done;
    }
    int has_bid, has_ask;
    long long bid = 0, ask = 0;
    if (noise_l1(venue, nc->sym, &has_bid, &bid, &has_ask, &ask) < 0 ||
        attr_double(nc->signals, S_mid, &mid) < 0 || py_int(mid, &ref) < 0)
        goto done;
    if (!has_bid)
        bid = has_ask ? ask - 1 : ref - 1;
    if (!has_ask)
        ask = bid + 1;
    if (draw(nc->uniform, &u) < 0)
        goto done;
    int side = u < 0.5 ? 1 : -1;
    if (draw(nc->uniform, &u) < 0 ||
        py_int(nc->size_scale * (pow(1.0 - u, -1.0 / nc->size_tail) - 1.0), &size) < 0)
        goto done;
    size += 1;
    if (draw(nc->uniform, &u) < 0)
        goto done;
    if (u < nc->market_prob) {
        oid = noise_submit(nc, venue, owner, side, size, side == 1 ? ask : bid, TIF_IOC_OBJ);
        rc = oid == NULL ? -1 : 0;
        goto done;
    }
    if (attr_double(nc->signals, S_vol_ratio, &vol_ratio) < 0)
        goto done;
    double stress = py_max(0.0, vol_ratio - 1.0);
    double widen = nc->stress_widen * stress;
    if (draw(nc->exponential, &e) < 0)
        goto done;
    x = nc->mean_offset_ticks * (widen / 4 + e * (1.0 + widen));
    if (py_int(x, &offset) < 0)
        goto done;
    offset -= 1;
    if (attr_double(nc->signals, S_fair, &fair) < 0)
        goto done;
    long long f;
    if (side == 1) {
        if (py_int(fair, &f) < 0)
            goto done;
        price = f - offset < ask - 1 ? f - offset : ask - 1;
    }
    else {
        if (py_int(fair + 0.999, &f) < 0)
            goto done;
        price = f + offset > bid + 1 ? f + offset : bid + 1;
    }
    if (price <= 0) {
        rc = 0;
        goto done;
    }
    if (PyList_GET_SIZE(mine) >= nc->max_orders) {
        popped = PySequence_GetItem(mine, 0);
        if (popped == NULL || PySequence_DelItem(mine, 0) < 0)
            goto done;
        if (!PyTuple_Check(popped) || PyTuple_GET_SIZE(popped) != 2) {
            PyErr_SetString(PyExc_TypeError, "noise traders: orders hold (venue, id)");
            goto done;
        }
        PyObject *old_venue = PyList_GetItem(nc->lit,
                                             PyLong_AsSsize_t(PyTuple_GET_ITEM(popped, 0)));
        if (old_venue == NULL ||
            noise_cancel(nc, old_venue, owner, PyTuple_GET_ITEM(popped, 1)) < 0)
            goto done;
    }
    /* the venue index is taken before submit, as in (vi, venue.submit(...)) */
    PyObject *vi_obj = PyLong_FromSsize_t(vi);
    if (vi_obj == NULL)
        goto done;
    oid = noise_submit(nc, venue, owner, side, size, price, TIF_DAY_OBJ);
    if (oid == NULL) {
        Py_DECREF(vi_obj);
        goto done;
    }
    PyObject *pair = PyTuple_Pack(2, vi_obj, oid);
    Py_DECREF(vi_obj);
    if (pair == NULL)
        goto done;
    rc = PyList_Append(mine, pair);
    Py_DECREF(pair);
done:
    Py_XDECREF(owner);
    Py_XDECREF(mine);
    Py_XDECREF(popped);
    Py_XDECREF(oid);
    return rc;
}

/* Market.nbbo: the best bid and offer across the venues of `lit` that trade `sym`, read
 * from their books now ((None, None) sides when empty). */
static int
nbbo_side(PyObject *book, PyObject *method, const Ladder *ld, int sign, int *has, long long *v)
{
    if (Py_IS_TYPE(book, &BookType)) {
        if (view_check((Book *)book) < 0)
            return -1;
        *has = ld->n > 0;
        if (*has)
            *v = sign * ld->a[ld->n - 1]->key;
        return 0;
    }
    PyObject *r = PyObject_CallMethodNoArgs(book, method);
    if (r == NULL)
        return -1;
    *has = r != Py_None;
    int rc = *has ? core_int64(r, "best price", v) : 0;
    Py_DECREF(r);
    return rc;
}

static PyObject *S_best_bid, *S_best_ask;

static PyObject *
module_nbbo(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "nbbo(lit: list of venues, instrument)");
        return NULL;
    }
    PyObject *lit = args[0], *sym = args[1];
    int has_bid = 0, has_ask = 0;
    long long bid = 0, ask = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lit); i++) {
        PyObject *v = PyList_GET_ITEM(lit, i);
        Py_INCREF(v);
        int trading = noise_trading(v, sym);
        PyObject *book = NULL;
        if (trading > 0) {
            PyObject *books = PyObject_GetAttr(v, S_books_attr);
            if (books != NULL) {
                book = PyObject_GetItem(books, sym);
                Py_DECREF(books);
            }
        }
        Py_DECREF(v);
        if (trading < 0 || (trading > 0 && book == NULL))
            return NULL;
        if (trading == 0)
            continue;
        int hb, ha;
        long long b = 0, a = 0;
        Book *bk = (Book *)book;
        int rc = nbbo_side(book, S_best_bid, &bk->bids, 1, &hb, &b);
        if (rc == 0)
            rc = nbbo_side(book, S_best_ask, &bk->asks, -1, &ha, &a);
        Py_DECREF(book);
        if (rc < 0)
            return NULL;
        if (hb && (!has_bid || b > bid)) {
            has_bid = 1;
            bid = b;
        }
        if (ha && (!has_ask || a < ask)) {
            has_ask = 1;
            ask = a;
        }
    }
    PyObject *b_obj = has_bid ? PyLong_FromLongLong(bid) : Py_NewRef(Py_None);
    PyObject *a_obj = has_ask ? PyLong_FromLongLong(ask) : Py_NewRef(Py_None);
    if (b_obj == NULL || a_obj == NULL) {
        Py_XDECREF(b_obj);
        Py_XDECREF(a_obj);
        return NULL;
    }
    PyObject *out = PyTuple_Pack(2, b_obj, a_obj);
    Py_DECREF(b_obj);
    Py_DECREF(a_obj);
    return out;
}

static PyObject *
noise_act_method(NoiseCore *nc, PyObject *unused)
{
    (void)unused;
    if (noise_act(nc) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
noise_schedule_method(NoiseCore *nc, PyObject *unused)
{
    (void)unused;
    if (noise_schedule(nc) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
noise_param(PyObject *params, const char *name, double *out)
{
    return take_double(PyObject_GetAttrString(params, name), out);
}

static PyObject *
noise_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"params", "lit", "sym", "first_owner", "orders", "venue_cum",
                             "uniform", "exponential", "signals", "activity", "loop",
                             "size_scale", "mean_wait_ns", NULL};
    PyObject *params, *lit, *sym, *orders, *cum, *uniform, *exponential, *signals, *activity,
        *loop;
    long long first_owner;
    double size_scale, mean_wait_ns;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OLO!OOOOOOdd:NoiseCore", kwlist, &params,
                                     &PyList_Type, &lit, &sym, &first_owner, &PyList_Type,
                                     &orders, &cum, &uniform, &exponential, &signals, &activity,
                                     &loop, &size_scale, &mean_wait_ns))
        return NULL;
    if (ActivityClass == NULL) {
        PyObject *mod = PyImport_ImportModule("flashguard.market.agents.activity");
        if (mod == NULL)
            return NULL;
        ActivityClass = PyObject_GetAttrString(mod, "Activity"); /* kept for the process */
        Py_DECREF(mod);
        if (ActivityClass == NULL)
            return NULL;
    }
    PyObject *cum_seq = PySequence_Fast(cum, "venue_cum must be a sequence of floats");
    if (cum_seq == NULL)
        return NULL;
    Py_ssize_t nv = PySequence_Fast_GET_SIZE(cum_seq);
    if (nv < 1 || nv > NOISE_MAX_VENUES) {
        PyErr_Format(PyExc_ValueError, "venue_cum has %zd weights (1 to %d venues)", nv,
                     NOISE_MAX_VENUES);
        Py_DECREF(cum_seq);
        return NULL;
    }
    NoiseCore *nc = (NoiseCore *)type->tp_alloc(type, 0);
    if (nc == NULL) {
        Py_DECREF(cum_seq);
        return NULL;
    }
    nc->n_venues = nv;
    for (Py_ssize_t i = 0; i < nv; i++) {
        nc->cum[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(cum_seq, i));
        if (nc->cum[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(cum_seq);
            Py_DECREF(nc);
            return NULL;
        }
    }
    Py_DECREF(cum_seq);
    double count, max_orders;
    if (noise_param(params, "cancel_prob", &nc->cancel_prob) < 0 ||
        noise_param(params, "market_prob", &nc->market_prob) < 0 ||
        noise_param(params, "mean_offset_ticks", &nc->mean_offset_ticks) < 0 ||
        noise_param(params, "size_tail", &nc->size_tail) < 0 ||
        noise_param(params, "vol_feedback", &nc->vol_feedback) < 0 ||
        noise_param(params, "stress_widen", &nc->stress_widen) < 0 ||
        noise_param(params, "count", &count) < 0 ||
        noise_param(params, "max_orders", &max_orders) < 0)
        goto fail;
    nc->count = (long long)count;
    nc->max_orders = (long long)max_orders;
    if (nc->count != PyList_GET_SIZE(orders)) {
        PyErr_Format(PyExc_ValueError, "orders has %zd lists for count=%lld traders",
                     PyList_GET_SIZE(orders), nc->count);
        goto fail;
    }
    nc->first_owner = first_owner;
    nc->size_scale = size_scale;
    nc->mean_wait_ns = mean_wait_ns;
    nc->lit = Py_NewRef(lit);
    nc->sym = Py_NewRef(sym);
    nc->orders = Py_NewRef(orders);
    nc->uniform = Py_NewRef(uniform);
    nc->exponential = Py_NewRef(exponential);
    nc->signals = Py_NewRef(signals);
    nc->activity = Py_NewRef(activity);
    if ((nc->call_at = PyObject_GetAttr(loop, S_call_at)) == NULL ||
        (nc->now_ns = PyObject_GetAttr(loop, S_now_ns_attr)) == NULL ||
        (nc->act_cb = PyObject_GetAttr((PyObject *)nc, S_act)) == NULL)
        goto fail;
    return (PyObject *)nc;
fail:
    Py_DECREF(nc);
    return NULL;
}

static int
noise_traverse(NoiseCore *nc, visitproc visit, void *arg)
{
    Py_VISIT(nc->lit);
    Py_VISIT(nc->sym);
    Py_VISIT(nc->orders);
    Py_VISIT(nc->uniform);
    Py_VISIT(nc->exponential);
    Py_VISIT(nc->signals);
    Py_VISIT(nc->activity);
    Py_VISIT(nc->call_at);
    Py_VISIT(nc->now_ns);
    Py_VISIT(nc->act_cb);
    return 0;
}

static int
noise_clear(NoiseCore *nc)
{
    Py_CLEAR(nc->lit);
    Py_CLEAR(nc->sym);
    Py_CLEAR(nc->orders);
    Py_CLEAR(nc->uniform);
    Py_CLEAR(nc->exponential);
    Py_CLEAR(nc->signals);
    Py_CLEAR(nc->activity);
    Py_CLEAR(nc->call_at);
    Py_CLEAR(nc->now_ns);
    Py_CLEAR(nc->act_cb);
    return 0;
}

static void
noise_dealloc(NoiseCore *nc)
{
    PyObject_GC_UnTrack(nc);
    noise_clear(nc);
    Py_TYPE(nc)->tp_free((PyObject *)nc);
}

static PyMethodDef noise_methods[] = {
    {"act", (PyCFunction)noise_act_method, METH_NOARGS,
     "act(): one trader acts (NoiseTraders._act), and the next action is scheduled."},
    {"schedule", (PyCFunction)noise_schedule_method, METH_NOARGS,
     "schedule(): schedule the next action (NoiseTraders._schedule)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NoiseCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.NoiseCore",
    .tp_doc = "The noise traders' wake-up (C implementation of "
              "flashguard.market.agents.noise.NoiseTraders._act and _schedule).",
    .tp_basicsize = sizeof(NoiseCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = noise_new,
    .tp_dealloc = (destructor)noise_dealloc,
    .tp_traverse = (traverseproc)noise_traverse,
    .tp_clear = (inquiry)noise_clear,
    .tp_methods = noise_methods,
};

static int
noise_core_init_module(PyObject *m)
{
    if (intern(&S_vol_ratio, "vol_ratio") < 0 || intern(&S_mid, "mid") < 0 ||
        intern(&S_fair, "fair") < 0 || intern(&S_level, "level") < 0 ||
        intern(&S_status_attr, "status") < 0 || intern(&S_books_attr, "books") < 0 ||
        intern(&S_l1, "l1") < 0 || intern(&S_submit, "submit") < 0 ||
        intern(&S_cancel_attr, "cancel") < 0 || intern(&S_act, "act") < 0 ||
        intern(&S__minute, "_minute") < 0 || intern(&S__level, "_level") < 0 ||
        intern(&S_best_bid, "best_bid") < 0 || intern(&S_best_ask, "best_ask") < 0)
        return -1;
    SIDE_BUY_OBJ = PyLong_FromLong(1);
    SIDE_SELL_OBJ = PyLong_FromLong(-1);
    TIF_DAY_OBJ = PyLong_FromLong(1);
    TIF_IOC_OBJ = PyLong_FromLong(3);
    if (!SIDE_BUY_OBJ || !SIDE_SELL_OBJ || !TIF_DAY_OBJ || !TIF_IOC_OBJ ||
        PyType_Ready(&NoiseCoreType) < 0)
        return -1;
    if (PyModule_AddType(m, &NoiseCoreType) < 0) /* as "NoiseCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_NOISE_H */
