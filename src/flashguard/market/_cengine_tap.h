/* What every print does to the crowd, in C: `TradeTap`, the simulation's one trade listener
 * (reference tap.PyTradeTap). Included once, by _cengine.c (after _cengine_venue.h: it uses
 * slot_attr); see there.
 *
 * tap(venue, trade), in the reference's order: count it; the signals' impact
 * (Signals.on_trade); the venue's volume and last price for the bars; the sink; the stop-loss
 * holders (StopLossHolders.on_trade). Signals.on_trade runs here when the signals are an exact
 * signals.Signals whose fields it touches are exact floats (ints for second_volume) and the
 * trade's qty and aggressor exact ints: the same float operations in the same order, each
 * result a new float in the slot. Anything else is the Python method. The stop-loss holders
 * (an exact StopLossHolders) are called only when the print reaches the nearest stop (the
 * reference's on_trade does nothing otherwise); anything else is called on every print.
 */
#ifndef FLASHGUARD_CENGINE_TAP_H
#define FLASHGUARD_CENGINE_TAP_H

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *signals, *stops, *sink, *volume, *last;
    long long trades;
    int fast_signals; /* signals is an exact Signals: its fields are at sig_off */
    int fast_stops;   /* stops is an exact StopLossHolders */
} TradeTap;

enum {
    SG_LAST_PRICE, SG_SECOND_VOLUME, SG_BUY, SG_BUY_SLOW, SG_SELL, SG_SELL_SLOW, SG_PERMANENT,
    SG_TRANSIENT, SG_IMPACT, SG_TRANSIENT_IMPACT, SG_THIN_ASK, SG_THIN_BID, SG_FAIR, SG_COUNT
};
static const char *const SG_NAMES[SG_COUNT] = {
    "last_price", "second_volume", "_buy", "_buy_slow", "_sell", "_sell_slow", "_permanent",
    "_transient", "impact", "transient_impact", "thin_ask", "thin_bid", "fair"};
static Py_ssize_t sig_off[SG_COUNT];
static PyTypeObject *TapSignalsClass, *TapStopsClass; /* learned at the first TradeTap */
static PyObject *S_on_trade_tap, *S_qty_tap, *S_price_tap, *S_aggressor_tap, *S_venue_tap,
    *S_longs_tap, *S_shorts_tap;

static PyTypeObject TradeTapType;

/* The classes and Signals' slot offsets, once. */
static int
tap_learn(void)
{
    if (TapSignalsClass != NULL)
        return 0;
    PyObject *mod = PyImport_ImportModule("flashguard.market.signals");
    PyObject *sig = mod ? PyObject_GetAttrString(mod, "Signals") : NULL;
    Py_XDECREF(mod);
    mod = sig ? PyImport_ImportModule("flashguard.market.agents.stop_loss") : NULL;
    PyObject *stops = mod ? PyObject_GetAttrString(mod, "StopLossHolders") : NULL;
    Py_XDECREF(mod);
    if (stops == NULL || !PyType_Check(sig) || !PyType_Check(stops)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "Signals and StopLossHolders must be classes");
        Py_XDECREF(sig);
        Py_XDECREF(stops);
        return -1;
    }
    PyTypeObject *tp = (PyTypeObject *)sig;
    int ok = tp->tp_getattro == PyObject_GenericGetAttr;
    for (int f = 0; ok && f < SG_COUNT; f++) {
        PyObject *name = PyUnicode_InternFromString(SG_NAMES[f]);
        if (name == NULL) {
            Py_DECREF(sig);
            Py_DECREF(stops);
            return -1;
        }
        PyObject *descr = _PyType_Lookup(tp, name); /* borrowed */
        Py_DECREF(name);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)descr)->d_member->type != FG_OBJECT_EX) {
            ok = 0;
            break;
        }
        sig_off[f] = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    if (!ok) {
        Py_DECREF(sig);
        sig = NULL; /* no fast path: every Signals.on_trade is the method */
    }
    TapSignalsClass = (PyTypeObject *)sig; /* kept for the process */
    TapStopsClass = (PyTypeObject *)stops;
    return 0;
}

