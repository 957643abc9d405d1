/* The consolidated feed in C: `SipCore`, what market.sip.Sip is when the extension is built.
 * Included once, by _cengine.c (after _cengine_venue.h: it uses slot_attr, the loop API and
 * EV_Quote from there); see there.
 *
 * The reference is sip.PySip, call for call: on_event keeps each venue's last quote and trading
 * flag per instrument, recomputes the NBBO (trading venues only; the best price on each side,
 * sizes at the best summed; bid > 0, ask > 0) and, when it changed, schedules a Quote from venue
 * "ALL" stamped now for delivery after latency_ns; a Trade is relayed after the same latency
 * and its price kept in last_trade. _deliver hands an event to each subscriber in order.
 *
 * State: per instrument (in the order first seen), per venue (in the order first seen), the
 * quote's four fields as int64 and the trading flag; the NBBO last published, sizes as
 * qsum_t (a sum of int64 sizes, as Python ints would add them). A quote's price and size
 * fields must be ints that fit in 64 bits (TypeError / OverflowError naming the field
 * otherwise). Keys compare as a dict's keys do (identity, then ==). The loop is the C loop's
 * API when it is the C loop, its Python methods otherwise.
 *
 * Beside it, the venues' feed delivery (VenueBase._broadcast and _deliver; references
 * venue._PyVenueCore._broadcast and _deliver), as VenueCore method descriptors that
 * venue.VenueBase takes as its own: module.venue_broadcast and module.venue_deliver.
 */
#ifndef FLASHGUARD_CENGINE_SIP_H
#define FLASHGUARD_CENGINE_SIP_H

typedef struct {
    PyObject *venue; /* the venue's name (the key) */
    int has_quote;   /* a Quote came: the venue takes part in the NBBO */
    int trading;     /* the last VenueStatus said open or limit_state (True until one came) */
    int64_t bid, bid_qty, ask, ask_qty;
} SipVenue;

typedef struct {
    PyObject *instrument;
    SipVenue *v;
    Py_ssize_t n, cap;
    int has_last; /* an NBBO was published for this instrument */
    int64_t bid, ask;
    qsum_t bid_qty, ask_qty;
} SipInst;

typedef struct {
    PyObject_HEAD
    PyObject *loop;
    PyObject *call_at; /* loop.call_at, bound when loop is set */
    PyObject *now_ns;  /* loop.now_ns, bound when loop is set */
    PyObject *subscribers;
    PyObject *last_trade;
    PyObject *deliver; /* self._deliver, bound once */
    long long latency;
    SipInst *inst;
    Py_ssize_t n_inst, cap_inst;
} SipCore;

static PyTypeObject SipCoreType;
static PyObject *EV_VenueStatus, *S_ALL, *S_open_sip, *S_limit_state_sip, *S_call_later_sip,
    *S_deliver_sip, *SIP_F[8];
enum { SF_VENUE, SF_INSTRUMENT, SF_BID, SF_BID_QTY, SF_ASK, SF_ASK_QTY, SF_STATUS, SF_PRICE };
static const char *const SIP_FIELD_NAMES[8] = {"venue", "instrument", "bid", "bid_qty",
                                               "ask", "ask_qty", "status", "price"};

/* Key equality as a dict sees it for these keys: identity, then ==. 1, 0 or -1. */
static inline int
sip_same_key(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b)) {
        /* two str whose hashes are known and differ are not equal (a dict's first test) */
        Py_hash_t ha = ((PyASCIIObject *)a)->hash, hb = ((PyASCIIObject *)b)->hash;
        if (ha != -1 && hb != -1 && ha != hb)
            return 0;
        return PyUnicode_Compare(a, b) == 0; /* cannot fail for two str */
    }
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* The index of instrument's entry (created when `create`), -1 when absent, -2 on error. */
static Py_ssize_t
sip_find_inst(SipCore *s, PyObject *instrument, int create)
{
    for (Py_ssize_t i = 0; i < s->n_inst; i++) {
        int eq = sip_same_key(s->inst[i].instrument, instrument);
        if (eq < 0)
            return -2;
        if (eq)
            return i;
    }
    if (!create)
        return -1;
    if (PyObject_Hash(instrument) == -1) /* a dict would refuse it too */
        return -2;
    if (s->n_inst == s->cap_inst) {
        Py_ssize_t cap = s->cap_inst ? 2 * s->cap_inst : 4;
        SipInst *a = PyMem_Realloc(s->inst, (size_t)cap * sizeof(SipInst));
        if (a == NULL) {
            PyErr_NoMemory();
            return -2;
        }
        s->inst = a;
        s->cap_inst = cap;
    }
    SipInst *in = &s->inst[s->n_inst];
    memset(in, 0, sizeof(*in));
    in->instrument = Py_NewRef(instrument);
    return s->n_inst++;
}