#define SG(o, f) (*(PyObject **)((char *)(o) + sig_off[f]))

/* The field as a double when it is an exact float: 1, else 0. */
static inline int
sg_float(PyObject *o, int f, double *out)
{
    PyObject *v = SG(o, f);
    if (v == NULL || !PyFloat_CheckExact(v))
        return 0;
    *out = PyFloat_AS_DOUBLE(v);
    return 1;
}

static inline int
sg_set_float(PyObject *o, int f, double x)
{
    PyObject *v = PyFloat_FromDouble(x);
    if (v == NULL)
        return -1;
    Py_XSETREF(SG(o, f), v);
    return 0;
}

/* Signals.on_trade(trade) in place: 1 done, 0 not for here (call the method), -1 error. */
static int
tap_signals(PyObject *s, PyObject *qty_o, PyObject *price, PyObject *aggr_o)
{
    if (!PyLong_CheckExact(qty_o) || !PyLong_CheckExact(aggr_o) || SG(s, SG_SECOND_VOLUME) == NULL ||
        !PyLong_CheckExact(SG(s, SG_SECOND_VOLUME)))
        return 0;
    int ovf;
    long long qty = PyLong_AsLongLongAndOverflow(qty_o, &ovf);
    if (ovf || (qty == -1 && PyErr_Occurred()) || qty > (1LL << 53) || qty < -(1LL << 53)) {
        PyErr_Clear();
        return 0;
    }
    long aggr = PyLong_AsLongAndOverflow(aggr_o, &ovf);
    if (ovf || (aggr == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    int side = aggr == 1 ? 1 : aggr == -1 ? -1 : 0;
    double flow, flow_slow, perm, trans, impact, ti, thin;
    if (side != 0) {
        int b = side == 1;
        if (!sg_float(s, b ? SG_BUY : SG_SELL, &flow) ||
            !sg_float(s, b ? SG_BUY_SLOW : SG_SELL_SLOW, &flow_slow) ||
            !sg_float(s, SG_PERMANENT, &perm) || !sg_float(s, SG_TRANSIENT, &trans) ||
            !sg_float(s, SG_IMPACT, &impact) || !sg_float(s, SG_TRANSIENT_IMPACT, &ti) ||
            !sg_float(s, b ? SG_THIN_ASK : SG_THIN_BID, &thin))
            return 0;
    }
    /* self.last_price = trade.price; self.second_volume += qty */
    PyObject *vol = PyNumber_Add(SG(s, SG_SECOND_VOLUME), qty_o);
    if (vol == NULL)
        return -1;
    Py_XSETREF(SG(s, SG_LAST_PRICE), Py_NewRef(price));
    Py_XSETREF(SG(s, SG_SECOND_VOLUME), vol);
    if (side == 0)
        return 1;
    double q = (double)qty;
    int b = side == 1;
    flow += q;
    flow_slow += q;
    if (b) {
        perm += impact * q;
        trans += ti * thin * q;
    }
    else {
        perm -= impact * q;
        trans -= ti * thin * q;
    }
    if (sg_set_float(s, b ? SG_BUY : SG_SELL, flow) < 0 ||
        sg_set_float(s, b ? SG_BUY_SLOW : SG_SELL_SLOW, flow_slow) < 0 ||
        sg_set_float(s, SG_PERMANENT, perm) < 0 || sg_set_float(s, SG_TRANSIENT, trans) < 0 ||
        sg_set_float(s, SG_FAIR, perm + trans) < 0)
        return -1;
    return 1;
}

/* Whether the nearest stop of `side_list` (stops.longs or .shorts, nearest last) is reached by
 * price: 1 yes or cannot tell (call on_trade), 0 no, -1 error. A long stop fires at
 * price <= stop, a short one at price >= stop. */
static int
tap_stop_reached(PyObject *stops, PyObject *name, PyObject *price, int longs)
{
    PyObject *lst = PyObject_GetAttr(stops, name);
    if (lst == NULL)
        return -1;
    int rc = 1;
    if (PyList_CheckExact(lst)) {
        Py_ssize_t n = PyList_GET_SIZE(lst);
        if (n == 0) {
            rc = 0;
        }
        else {
            PyObject *e = PyList_GET_ITEM(lst, n - 1);
            if (PyTuple_CheckExact(e) && PyTuple_GET_SIZE(e) > 0 &&
                PyLong_CheckExact(PyTuple_GET_ITEM(e, 0))) {
                int ovf1, ovf2;
                long long stop = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(e, 0), &ovf1);
                long long p = PyLong_AsLongLongAndOverflow(price, &ovf2);
                if (PyErr_Occurred())
                    PyErr_Clear();
                else if (!ovf1 && !ovf2)
                    rc = longs ? p <= stop : p >= stop;
            }
        }
    }
    Py_DECREF(lst);
    return rc;
}

static PyObject *
tap_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    TradeTap *tp = (TradeTap *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 2 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0)) {
        PyErr_SetString(PyExc_TypeError, "TradeTap(venue, trade) takes two arguments");
        return NULL;
    }
    PyObject *venue = args[0], *trade = args[1];
    static SlotCache qc[SLOT_CACHE], pc[SLOT_CACHE], ac[SLOT_CACHE], vc[SLOT_CACHE];
    PyObject *qty = NULL, *price = NULL, *aggr = NULL, *vname = NULL, *res = NULL;
    tp->trades++;
    /* self.signals.on_trade(trade) */
    int done = 0;
    if (tp->fast_signals) {
        if ((qty = slot_attr(trade, S_qty_tap, qc)) == NULL ||
            (price = slot_attr(trade, S_price_tap, pc)) == NULL ||
            (aggr = slot_attr(trade, S_aggressor_tap, ac)) == NULL)
            goto done;
        done = tap_signals(tp->signals, qty, price, aggr);
        if (done < 0)
            goto done;
    }
    if (!done) {
        PyObject *a[2] = {tp->signals, trade};
        PyObject *r = PyObject_VectorcallMethod(S_on_trade_tap, a, 2, NULL);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    /* volume[v] = volume.get(v, 0) + trade.qty; last[v] = trade.price */
    Py_CLEAR(qty);
    Py_CLEAR(price);
    if ((vname = slot_attr(trade, S_venue_tap, vc)) == NULL ||
        (qty = slot_attr(trade, S_qty_tap, qc)) == NULL)
        goto done;
    PyObject *old = PyDict_GetItemWithError(tp->volume, vname);
    if (old == NULL && PyErr_Occurred())
        goto done;
    PyObject *sum = PyNumber_Add(old != NULL ? old : ZERO, qty);
    if (sum == NULL)
        goto done;
    int rc = PyDict_SetItem(tp->volume, vname, sum);
    Py_DECREF(sum);
    if (rc < 0 || (price = slot_attr(trade, S_price_tap, pc)) == NULL ||
        PyDict_SetItem(tp->last, vname, price) < 0)
        goto done;
    if (tp->sink != Py_None) {
        PyObject *r = PyObject_Vectorcall(tp->sink, &trade, 1, NULL);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    /* self.stops.on_trade(venue, trade) */
    int call = 1;
    if (tp->fast_stops && PyLong_CheckExact(price)) {
        call = tap_stop_reached(tp->stops, S_longs_tap, price, 1);
        if (call == 0)
            call = tap_stop_reached(tp->stops, S_shorts_tap, price, 0);
        if (call < 0)
            goto done;
    }
    if (call) {
        PyObject *a[3] = {tp->stops, venue, trade};
        PyObject *r = PyObject_VectorcallMethod(S_on_trade_tap, a, 3, NULL);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(qty);
    Py_XDECREF(price);
    Py_XDECREF(aggr);
    Py_XDECREF(vname);
    return res;
}

static PyObject *
tap_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"signals", "stops", "sink", NULL};
    PyObject *signals, *stops, *sink = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:TradeTap", kwlist, &signals, &stops,
                                     &sink))
        return NULL;
    if (sink != Py_None && !PyCallable_Check(sink)) {
        PyErr_Format(PyExc_TypeError, "sink=%R must be callable or None", sink);
        return NULL;
    }
    if (tap_learn() < 0)
        return NULL;
    TradeTap *tp = (TradeTap *)type->tp_alloc(type, 0);
    if (tp == NULL)
        return NULL;
    tp->vectorcall = tap_vectorcall;
    tp->signals = Py_NewRef(signals);
    tp->stops = Py_NewRef(stops);
    tp->sink = Py_NewRef(sink);
    tp->volume = PyDict_New();
    tp->last = PyDict_New();
    if (tp->volume == NULL || tp->last == NULL) {
        Py_DECREF(tp);
        return NULL;
    }
    tp->fast_signals = TapSignalsClass != NULL && Py_TYPE(signals) == TapSignalsClass;
    tp->fast_stops = Py_TYPE(stops) == TapStopsClass;
    return (PyObject *)tp;
}

static int
tap_traverse(TradeTap *tp, visitproc visit, void *arg)
{
    Py_VISIT(tp->signals);
    Py_VISIT(tp->stops);
    Py_VISIT(tp->sink);
    Py_VISIT(tp->volume);
    Py_VISIT(tp->last);
    return 0;
}

static int
tap_clear(TradeTap *tp)
{
    Py_CLEAR(tp->signals);
    Py_CLEAR(tp->stops);
    Py_CLEAR(tp->sink);
    Py_CLEAR(tp->volume);
    Py_CLEAR(tp->last);
    return 0;
}

static void
tap_dealloc(TradeTap *tp)
{
    PyObject_GC_UnTrack(tp);
    tap_clear(tp);
    Py_TYPE(tp)->tp_free((PyObject *)tp);
}

#define TAP_OBJ(n, field)                                                                     \
    {                                                                                         \
        n, FG_OBJECT_EX, offsetof(TradeTap, field), READONLY, NULL                            \
    }

static PyMemberDef tap_members[] = {
    TAP_OBJ("signals", signals),
    TAP_OBJ("stops", stops),
    TAP_OBJ("sink", sink),
    TAP_OBJ("volume", volume),
    TAP_OBJ("last", last),
    {"trades", FG_LONGLONG, offsetof(TradeTap, trades), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject TradeTapType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.TradeTap",
    .tp_doc = "TradeTap(signals, stops, sink=None): the simulation's trade listener (C "
              "implementation of flashguard.market.tap.PyTradeTap).",
    .tp_basicsize = sizeof(TradeTap),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = tap_new,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(TradeTap, vectorcall),
    .tp_dealloc = (destructor)tap_dealloc,
    .tp_traverse = (traverseproc)tap_traverse,
    .tp_clear = (inquiry)tap_clear,
    .tp_members = tap_members,
};

static int
tap_init_module(PyObject *m)
{
    if (intern(&S_on_trade_tap, "on_trade") < 0 || intern(&S_qty_tap, "qty") < 0 ||
        intern(&S_price_tap, "price") < 0 || intern(&S_aggressor_tap, "aggressor") < 0 ||
        intern(&S_venue_tap, "venue") < 0 || intern(&S_longs_tap, "longs") < 0 ||
        intern(&S_shorts_tap, "shorts") < 0 || PyType_Ready(&TradeTapType) < 0)
        return -1;
    return PyModule_AddType(m, &TradeTapType); /* as "TradeTap" (its tp_name) */
}

#endif /* FLASHGUARD_CENGINE_TAP_H */