/* The index of venue's entry in instrument i (created, trading, without a quote, when absent),
 * or -1 on error. */
static Py_ssize_t
sip_find_venue(SipCore *s, Py_ssize_t i, PyObject *venue)
{
    for (Py_ssize_t j = 0; j < s->inst[i].n; j++) {
        int eq = sip_same_key(s->inst[i].v[j].venue, venue);
        if (eq < 0)
            return -1;
        if (eq)
            return j;
    }
    if (PyObject_Hash(venue) == -1)
        return -1;
    SipInst *in = &s->inst[i];
    if (in->n == in->cap) {
        Py_ssize_t cap = in->cap ? 2 * in->cap : 4;
        SipVenue *a = PyMem_Realloc(in->v, (size_t)cap * sizeof(SipVenue));
        if (a == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        in->v = a;
        in->cap = cap;
    }
    SipVenue *e = &in->v[in->n];
    memset(e, 0, sizeof(*e));
    e->venue = Py_NewRef(venue);
    e->trading = 1;
    return in->n++;
}

/* The NBBO of instrument i over its trading venues (sip.PySip.nbbo). */
static void
sip_compute(const SipInst *in, int64_t *bid, qsum_t *bid_qty, int64_t *ask, qsum_t *ask_qty)
{
    int64_t b = 0, a = 0;
    qsum_t bq = 0, aq = 0;
    for (Py_ssize_t j = 0; j < in->n; j++) {
        const SipVenue *e = &in->v[j];
        if (!e->has_quote || !e->trading)
            continue;
        if (e->bid && e->bid >= b) {
            bq = (qsum_t)e->bid_qty + (e->bid == b ? bq : 0);
            b = e->bid;
        }
        if (e->ask && (!a || e->ask <= a)) {
            aq = (qsum_t)e->ask_qty + (e->ask == a ? aq : 0);
            a = e->ask;
        }
    }
    *bid = b;
    *bid_qty = bq;
    *ask = a;
    *ask_qty = aq;
}

/* loop.call_later(latency_ns, self._deliver, event), the C loop's way when it is the C one. */
static int
sip_publish(SipCore *s, PyObject *event)
{
    if (UNLIKELY(s->subscribers == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute '_subscribers'");
        return -1;
    }
    int any = PyObject_IsTrue(s->subscribers);
    if (any <= 0)
        return any;
    if (UNLIKELY(s->loop == NULL || s->deliver == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute 'loop'");
        return -1;
    }
    PyObject *lp = c_loop_of(s->call_at);
    if (lp != NULL && c_loop_of(s->now_ns) == lp) {
        int64_t now, t;
        if (s->latency < 0) {
            PyErr_Format(PyExc_ValueError, "delay_ns must be >= 0, got %lld", s->latency);
            return -1;
        }
        if (LOOP_API->now(lp, &now) < 0)
            return -1;
        if (__builtin_add_overflow(now, (int64_t)s->latency, &t)) {
            PyErr_Format(PyExc_OverflowError, "delay_ns=%lld from now %lld does not fit in 64 bits",
                         s->latency, (long long)now);
            return -1;
        }
        return LOOP_API->call_at(lp, t, s->deliver, &event, 1);
    }
    PyObject *lat = PyLong_FromLongLong(s->latency);
    if (lat == NULL)
        return -1;
    PyObject *a[4] = {s->loop, lat, s->deliver, event};
    PyObject *r = PyObject_VectorcallMethod(S_call_later_sip, a, 4, NULL);
    Py_DECREF(lat);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* sip.PySip._update: publish instrument i's NBBO when it changed. */
static int
sip_update(SipCore *s, Py_ssize_t i)
{
    int64_t bid, ask;
    qsum_t bq, aq;
    SipInst *in = &s->inst[i];
    sip_compute(in, &bid, &bq, &ask, &aq);
    if (in->has_last && in->bid == bid && in->ask == ask && in->bid_qty == bq &&
        in->ask_qty == aq)
        return 0;
    in->has_last = 1;
    in->bid = bid;
    in->ask = ask;
    in->bid_qty = bq;
    in->ask_qty = aq;
    if (UNLIKELY(s->subscribers == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute '_subscribers'");
        return -1;
    }
    int any = PyObject_IsTrue(s->subscribers);
    if (any <= 0) /* nobody to tell: the reference's Quote would go nowhere */
        return any;
    if (UNLIKELY(s->now_ns == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute 'loop'");
        return -1;
    }
    PyObject *instrument = Py_NewRef(in->instrument); /* `in` may move under Python code */
    long long now;
    if (loop_now(s->now_ns, &now) < 0) {
        Py_DECREF(instrument);
        return -1;
    }
    PyObject *f[7] = {PyLong_FromLongLong(now), S_ALL, instrument, PyLong_FromLongLong(bid),
                      long_from_qsum(bq), PyLong_FromLongLong(ask), long_from_qsum(aq)};
    PyObject *quote = NULL;
    if (f[0] && f[3] && f[4] && f[5] && f[6])
        quote = make(EV_Quote, f, 7);
    Py_XDECREF(f[0]);
    Py_XDECREF(f[3]);
    Py_XDECREF(f[4]);
    Py_XDECREF(f[5]);
    Py_XDECREF(f[6]);
    Py_DECREF(instrument);
    if (quote == NULL)
        return -1;
    int rc = sip_publish(s, quote);
    Py_DECREF(quote);
    return rc;
}

/* A field of an event, read from its slot when it is one (new reference). */
static PyObject *
sip_field(PyObject *ev, int f, SlotCache *cache)
{
    return slot_attr(ev, SIP_F[f], cache);
}

static int
sip_int64(PyObject *ev, int f, SlotCache *cache, int64_t *out)
{
    PyObject *v = sip_field(ev, f, cache);
    if (v == NULL)
        return -1;
    if (UNLIKELY(!PyLong_Check(v))) {
        PyErr_Format(PyExc_TypeError, "Quote.%s=%R must be an int, not %.100s",
                     SIP_FIELD_NAMES[f], v, Py_TYPE(v)->tp_name);
        Py_DECREF(v);
        return -1;
    }
    int ovf;
    long long x = PyLong_AsLongLongAndOverflow(v, &ovf);
    if (UNLIKELY(ovf)) {
        PyErr_Format(PyExc_OverflowError, "Quote.%s=%R does not fit in a signed 64-bit integer",
                     SIP_FIELD_NAMES[f], v);
        x = -1;
    }
    Py_DECREF(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

/* The (instrument, venue) entry of an event: *i and *j, or -1 on error. */
static int
sip_entry(SipCore *s, PyObject *ev, SlotCache *ic, SlotCache *vc, Py_ssize_t *i, Py_ssize_t *j)
{
    PyObject *instrument = sip_field(ev, SF_INSTRUMENT, ic);
    if (instrument == NULL)
        return -1;
    PyObject *venue = sip_field(ev, SF_VENUE, vc);
    if (venue == NULL) {
        Py_DECREF(instrument);
        return -1;
    }
    *i = sip_find_inst(s, instrument, 1);
    *j = *i < 0 ? -1 : sip_find_venue(s, *i, venue);
    Py_DECREF(instrument);
    Py_DECREF(venue);
    return *j < 0 ? -1 : 0;
}

static PyObject *
sip_on_event(SipCore *s, PyObject *ev)
{
    PyTypeObject *tp = Py_TYPE(ev);
    Py_ssize_t i, j;
    if (tp == (PyTypeObject *)EV_Quote) {
        static SlotCache ic[SLOT_CACHE], vc[SLOT_CACHE], bc[SLOT_CACHE], bqc[SLOT_CACHE],
            ac[SLOT_CACHE], aqc[SLOT_CACHE];
        int64_t bid, bq, ask, aq;
        if (sip_int64(ev, SF_BID, bc, &bid) < 0 || sip_int64(ev, SF_BID_QTY, bqc, &bq) < 0 ||
            sip_int64(ev, SF_ASK, ac, &ask) < 0 || sip_int64(ev, SF_ASK_QTY, aqc, &aq) < 0 ||
            sip_entry(s, ev, ic, vc, &i, &j) < 0)
            return NULL;
        SipVenue *e = &s->inst[i].v[j];
        e->has_quote = 1;
        e->bid = bid;
        e->bid_qty = bq;
        e->ask = ask;
        e->ask_qty = aq;
        if (sip_update(s, i) < 0)
            return NULL;
    }
    else if (tp == (PyTypeObject *)EV_VenueStatus) {
        static SlotCache ic[SLOT_CACHE], vc[SLOT_CACHE], sc[SLOT_CACHE];
        PyObject *status = sip_field(ev, SF_STATUS, sc);
        if (status == NULL)
            return NULL;
        int tr = sip_same_key(S_open_sip, status);
        if (tr == 0)
            tr = sip_same_key(S_limit_state_sip, status);
        Py_DECREF(status);
        if (tr < 0 || sip_entry(s, ev, ic, vc, &i, &j) < 0)
            return NULL;
        s->inst[i].v[j].trading = tr;
        if (sip_update(s, i) < 0)
            return NULL;
    }
    else if (tp == (PyTypeObject *)EV_Trade) {
        static SlotCache ic[SLOT_CACHE], pc[SLOT_CACHE];
        if (UNLIKELY(s->last_trade == NULL)) {
            PyErr_SetString(PyExc_AttributeError, "Sip has no attribute 'last_trade'");
            return NULL;
        }
        PyObject *instrument = sip_field(ev, SF_INSTRUMENT, ic);
        PyObject *price = instrument ? sip_field(ev, SF_PRICE, pc) : NULL;
        int rc = price ? PyObject_SetItem(s->last_trade, instrument, price) : -1;
        Py_XDECREF(instrument);
        Py_XDECREF(price);
        if (rc < 0 || sip_publish(s, ev) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
sip_nbbo(SipCore *s, PyObject *instrument)
{
    int64_t bid = 0, ask = 0;
    qsum_t bq = 0, aq = 0;
    Py_ssize_t i = sip_find_inst(s, instrument, 0);
    if (i == -2)
        return NULL;
    if (i >= 0)
        sip_compute(&s->inst[i], &bid, &bq, &ask, &aq);
    PyObject *t = PyTuple_New(4);
    if (t == NULL)
        return NULL;
    PyObject *x[4] = {PyLong_FromLongLong(bid), long_from_qsum(bq), PyLong_FromLongLong(ask),
                      long_from_qsum(aq)};
    for (int k = 0; k < 4; k++) {
        if (x[k] == NULL) {
            for (int m = 0; m < 4; m++)
                Py_XDECREF(x[m]);
            Py_DECREF(t);
            return NULL;
        }
    }
    for (int k = 0; k < 4; k++)
        PyTuple_SET_ITEM(t, k, x[k]);
    return t;
}

/* listener(ev) for each listener of subs (a list read as it is while it runs, as a for loop
 * sees it; anything else iterated). */
static int
feed_one(PyObject *subs, PyObject *ev)
{
    if (PyList_CheckExact(subs)) {
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(subs); k++) {
            PyObject *f = Py_NewRef(PyList_GET_ITEM(subs, k));
            PyObject *r = PyObject_Vectorcall(f, &ev, 1, NULL);
            Py_DECREF(f);
            if (r == NULL)
                return -1;
            Py_DECREF(r);
        }
        return 0;
    }
    PyObject *it = PyObject_GetIter(subs);
    if (it == NULL)
        return -1;
    PyObject *f;
    while ((f = PyIter_Next(it)) != NULL) {
        PyObject *r = PyObject_Vectorcall(f, &ev, 1, NULL);
        Py_DECREF(f);
        if (r == NULL) {
            Py_DECREF(it);
            return -1;
        }
        Py_DECREF(r);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* sip.PySip._deliver: each subscriber in turn. */
static PyObject *
sip_deliver(SipCore *s, PyObject *ev)
{
    if (UNLIKELY(s->subscribers == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute '_subscribers'");
        return NULL;
    }
    PyObject *subs = Py_NewRef(s->subscribers);
    int rc = feed_one(subs, ev);
    Py_DECREF(subs);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
sip_subscribe(SipCore *s, PyObject *listener)
{
    if (UNLIKELY(s->subscribers == NULL)) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute '_subscribers'");
        return NULL;
    }
    PyObject *r = PyObject_CallMethod(s->subscribers, "append", "O", listener);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static int
sip_set_loop(SipCore *s, PyObject *loop, void *closure)
{
    (void)closure;
    return set_loop_fields(loop, &s->loop, &s->call_at, &s->now_ns);
}

static PyObject *
sip_get_loop(SipCore *s, void *closure)
{
    (void)closure;
    if (s->loop == NULL) {
        PyErr_SetString(PyExc_AttributeError, "Sip has no attribute 'loop'");
        return NULL;
    }
    return Py_NewRef(s->loop);
}

static int
sip_init(SipCore *s, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"loop", "latency_ns", NULL};
    PyObject *loop, *lat = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:Sip", names, &loop, &lat))
        return -1;
    long long latency = 500000;
    if (lat != NULL) {
        if (core_int64(lat, "latency_ns", &latency) < 0)
            return -1;
        if (latency < 0) {
            PyErr_Format(PyExc_ValueError, "latency_ns=%lld must be >= 0", latency);
            return -1;
        }
    }
    if (sip_set_loop(s, loop, NULL) < 0)
        return -1;
    s->latency = latency;
    PyObject *subs = PyList_New(0), *last = PyDict_New();
    PyObject *deliver = PyObject_GetAttr((PyObject *)s, S_deliver_sip);
    if (subs == NULL || last == NULL || deliver == NULL) {
        Py_XDECREF(subs);
        Py_XDECREF(last);
        Py_XDECREF(deliver);
        return -1;
    }
    Py_XSETREF(s->subscribers, subs);
    Py_XSETREF(s->last_trade, last);
    Py_XSETREF(s->deliver, deliver);
    return 0;
}

static void
sip_free_state(SipCore *s)
{
    SipInst *inst = s->inst;
    Py_ssize_t n = s->n_inst;
    s->inst = NULL;
    s->n_inst = s->cap_inst = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = 0; j < inst[i].n; j++)
            Py_DECREF(inst[i].v[j].venue);
        PyMem_Free(inst[i].v);
        Py_DECREF(inst[i].instrument);
    }
    PyMem_Free(inst);
}

static int
sip_traverse(SipCore *s, visitproc visit, void *arg)
{
    Py_VISIT(s->loop);
    Py_VISIT(s->call_at);
    Py_VISIT(s->now_ns);
    Py_VISIT(s->subscribers);
    Py_VISIT(s->last_trade);
    Py_VISIT(s->deliver);
    for (Py_ssize_t i = 0; i < s->n_inst; i++) {
        Py_VISIT(s->inst[i].instrument);
        for (Py_ssize_t j = 0; j < s->inst[i].n; j++)
            Py_VISIT(s->inst[i].v[j].venue);
    }
    return 0;
}

static int
sip_clear(SipCore *s)
{
    Py_CLEAR(s->loop);
    Py_CLEAR(s->call_at);
    Py_CLEAR(s->now_ns);
    Py_CLEAR(s->subscribers);
    Py_CLEAR(s->last_trade);
    Py_CLEAR(s->deliver);
    sip_free_state(s);
    return 0;
}

static void
sip_dealloc(SipCore *s)
{
    PyObject_GC_UnTrack(s);
    sip_clear(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef sip_methods[] = {
    {"subscribe", (PyCFunction)sip_subscribe, METH_O,
     "subscribe(listener): receive the consolidated feed (Quote from \"ALL\", Trade)."},
    {"on_event", (PyCFunction)sip_on_event, METH_O,
     "on_event(event): feed a venue's market data here (Venue.subscribe(sip.on_event))."},
    {"nbbo", (PyCFunction)sip_nbbo, METH_O,
     "nbbo(instrument) -> (bid, bid_qty, ask, ask_qty) across trading venues; 0 where a side "
     "is empty."},
    {"_deliver", (PyCFunction)sip_deliver, METH_O,
     "_deliver(event): hand event to each subscriber in order."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef sip_members[] = {
    {"_subscribers", FG_OBJECT_EX, offsetof(SipCore, subscribers), 0, NULL},
    {"last_trade", FG_OBJECT_EX, offsetof(SipCore, last_trade), 0, NULL},
    {"_deliver_cb", FG_OBJECT_EX, offsetof(SipCore, deliver), 0, NULL},
    {"latency_ns", FG_LONGLONG, offsetof(SipCore, latency), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef sip_getset[] = {
    {"loop", (getter)sip_get_loop, (setter)sip_set_loop, "the event loop", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SipCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.SipCore",
    .tp_doc = "SipCore(loop, latency_ns=500_000): the consolidated feed (C implementation of "
              "flashguard.market.sip.PySip).",
    .tp_basicsize = sizeof(SipCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)sip_init,
    .tp_dealloc = (destructor)sip_dealloc,
    .tp_traverse = (traverseproc)sip_traverse,
    .tp_clear = (inquiry)sip_clear,
    .tp_methods = sip_methods,
    .tp_members = sip_members,
    .tp_getset = sip_getset,
};

/* --- the venues' feed delivery ------------------------------------------------------------ */
/* VenueBase._broadcast and _deliver in C (references venue._PyVenueCore._broadcast and
 * _deliver), as method descriptors of VenueCore that venue.VenueBase takes as its own:
 * _broadcast(md) schedules self._deliver(md) after self.config.md_latency_ns with
 * loop.call_later (the C loop's way when it is the C one); _deliver(md) hands each event of
 * md to each subscriber in order. */

static PyObject *S_config_vf, *S_md_latency_vf;

static PyObject *
venue_broadcast(PyObject *self, PyObject *md)
{
    VenueCore *c = (VenueCore *)self;
    if (core_need(c->subscribers, "_subscribers") < 0)
        return NULL;
    int any = PyObject_IsTrue(c->subscribers);
    if (any > 0)
        any = PyObject_IsTrue(md);
    if (any <= 0)
        return any < 0 ? NULL : Py_NewRef(Py_None);
    static SlotCache lat_slot[SLOT_CACHE];
    PyObject *config = c->config != NULL ? Py_NewRef(c->config)
                                         : PyObject_GetAttr(self, S_config_vf);
    PyObject *lat = config ? slot_attr(config, S_md_latency_vf, lat_slot) : NULL;
    Py_XDECREF(config);
    if (lat == NULL)
        return NULL;
    if (core_need(c->loop, "loop") < 0) {
        Py_DECREF(lat);
        return NULL;
    }
    /* self._deliver: the bound method kept from the last time, while getattr would give the
     * same (the type's venue_deliver, not shadowed on the instance) */
    PyObject *deliver = NULL;
    int own = own_method(self, S_deliver_sip, D_deliver);
    if (own > 0 && c->deliver == NULL)
        c->deliver = PyObject_GetAttr(self, S_deliver_sip);
    if (own > 0 && c->deliver != NULL)
        deliver = Py_NewRef(c->deliver);
    else if (own == 0)
        deliver = PyObject_GetAttr(self, S_deliver_sip);
    if (deliver == NULL) {
        Py_DECREF(lat);
        return NULL;
    }
    int rc;
    PyObject *lp = c_loop_of(c->call_at);
    if (lp != NULL && PyLong_CheckExact(lat) && c_loop_of(c->now_ns) == lp) {
        /* the C loop's call_later(delay, deliver, md), without the call */
        int ovf;
        int64_t delay = PyLong_AsLongLongAndOverflow(lat, &ovf), now, t;
        rc = -1;
        if (ovf)
            PyErr_Format(PyExc_OverflowError, "delay_ns=%R does not fit in 64 bits", lat);
        else if (delay < 0)
            PyErr_Format(PyExc_ValueError, "delay_ns must be >= 0, got %lld", (long long)delay);
        else if (LOOP_API->now(lp, &now) < 0)
            ;
        else if (__builtin_add_overflow(now, delay, &t))
            PyErr_Format(PyExc_OverflowError,
                         "delay_ns=%lld from now %lld does not fit in 64 bits", (long long)delay,
                         (long long)now);
        else
            rc = LOOP_API->call_at(lp, t, deliver, &md, 1);
    }
    else {
        PyObject *a[4] = {c->loop, lat, deliver, md};
        PyObject *r = PyObject_VectorcallMethod(S_call_later_sip, a, 4, NULL);
        rc = r == NULL ? -1 : 0;
        Py_XDECREF(r);
    }
    Py_DECREF(lat);
    Py_DECREF(deliver);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
venue_deliver(PyObject *self, PyObject *md)
{
    VenueCore *c = (VenueCore *)self;
    if (core_need(c->subscribers, "_subscribers") < 0)
        return NULL;
    PyObject *subs = Py_NewRef(c->subscribers);
    int rc = 0;
    if (PyList_CheckExact(md)) {
        for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(md); i++) {
            PyObject *ev = Py_NewRef(PyList_GET_ITEM(md, i));
            rc = feed_one(subs, ev);
            Py_DECREF(ev);
        }
    }
    else {
        PyObject *it = PyObject_GetIter(md), *ev;
        if (it == NULL) {
            rc = -1;
        }
        else {
            while (rc == 0 && (ev = PyIter_Next(it)) != NULL) {
                rc = feed_one(subs, ev);
                Py_DECREF(ev);
            }
            Py_DECREF(it);
            if (rc == 0 && PyErr_Occurred())
                rc = -1;
        }
    }
    Py_DECREF(subs);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef venue_feed_defs[] = {
    {"_broadcast", (PyCFunction)venue_broadcast, METH_O,
     "_broadcast(md): self._deliver(md) after the venue's market-data latency."},
    {"_deliver", (PyCFunction)venue_deliver, METH_O,
     "_deliver(md): each event of md to each subscriber, in order."},
};

/* module.venue_broadcast and module.venue_deliver: VenueCore method descriptors. */
static int
venue_feed_init_module(PyObject *m)
{
    if (intern(&S_config_vf, "config") < 0 || intern(&S_md_latency_vf, "md_latency_ns") < 0)
        return -1;
    const char *names[2] = {"venue_broadcast", "venue_deliver"};
    for (int k = 0; k < 2; k++) {
        PyObject *d = PyDescr_NewMethod(&VenueCoreType, &venue_feed_defs[k]);
        if (d == NULL || PyModule_AddObjectRef(m, names[k], d) < 0) {
            Py_XDECREF(d);
            return -1;
        }
        if (k == 0)
            D_broadcast = Py_NewRef(d);
        else
            D_deliver = Py_NewRef(d);
        Py_DECREF(d);
    }
    return 0;
}

static int
sip_init_module(PyObject *m)
{
    for (int f = 0; f < 8; f++)
        if (intern(&SIP_F[f], SIP_FIELD_NAMES[f]) < 0)
            return -1;
    if (intern(&S_ALL, "ALL") < 0 || intern(&S_open_sip, "open") < 0 ||
        intern(&S_limit_state_sip, "limit_state") < 0 ||
        intern(&S_call_later_sip, "call_later") < 0 || intern(&S_deliver_sip, "_deliver") < 0)
        return -1;
    PyObject *events = PyImport_ImportModule("flashguard.core.events");
    if (events == NULL)
        return -1;
    EV_VenueStatus = PyObject_GetAttrString(events, "VenueStatus");
    Py_DECREF(events);
    if (EV_VenueStatus == NULL || venue_feed_init_module(m) < 0 ||
        PyType_Ready(&SipCoreType) < 0)
        return -1;
    return PyModule_AddType(m, &SipCoreType); /* as "SipCore" (its tp_name) */
}

#endif /* FLASHGUARD_CENGINE_SIP_H */
