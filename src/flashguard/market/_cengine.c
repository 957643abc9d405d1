/* The C twin of flashguard.market.matching.PyMatchingEngine (the reference).
 *
 * Same public API, same events (the msgspec Structs of flashguard.core.events, created by
 * calling their classes), same order of events, same reasons. Only the data structures
 * differ, because the Python ones spend their time in dict, deque and object work:
 *
 *   - per book, an open-addressing hash map order_id -> order node;
 *   - per side, a sorted array of level pointers with the best level at the end (key = price
 *     for bids, -price for asks, as in book.py), searched from the touch outwards;
 *   - per level, an intrusive doubly linked FIFO of order nodes, so a cancel is O(1) and needs
 *     no lazy deletion;
 *   - per book, a second intrusive list of all resting orders in the order they came to rest:
 *     cancel_all and expire_day_orders must walk orders in the insertion order of the Python
 *     engine's `book.orders` dict.
 *
 * Order nodes keep references to the request objects they came from (order id, client order
 * id, owner, side, ...), so events carry the very objects the Python engine would put there.
 *
 * Python code can run inside a call (event constructors, deallocators of freed objects); a
 * book is therefore locked while it is being changed or read, and a re-entrant call on it
 * raises RuntimeError instead of walking half-updated structures.
 *
 * One translation unit: this file (requests, events, matching, the engine type) includes
 * _cengine_pool.h, _cengine_map.h and _cengine_book.h (the data structures), _cengine_args.h
 * (argument binding) and _cengine_views.h (the OrderBook type and its views).
 *
 * Beside the engine, the same module holds C twins of the Python code around it on every
 * message: _cengine_venue.h (VenueCore: a venue's order entry, report delivery and lit
 * arrival path; reference venue._PyVenueCore), _cengine_noise.h (NoiseCore: the noise
 * traders' wake-up; reference agents.noise.NoiseTraders; its draws read in place from
 * _cengine_draws.h's DrawStream, reference agents.base._stream), _cengine_slots.h (Slots: a
 * quoting agent's order slots; reference agents.quoting.PySlots), _cengine_hft.h
 * (HftCore: an HFT's wake-up and reports; reference agents.hft.Hft), _cengine_mm.h (MmCore:
 * a market maker's wake-up; reference agents.market_maker.MarketMaker), _cengine_prot.h
 * (LuldCore and StopCore: LULD and stop logic; references protections.luld.PyLuld and
 * protections.stop_logic.PyStopLogic) and _cengine_guard.h (GuardCore: the market's admission
 * and post-trade path; reference exchange._PyGuardCore) _cengine_sip.h (SipCore: the
 * consolidated feed; reference sip.PySip) and _cengine_tap.h (TradeTap: the simulation's trade
 * listener; reference tap.PyTradeTap). The venue core and the SIP schedule on the C event
 * loop through its C API (core/_cloop_api.h) when the loop is the C one.
 */
#include "_cengine_base.h"
#include "_cengine_args.h"
#include "_cengine_book.h"

/* ---------------------------------------------------------------------------------------- */
/* Module state: event classes, request layouts, reason strings                            */
/* ---------------------------------------------------------------------------------------- */

static PyObject *EV_OrderAccepted, *EV_OrderRejected, *EV_OrderModified, *EV_RequestRejected,
    *EV_OrderFilled, *EV_OrderCancelled, *EV_OrderExpired, *EV_Trade;
static PyObject *RestingOrderClass;
static PyObject *ONE;

static PyObject *S_user, *S_cancel_all, *S_self_trade, *S_no_liquidity, *S_ioc_remainder,
    *S_fok_unfillable, *S_unknown_instrument, *S_invalid_qty, *S_invalid_price,
    *S_duplicate_order_id, *S_invalid_side, *S_invalid_order_type, *S_invalid_tif, *S_unknown_order, *S_not_owner, *S_cancel,
    *S_modify;

enum {
    F_T_NS, F_INSTRUMENT, F_ORDER_ID, F_CLIENT_ORDER_ID, F_OWNER, F_SIDE, F_ORDER_TYPE, F_TIF,
    F_PRICE, F_QTY, F_COUNT
};
static const char *const FIELD_NAMES[F_COUNT] = {
    "t_ns", "instrument", "order_id", "client_order_id", "owner", "side", "order_type", "tif",
    "price", "qty",
};
static PyObject *FIELD_STR[F_COUNT];

/* Which fields a request type carries and, when the type is a plain slotted class (msgspec
 * Structs are), the slot offsets: reading a slot is what generic getattr would do, minus the
 * attribute lookup. Subclasses and look-alikes go through getattr. */
typedef struct {
    PyTypeObject *type;
    const char *name;
    int nfields;
    int fields[F_COUNT];
    Py_ssize_t offset[F_COUNT];
    int fast;
} Layout;

static Layout L_NEW = {NULL, "NewOrder", 10,
                       {F_T_NS, F_INSTRUMENT, F_ORDER_ID, F_CLIENT_ORDER_ID, F_OWNER, F_SIDE,
                        F_ORDER_TYPE, F_TIF, F_PRICE, F_QTY}, {0}, 0};
static Layout L_CANCEL = {NULL, "CancelOrder", 4, {F_T_NS, F_INSTRUMENT, F_ORDER_ID, F_OWNER},
                          {0}, 0};
static Layout L_MODIFY = {NULL, "ModifyOrder", 6,
                          {F_T_NS, F_INSTRUMENT, F_ORDER_ID, F_OWNER, F_PRICE, F_QTY}, {0}, 0};

static int
layout_init(Layout *L, PyObject *events)
{
    PyObject *tp = PyObject_GetAttrString(events, L->name);
    if (tp == NULL)
        return -1;
    if (!PyType_Check(tp)) {
        PyErr_Format(PyExc_TypeError, "flashguard.core.events.%s is not a class", L->name);
        Py_DECREF(tp);
        return -1;
    }
    L->type = (PyTypeObject *)tp; /* owned for the life of the process */
    L->fast = L->type->tp_getattro == PyObject_GenericGetAttr;
    for (int i = 0; i < L->nfields && L->fast; i++) {
        int f = L->fields[i];
        PyObject *descr = _PyType_Lookup(L->type, FIELD_STR[f]); /* borrowed */
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            L->fast = 0;
            break;
        }
        PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
        if (m->type != FG_OBJECT_EX) {
            L->fast = 0;
            break;
        }
        L->offset[f] = m->offset;
    }
    return 0;
}

/* Fill v[field] with new references to a request's fields. */
static int
read_fields(const Layout *L, PyObject *r, PyObject **v)
{
    if (LIKELY(L->fast && Py_TYPE(r) == L->type)) {
        for (int i = 0; i < L->nfields; i++) {
            int f = L->fields[i];
            PyObject *x = *(PyObject **)((char *)r + L->offset[f]);
            if (UNLIKELY(x == NULL)) {
                PyErr_Format(PyExc_AttributeError, "%s has no value for field %s", L->name,
                             FIELD_NAMES[f]);
                return -1;
            }
            Py_INCREF(x);
            v[f] = x;
        }
        return 0;
    }
    for (int i = 0; i < L->nfields; i++) {
        int f = L->fields[i];
        v[f] = PyObject_GetAttr(r, FIELD_STR[f]);
        if (v[f] == NULL)
            return -1;
    }
    return 0;
}

static void
release_fields(PyObject **v)
{
    for (int f = 0; f < F_COUNT; f++)
        Py_XDECREF(v[f]);
}

/* ---------------------------------------------------------------------------------------- */
/* Integer conversion with errors that name the field and the value                        */
/* ---------------------------------------------------------------------------------------- */

/* *ovf is -1 or +1 when the int is out of int64 range (the caller decides what that means). */
static inline int
field_i64(const char *where, int f, PyObject *o, int64_t *out, int *ovf)
{
    if (UNLIKELY(!PyLong_Check(o))) {
        PyErr_Format(PyExc_TypeError, "%s.%s=%R must be an int, not %.100s", where,
                     FIELD_NAMES[f], o, Py_TYPE(o)->tp_name);
        return -1;
    }
    long long x = PyLong_AsLongLongAndOverflow(o, ovf);
    if (UNLIKELY(x == -1 && PyErr_Occurred()))
        return -1;
    *out = (int64_t)x;
    return 0;
}

static int
too_big(const char *where, int f, PyObject *o)
{
    PyErr_Format(PyExc_ValueError, "%s.%s=%R does not fit in a signed 64-bit integer", where,
                 FIELD_NAMES[f], o);
    return -1;
}

static PyObject *
long_from_qsum(qsum_t v)
{
    if (v >= INT64_MIN && v <= INT64_MAX)
        return PyLong_FromLongLong((long long)v);
    PyObject *hi = PyLong_FromLongLong((long long)(v >> 64));
    PyObject *lo = PyLong_FromUnsignedLongLong((unsigned long long)v);
    PyObject *sh = PyLong_FromLong(64);
    PyObject *hs = NULL, *res = NULL;
    if (hi && lo && sh && (hs = PyNumber_Lshift(hi, sh)) != NULL)
        res = PyNumber_Or(hs, lo);
    Py_XDECREF(hi);
    Py_XDECREF(lo);
    Py_XDECREF(sh);
    Py_XDECREF(hs);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* Events of one request, collected before the list is made at its final size. */
typedef struct {
    PyObject **v;
    Py_ssize_t n, cap;
    PyObject *local[16];
} Out;

static inline void
out_init(Out *o)
{
    o->v = o->local;
    o->n = 0;
    o->cap = 16;
}

static void
out_clear(Out *o)
{
    for (Py_ssize_t i = 0; i < o->n; i++)
        Py_DECREF(o->v[i]);
    if (o->v != o->local)
        PyMem_Free(o->v);
    out_init(o);
}

/* Steals ev; a NULL ev is a failed constructor. */
static inline int
out_push(Out *o, PyObject *ev)
{
    if (UNLIKELY(ev == NULL))
        return -1;
    if (UNLIKELY(o->n == o->cap)) {
        Py_ssize_t cap = o->cap * 4;
        PyObject **v;
        if (o->v == o->local) {
            v = PyMem_Malloc((size_t)cap * sizeof(PyObject *));
            if (v != NULL)
                memcpy(v, o->local, (size_t)o->n * sizeof(PyObject *));
        }
        else {
            v = PyMem_Realloc(o->v, (size_t)cap * sizeof(PyObject *));
        }
        if (v == NULL) {
            Py_DECREF(ev);
            PyErr_NoMemory();
            return -1;
        }
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = ev;
    return 0;
}

static PyObject *
out_list(Out *o)
{
    PyObject *list = PyList_New(o->n);
    if (list == NULL) {
        out_clear(o);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < o->n; i++)
        PyList_SET_ITEM(list, i, o->v[i]);
    if (o->v != o->local)
        PyMem_Free(o->v);
    out_init(o);
    return list;
}

static inline PyObject *
make(PyObject *cls, PyObject *const *args, size_t n)
{
    return PyObject_Vectorcall(cls, args, n, NULL);
}

static PyObject *
ev_cancelled(PyObject *t, PyObject *venue, PyObject *instrument, const Order *o, int64_t qty,
             PyObject *reason)
{
    PyObject *q = PyLong_FromLongLong(qty);
    if (q == NULL)
        return NULL;
    PyObject *a[8] = {t, venue, instrument, o->id_obj, o->coid, o->owner_obj, q, reason};
    PyObject *ev = make(EV_OrderCancelled, a, 8);
    Py_DECREF(q);
    return ev;
}

/* ---------------------------------------------------------------------------------------- */
/* The engine                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *venue;
    PyObject *books; /* dict instrument -> Book; never changed after construction */
    PyObject *cache_key; /* the last instrument object looked up, and its book */
    Book *cache_book;
    int stp;
    int64_t trade_seq;
} Engine;

/* An incoming order (a new order, or a modified one re-entering the book). */
typedef struct {
    PyObject *t, *id, *coid, *owner, *side; /* objects that go into its events */
    int64_t owner_v, price_v;
    int side_v;
    int is_market;
} Taker;

static int
engine_ready(Engine *e)
{
    if (UNLIKELY(e->books == NULL || e->venue == NULL)) {
        PyErr_SetString(PyExc_RuntimeError, "matching engine was cleared");
        return -1;
    }
    return 0;
}

/* Borrowed; NULL without an error set means no such instrument. */
static inline Book *
find_book(Engine *e, PyObject *instrument)
{
    if (LIKELY(instrument == e->cache_key))
        return e->cache_book;
    PyObject *b = PyDict_GetItemWithError(e->books, instrument);
    if (b != NULL) {
        Py_INCREF(instrument);
        Py_XSETREF(e->cache_key, instrument);
        e->cache_book = (Book *)b;
    }
    return (Book *)b;
}

/* Quantity an incoming order could trade now, honouring self-trade prevention. */
static qsum_t
fillable(int stp, Book *b, const Taker *tk, int64_t qty)
{
    const Ladder *ld = opposite_side(b, tk->side_v);
    int64_t limit_key = tk->is_market ? NO_LIMIT
                                      : (tk->side_v == SIDE_BUY ? -tk->price_v : tk->price_v);
    qsum_t avail = 0;
    for (Py_ssize_t i = ld->n - 1; i >= 0; i--) {
        const Level *lv = ld->a[i];
        if (lv->key < limit_key)
            break;
        if (stp == STP_NONE) {
            avail += lv->qty;
        }
        else {
            for (const Order *o = lv->head; o != NULL; o = o->next) {
                if (o->owner == tk->owner_v) {
                    if (stp == STP_RESTING)
                        continue;
                    return avail;
                }
                avail += o->qty;
                if (avail >= qty)
                    return avail;
            }
        }
        if (avail >= qty)
            return avail;
    }
    return avail;
}

static int
emit_execution(Out *out, PyObject *t, PyObject *venue, PyObject *instrument, int64_t tid,
               PyObject *px, int64_t fill, const Order *m, int64_t maker_leaves,
               const Taker *tk, int64_t remaining)
{
    int rc = -1;
    PyObject *tid_o = PyLong_FromLongLong(tid);
    PyObject *fill_o = PyLong_FromLongLong(fill);
    PyObject *ml = PyLong_FromLongLong(maker_leaves);
    PyObject *tl = PyLong_FromLongLong(remaining);
    if (tid_o == NULL || fill_o == NULL || ml == NULL || tl == NULL)
        goto done;
    {
        PyObject *a[9] = {t, venue, instrument, tid_o, px, fill_o, tk->side, m->id_obj, tk->id};
        if (out_push(out, make(EV_Trade, a, 9)) < 0)
            goto done;
    }
    {
        PyObject *a[12] = {t,        venue,  instrument, m->id_obj, m->coid, m->owner_obj,
                           m->side_obj, px, fill_o,     ml,        Py_True, tid_o};
        if (out_push(out, make(EV_OrderFilled, a, 12)) < 0)
            goto done;
    }
    {
        PyObject *a[12] = {t,        venue,  instrument, tk->id, tk->coid, tk->owner,
                           tk->side, px,     fill_o,     tl,     Py_False, tid_o};
        if (out_push(out, make(EV_OrderFilled, a, 12)) < 0)
            goto done;
    }
    rc = 0;
done:
    Py_XDECREF(tid_o);
    Py_XDECREF(fill_o);
    Py_XDECREF(ml);
    Py_XDECREF(tl);
    return rc;
}

/* Trade an incoming order against the opposite side, one maker at a time from the best level.
 * Sets *remaining and *stp_stop (stopped by self-trade prevention). Every change to the book
 * is complete before the events that describe it are made, so a failure leaves it consistent. */
static int
match(Engine *e, Book *b, PyObject *venue, const Taker *tk, int64_t qty, int64_t *remaining_out,
      int *stp_stop, Out *out)
{
    Ladder *ld = opposite_side(b, tk->side_v);
    int64_t limit_key = tk->is_market ? NO_LIMIT
                                      : (tk->side_v == SIDE_BUY ? -tk->price_v : tk->price_v);
    int stp = e->stp;
    PyObject *instrument = b->instrument;
    int64_t remaining = qty;
    int rc = 0;
    *stp_stop = 0;
    while (ld->n > 0) {
        Level *lv = ld->a[ld->n - 1];
        if (lv->key < limit_key)
            break;
        Order *m = lv->head; /* a level in the ladder is never empty */
        int64_t mq = m->qty;
        if (stp != STP_NONE && m->owner == tk->owner_v) {
            if (stp == STP_INCOMING) {
                *stp_stop = 1;
                break;
            }
            /* cancel the resting order (CANCEL_RESTING and CANCEL_BOTH) */
            book_unlink(b, m);
            PyObject *ev = ev_cancelled(tk->t, venue, instrument, m, mq, S_self_trade);
            order_release(b, m);
            if (lv->count == 0) {
                ld->n--;
                level_release(b, lv);
            }
            if (out_push(out, ev) < 0)
                return -1;
            if (stp == STP_BOTH) {
                *stp_stop = 1;
                break;
            }
            continue;
        }
        if (UNLIKELY(e->trade_seq == INT64_MAX)) {
            PyErr_SetString(PyExc_ValueError, "trade_seq would overflow int64");
            return -1;
        }
        if (lv->price_obj == NULL && (lv->price_obj = PyLong_FromLongLong(lv->price)) == NULL)
            return -1;
        int64_t tid = ++e->trade_seq;
        int64_t fill, maker_leaves;
        int full = mq <= remaining;
        if (full) {
            fill = mq;
            maker_leaves = 0;
            book_unlink(b, m);
        }
        else {
            fill = remaining;
            maker_leaves = mq - fill;
            m->qty = maker_leaves;
            lv->qty -= fill;
        }
        remaining -= fill;
        rc = emit_execution(out, tk->t, venue, instrument, tid, lv->price_obj, fill, m,
                            maker_leaves, tk, remaining);
        if (full)
            order_release(b, m);
        if (lv->count == 0) {
            ld->n--;
            level_release(b, lv);
        }
        if (rc < 0)
            return -1;
        if (remaining == 0)
            break;
    }
    *remaining_out = remaining;
    return 0;
}

static Order *
order_new(Book *b, const Taker *tk, PyObject *price_obj, PyObject *tif_obj, int64_t tif,
          int64_t id, int64_t qty)
{
    Order *o = pool_get(&b->order_pool);
    if (o == NULL)
        return NULL;
    o->id = id;
    o->owner = tk->owner_v;
    o->price = tk->price_v;
    o->qty = qty;
    o->tif = tif;
    o->side = tk->side_v;
    Py_INCREF(tk->id);
    o->id_obj = tk->id;
    Py_INCREF(tk->coid);
    o->coid = tk->coid;
    Py_INCREF(tk->owner);
    o->owner_obj = tk->owner;
    Py_INCREF(tk->side);
    o->side_obj = tk->side;
    Py_INCREF(price_obj);
    o->price_obj = price_obj;
    Py_INCREF(tif_obj);
    o->tif_obj = tif_obj;
    Py_INCREF(tk->t);
    o->t_obj = tk->t;
    return o;
}

/* --- new orders ------------------------------------------------------------------------- */

static PyObject *
reject_new(PyObject *venue, PyObject **f, PyObject *reason)
{
    PyObject *a[7] = {f[F_T_NS], venue, f[F_INSTRUMENT], f[F_ORDER_ID], f[F_CLIENT_ORDER_ID],
                      f[F_OWNER], reason};
    PyObject *ev = make(EV_OrderRejected, a, 7);
    if (ev == NULL)
        return NULL;
    PyObject *list = PyList_New(1);
    if (list == NULL) {
        Py_DECREF(ev);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, ev);
    return list;
}

static PyObject *
submit_checked(Engine *e, Book *b, PyObject *venue, PyObject **f, const Taker *tk, int64_t id,
               int64_t qty, int64_t tif)
{
    Out out;
    out_init(&out);
    {
        PyObject *a[11] = {f[F_T_NS],  venue,         f[F_INSTRUMENT], f[F_ORDER_ID],
                           f[F_CLIENT_ORDER_ID], f[F_OWNER], f[F_SIDE], f[F_ORDER_TYPE],
                           f[F_TIF],   f[F_PRICE],    f[F_QTY]};
        if (out_push(&out, make(EV_OrderAccepted, a, 11)) < 0)
            goto fail;
    }
    if (tif == TIF_FOK && fillable(e->stp, b, tk, qty) < qty) {
        PyObject *a[8] = {f[F_T_NS],  venue,      f[F_INSTRUMENT],  f[F_ORDER_ID],
                          f[F_CLIENT_ORDER_ID], f[F_OWNER], f[F_QTY], S_fok_unfillable};
        if (out_push(&out, make(EV_OrderCancelled, a, 8)) < 0)
            goto fail;
        return out_list(&out);
    }
    int64_t remaining;
    int stp_stop;
    if (match(e, b, venue, tk, qty, &remaining, &stp_stop, &out) < 0)
        goto fail;
    if (remaining) {
        PyObject *reason;
        if (stp_stop)
            reason = S_self_trade;
        else if (tk->is_market)
            reason = S_no_liquidity;
        else if (tif == TIF_IOC || tif == TIF_FOK)
            reason = S_ioc_remainder;
        else {
            Order *o = order_new(b, tk, f[F_PRICE], f[F_TIF], tif, id, remaining);
            if (o == NULL)
                goto fail;
            if (book_rest(b, o) < 0) {
                order_release(b, o);
                goto fail;
            }
            return out_list(&out);
        }
        PyObject *q = PyLong_FromLongLong(remaining);
        if (q == NULL)
            goto fail;
        PyObject *a[8] = {f[F_T_NS],  venue,      f[F_INSTRUMENT], f[F_ORDER_ID],
                          f[F_CLIENT_ORDER_ID], f[F_OWNER], q, reason};
        PyObject *ev = make(EV_OrderCancelled, a, 8);
        Py_DECREF(q);
        if (out_push(&out, ev) < 0)
            goto fail;
    }
    return out_list(&out);
fail:
    out_clear(&out);
    return NULL;
}

static PyObject *
do_submit(Engine *e, PyObject *r)
{
    PyObject *f[F_COUNT] = {NULL};
    PyObject *result = NULL, *venue = NULL;
    Book *locked = NULL; /* every request holds its book's lock from lookup to return */
    const char *where = L_NEW.name;
    int64_t qty, otype, price = 0, id, side, owner, tif;
    int ovf;
    if (engine_ready(e) < 0 || read_fields(&L_NEW, r, f) < 0)
        goto done;
    venue = e->venue;
    Py_INCREF(venue);
    Book *b = find_book(e, f[F_INSTRUMENT]);
    if (b == NULL) {
        if (!PyErr_Occurred())
            result = reject_new(venue, f, S_unknown_instrument);
        goto done;
    }
    if (book_lock(b) < 0)
        goto done;
    locked = b;
    /* the checks and their order are the Python engine's */
    if (field_i64(where, F_QTY, f[F_QTY], &qty, &ovf) < 0)
        goto done;
    if (ovf < 0 || (ovf == 0 && qty <= 0)) {
        result = reject_new(venue, f, S_invalid_qty);
        goto done;
    }
    if (ovf > 0) {
        too_big(where, F_QTY, f[F_QTY]);
        goto done;
    }
    if (field_i64(where, F_ORDER_TYPE, f[F_ORDER_TYPE], &otype, &ovf) < 0)
        goto done;
    int is_market = ovf == 0 && otype == OT_MARKET;
    int otype_ok = ovf == 0 && (otype == OT_MARKET || otype == OT_LIMIT);
    if (!is_market) {
        if (field_i64(where, F_PRICE, f[F_PRICE], &price, &ovf) < 0)
            goto done;
        if (ovf < 0 || (ovf == 0 && price <= 0)) {
            result = reject_new(venue, f, S_invalid_price);
            goto done;
        }
        if (ovf > 0) {
            too_big(where, F_PRICE, f[F_PRICE]);
            goto done;
        }
    }
    if (field_i64(where, F_ORDER_ID, f[F_ORDER_ID], &id, &ovf) < 0)
        goto done;
    if (ovf) {
        too_big(where, F_ORDER_ID, f[F_ORDER_ID]);
        goto done;
    }
    if (map_get(&b->map, id) != NULL) {
        result = reject_new(venue, f, S_duplicate_order_id);
        goto done;
    }
    if (field_i64(where, F_SIDE, f[F_SIDE], &side, &ovf) < 0)
        goto done;
    if (ovf || (side != SIDE_BUY && side != SIDE_SELL)) {
        result = reject_new(venue, f, S_invalid_side);
        goto done;
    }
    if (!otype_ok) {
        result = reject_new(venue, f, S_invalid_order_type);
        goto done;
    }
    if (field_i64(where, F_OWNER, f[F_OWNER], &owner, &ovf) < 0)
        goto done;
    if (ovf) {
        too_big(where, F_OWNER, f[F_OWNER]);
        goto done;
    }
    if (field_i64(where, F_TIF, f[F_TIF], &tif, &ovf) < 0)
        goto done;
    if (ovf || tif < TIF_DAY || tif > TIF_FOK) {
        result = reject_new(venue, f, S_invalid_tif);
        goto done;
    }
    Taker tk = {f[F_T_NS], f[F_ORDER_ID], f[F_CLIENT_ORDER_ID], f[F_OWNER], f[F_SIDE],
                owner,     price,         (int)side,           is_market};
    result = submit_checked(e, b, venue, f, &tk, id, qty, tif);
done:
    if (locked)
        book_unlock(locked);
    Py_XDECREF(venue);
    release_fields(f);
    return result;
}

/* --- cancel and modify ------------------------------------------------------------------- */

static PyObject *
request_rejected(PyObject *venue, PyObject **f, PyObject *request, PyObject *reason)
{
    PyObject *a[7] = {f[F_T_NS], venue, f[F_INSTRUMENT], f[F_ORDER_ID], f[F_OWNER], request,
                      reason};
    PyObject *ev = make(EV_RequestRejected, a, 7);
    if (ev == NULL)
        return NULL;
    PyObject *list = PyList_New(1);
    if (list == NULL) {
        Py_DECREF(ev);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, ev);
    return list;
}

/* The resting order a cancel or modify names; NULL without error when there is none. */
static Order *
find_order(const char *where, Book *b, PyObject *id_obj)
{
    int64_t id;
    int ovf;
    if (b == NULL)
        return NULL;
    if (field_i64(where, F_ORDER_ID, id_obj, &id, &ovf) < 0)
        return NULL;
    if (ovf)
        return NULL; /* no order with such an id can rest */
    return map_get(&b->map, id);
}

/* 1 when the request's owner is the order's, 0 when not, -1 on error. */
static int
same_owner(const char *where, const Order *o, PyObject *owner_obj)
{
    int64_t owner;
    int ovf;
    if (field_i64(where, F_OWNER, owner_obj, &owner, &ovf) < 0)
        return -1;
    return ovf == 0 && owner == o->owner;
}

static PyObject *
do_cancel(Engine *e, PyObject *r, PyObject *reason)
{
    PyObject *f[F_COUNT] = {NULL};
    PyObject *result = NULL, *venue = NULL;
    Book *locked = NULL;
    const char *where = L_CANCEL.name;
    if (engine_ready(e) < 0 || read_fields(&L_CANCEL, r, f) < 0)
        goto done;
    venue = e->venue;
    Py_INCREF(venue);
    Book *b = find_book(e, f[F_INSTRUMENT]);
    if (b == NULL && PyErr_Occurred())
        goto done;
    if (b != NULL) {
        if (book_lock(b) < 0)
            goto done;
        locked = b;
    }
    Order *o = find_order(where, b, f[F_ORDER_ID]);
    if (o == NULL) {
        if (!PyErr_Occurred())
            result = request_rejected(venue, f, S_cancel, S_unknown_order);
        goto done;
    }
    int same = same_owner(where, o, f[F_OWNER]);
    if (same <= 0) {
        if (same == 0)
            result = request_rejected(venue, f, S_cancel, S_not_owner);
        goto done;
    }
    int64_t qty = book_remove(b, o);
    PyObject *ev = ev_cancelled(f[F_T_NS], venue, f[F_INSTRUMENT], o, qty, reason);
    order_release(b, o);
    if (ev != NULL) {
        result = PyList_New(1);
        if (result == NULL)
            Py_DECREF(ev);
        else
            PyList_SET_ITEM(result, 0, ev);
    }
done:
    if (locked)
        book_unlock(locked);
    Py_XDECREF(venue);
    release_fields(f);
    return result;
}

static PyObject *
modify_checked(Engine *e, Book *b, PyObject *venue, PyObject **f, Order *o, int64_t price,
               int64_t qty)
{
    Out out;
    out_init(&out);
    if (price == o->price && qty <= o->qty) {
        /* a size decrease at the same price keeps time priority */
        o->level->qty -= o->qty - qty;
        o->qty = qty;
        PyObject *a[8] = {f[F_T_NS], venue, f[F_INSTRUMENT], f[F_ORDER_ID], f[F_OWNER],
                          f[F_PRICE], f[F_QTY], Py_True};
        if (out_push(&out, make(EV_OrderModified, a, 8)) < 0)
            goto fail;
        return out_list(&out);
    }
    /* anything else re-enters the order at the back of its (new) level, where it may trade */
    book_remove(b, o);
    {
        PyObject *a[8] = {f[F_T_NS], venue, f[F_INSTRUMENT], f[F_ORDER_ID], f[F_OWNER],
                          f[F_PRICE], f[F_QTY], Py_False};
        if (out_push(&out, make(EV_OrderModified, a, 8)) < 0)
            goto fail_free;
    }
    Taker tk = {f[F_T_NS], o->id_obj, o->coid, o->owner_obj, o->side_obj,
                o->owner,  price,     o->side, 0};
    int64_t remaining;
    int stp_stop;
    if (match(e, b, venue, &tk, qty, &remaining, &stp_stop, &out) < 0)
        goto fail_free;
    if (remaining && !stp_stop) {
        /* the node is reused: same order, new price, size and time */
        Py_INCREF(f[F_PRICE]);
        Py_SETREF(o->price_obj, f[F_PRICE]);
        Py_INCREF(f[F_T_NS]);
        Py_SETREF(o->t_obj, f[F_T_NS]);
        o->price = price;
        o->qty = remaining;
        if (book_rest(b, o) < 0)
            goto fail_free;
        return out_list(&out);
    }
    if (remaining) {
        PyObject *ev = ev_cancelled(f[F_T_NS], venue, f[F_INSTRUMENT], o, remaining,
                                    S_self_trade);
        if (out_push(&out, ev) < 0)
            goto fail_free;
    }
    order_release(b, o);
    return out_list(&out);
fail_free:
    order_release(b, o);
fail:
    out_clear(&out);
    return NULL;
}

static PyObject *
do_modify(Engine *e, PyObject *r)
{
    PyObject *f[F_COUNT] = {NULL};
    PyObject *result = NULL, *venue = NULL, *reason = NULL;
    const char *where = L_MODIFY.name;
    int64_t qty = 0, price = 0;
    int qty_ovf = 0, ovf;
    Book *locked = NULL;
    if (engine_ready(e) < 0 || read_fields(&L_MODIFY, r, f) < 0)
        goto done;
    venue = e->venue;
    Py_INCREF(venue);
    Book *b = find_book(e, f[F_INSTRUMENT]);
    if (b == NULL && PyErr_Occurred())
        goto done;
    if (b != NULL) {
        if (book_lock(b) < 0)
            goto done;
        locked = b;
    }
    Order *o = find_order(where, b, f[F_ORDER_ID]);
    if (o == NULL) {
        if (PyErr_Occurred())
            goto done;
        reason = S_unknown_order;
    }
    if (reason == NULL) {
        int same = same_owner(where, o, f[F_OWNER]);
        if (same < 0)
            goto done;
        if (!same)
            reason = S_not_owner;
    }
    if (reason == NULL) {
        if (field_i64(where, F_QTY, f[F_QTY], &qty, &qty_ovf) < 0)
            goto done;
        if (qty_ovf < 0 || (qty_ovf == 0 && qty <= 0))
            reason = S_invalid_qty;
    }
    if (reason == NULL) {
        if (field_i64(where, F_PRICE, f[F_PRICE], &price, &ovf) < 0)
            goto done;
        if (ovf < 0 || (ovf == 0 && price <= 0))
            reason = S_invalid_price;
        else if (ovf > 0) {
            too_big(where, F_PRICE, f[F_PRICE]);
            goto done;
        }
        else if (qty_ovf > 0) {
            too_big(where, F_QTY, f[F_QTY]);
            goto done;
        }
    }
    if (reason != NULL) {
        result = request_rejected(venue, f, S_modify, reason);
        goto done;
    }
    result = modify_checked(e, b, venue, f, o, price, qty);
done:
    if (locked)
        book_unlock(locked);
    Py_XDECREF(venue);
    release_fields(f);
    return result;
}

/* --- session ----------------------------------------------------------------------------- */

/* Remove every order of every book that `take` selects, oldest resting first, with one event
 * each. */
typedef int (*OrderFilter)(const Order *o, const void *arg);

static int
sweep_books(Engine *e, OrderFilter take, const void *arg, PyObject *t, PyObject *reason,
            int expire, Out *out)
{
    PyObject *venue = e->venue;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    int rc = 0;
    Py_INCREF(venue);
    while (rc == 0 && PyDict_Next(e->books, &pos, &key, &value)) {
        Book *b = (Book *)value;
        if (book_lock(b) < 0) {
            rc = -1;
            break;
        }
        for (Order *o = b->oldest; o != NULL;) {
            Order *next = o->newer;
            if (take(o, arg)) {
                int64_t qty = book_remove(b, o);
                PyObject *ev;
                if (expire) {
                    PyObject *q = PyLong_FromLongLong(qty);
                    ev = NULL;
                    if (q != NULL) {
                        PyObject *a[7] = {t,       venue,        b->instrument, o->id_obj,
                                          o->coid, o->owner_obj, q};
                        ev = make(EV_OrderExpired, a, 7);
                        Py_DECREF(q);
                    }
                }
                else {
                    ev = ev_cancelled(t, venue, b->instrument, o, qty, reason);
                }
                order_release(b, o);
                if (out_push(out, ev) < 0) {
                    rc = -1;
                    break;
                }
            }
            o = next;
        }
        book_unlock(b);
    }
    Py_DECREF(venue);
    return rc;
}

typedef struct {
    int any;
    int ovf;
    int64_t owner;
} OwnerFilter;

static int
take_owner(const Order *o, const void *arg)
{
    const OwnerFilter *of = arg;
    return of->any || (of->ovf == 0 && o->owner == of->owner);
}

static int
take_day(const Order *o, const void *arg)
{
    (void)arg;
    return o->tif == TIF_DAY;
}

/* ---------------------------------------------------------------------------------------- */
/* MatchingEngine methods                                                                   */
/* ---------------------------------------------------------------------------------------- */

static PyObject *
engine_handle(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *r;
    ONE_ARG("handle", "request", r);
    PyTypeObject *tp = Py_TYPE(r);
    if (tp == L_NEW.type)
        return do_submit(e, r);
    if (tp == L_CANCEL.type)
        return do_cancel(e, r, S_user);
    if (tp == L_MODIFY.type)
        return do_modify(e, r);
    PyObject *name = PyType_GetName(tp);
    if (name != NULL) {
        PyErr_Format(PyExc_TypeError, "request=%U is not a venue request", name);
        Py_DECREF(name);
    }
    return NULL;
}

static PyObject *
engine_submit(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *r;
    ONE_ARG("submit", "r", r);
    return do_submit(e, r);
}

static PyObject *
engine_modify(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *r;
    ONE_ARG("modify", "r", r);
    return do_modify(e, r);
}

static PyObject *
engine_cancel(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"r", "reason"};
    PyObject *a[2];
    if (bind_args("cancel", args, nargs, kwnames, names, 1, 2, a) < 0)
        return NULL;
    return do_cancel(e, a[0], a[1] ? a[1] : S_user);
}

static PyObject *
engine_cancel_all(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"t_ns", "owner", "reason"};
    PyObject *a[3];
    OwnerFilter of = {1, 0, 0};
    if (bind_args("cancel_all", args, nargs, kwnames, names, 1, 3, a) < 0 ||
        engine_ready(e) < 0)
        return NULL;
    if (a[1] != NULL && a[1] != Py_None) {
        of.any = 0;
        if (field_i64("cancel_all", F_OWNER, a[1], &of.owner, &of.ovf) < 0)
            return NULL;
    }
    Out out;
    out_init(&out);
    if (sweep_books(e, take_owner, &of, a[0], a[2] ? a[2] : S_cancel_all, 0, &out) < 0) {
        out_clear(&out);
        return NULL;
    }
    return out_list(&out);
}

static PyObject *
engine_expire_day_orders(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *t_ns;
    ONE_ARG("expire_day_orders", "t_ns", t_ns);
    if (engine_ready(e) < 0)
        return NULL;
    Out out;
    out_init(&out);
    if (sweep_books(e, take_day, NULL, t_ns, NULL, 1, &out) < 0) {
        out_clear(&out);
        return NULL;
    }
    return out_list(&out);
}

static PyObject *
engine_book(Engine *e, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *instrument;
    ONE_ARG("book", "instrument", instrument);
    if (engine_ready(e) < 0)
        return NULL;
    PyObject *b = PyDict_GetItemWithError(e->books, instrument);
    if (b == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, instrument);
        return NULL;
    }
    Py_INCREF(b);
    return b;
}

static int
parse_stp(PyObject *v, int *out)
{
    int ovf;
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "stp=%R must be a SelfTradePrevention, not %.100s", v,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    long long x = PyLong_AsLongLongAndOverflow(v, &ovf);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (ovf || x < STP_NONE || x > STP_BOTH) {
        PyErr_Format(PyExc_ValueError,
                     "stp=%R is not a SelfTradePrevention (0 NONE, 1 CANCEL_RESTING, "
                     "2 CANCEL_INCOMING, 3 CANCEL_BOTH)",
                     v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static PyObject *
engine_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"venue", "instruments", "stp", NULL};
    PyObject *venue, *instruments, *stp_obj = NULL;
    int stp = STP_RESTING;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:MatchingEngine", kwlist, &venue,
                                     &instruments, &stp_obj))
        return NULL;
    if (stp_obj != NULL && parse_stp(stp_obj, &stp) < 0)
        return NULL;
    Engine *e = (Engine *)type->tp_alloc(type, 0);
    if (e == NULL)
        return NULL;
    Py_INCREF(venue);
    e->venue = venue;
    e->stp = stp;
    e->trade_seq = 0;
    e->cache_key = NULL;
    e->cache_book = NULL;
    e->books = PyDict_New();
    PyObject *it = e->books ? PyObject_GetIter(instruments) : NULL;
    if (it == NULL) {
        Py_DECREF(e);
        return NULL;
    }
    PyObject *sym;
    while ((sym = PyIter_Next(it)) != NULL) {
        Book *b = NULL;
        if (!PyUnicode_Check(sym))
            PyErr_Format(PyExc_TypeError, "instruments: %R is not a str symbol", sym);
        else
            b = book_new(sym);
        int rc = b ? PyDict_SetItem(e->books, sym, (PyObject *)b) : -1;
        Py_XDECREF(b);
        Py_DECREF(sym);
        if (rc < 0)
            break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        Py_DECREF(e);
        return NULL;
    }
    return (PyObject *)e;
}

static int
engine_traverse(Engine *e, visitproc visit, void *arg)
{
    Py_VISIT(e->venue);
    Py_VISIT(e->books);
    Py_VISIT(e->cache_key);
    return 0;
}

static int
engine_clear(Engine *e)
{
    e->cache_book = NULL;
    Py_CLEAR(e->cache_key);
    Py_CLEAR(e->venue);
    Py_CLEAR(e->books);
    return 0;
}

static void
engine_dealloc(Engine *e)
{
    PyObject_GC_UnTrack(e);
    engine_clear(e);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyObject *
engine_get_venue(Engine *e, void *closure)
{
    (void)closure;
    PyObject *v = e->venue ? e->venue : Py_None;
    Py_INCREF(v);
    return v;
}

static int
engine_set_venue(Engine *e, PyObject *v, void *closure)
{
    (void)closure;
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "venue cannot be deleted");
        return -1;
    }
    Py_INCREF(v);
    Py_XSETREF(e->venue, v);
    return 0;
}

static PyObject *
engine_get_stp(Engine *e, void *closure)
{
    (void)closure;
    return PyLong_FromLong(e->stp);
}

static int
engine_set_stp(Engine *e, PyObject *v, void *closure)
{
    (void)closure;
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "stp cannot be deleted");
        return -1;
    }
    return parse_stp(v, &e->stp);
}

static PyObject *
engine_get_trade_seq(Engine *e, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong(e->trade_seq);
}

static int
engine_set_trade_seq(Engine *e, PyObject *v, void *closure)
{
    (void)closure;
    int64_t x;
    int ovf;
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "trade_seq cannot be deleted");
        return -1;
    }
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "trade_seq=%R must be an int, not %.100s", v,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    x = PyLong_AsLongLongAndOverflow(v, &ovf);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (ovf) {
        PyErr_Format(PyExc_ValueError, "trade_seq=%R does not fit in a signed 64-bit integer",
                     v);
        return -1;
    }
    e->trade_seq = x;
    return 0;
}

static PyObject *
engine_get_books(Engine *e, void *closure)
{
    (void)closure;
    if (engine_ready(e) < 0)
        return NULL;
    return PyDictProxy_New(e->books);
}

static PyMethodDef engine_methods[] = {
    {"handle", FASTCALL_KW(engine_handle),
     "handle(request) -> list of events: route a NewOrder, CancelOrder or ModifyOrder."},
    {"submit", FASTCALL_KW(engine_submit), "submit(NewOrder) -> list of events."},
    {"cancel", FASTCALL_KW(engine_cancel), "cancel(CancelOrder, reason='user') -> list of events."},
    {"modify", FASTCALL_KW(engine_modify), "modify(ModifyOrder) -> list of events."},
    {"cancel_all", FASTCALL_KW(engine_cancel_all),
     "cancel_all(t_ns, owner=None, reason='cancel_all') -> list of events: cancel every "
     "resting order (of one owner, if given) on every book of this venue."},
    {"expire_day_orders", FASTCALL_KW(engine_expire_day_orders),
     "expire_day_orders(t_ns) -> list of events: DAY orders expire, GTC orders stay."},
    {"book", FASTCALL_KW(engine_book), "book(instrument) -> the instrument's OrderBook."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef engine_getset[] = {
    {"venue", (getter)engine_get_venue, (setter)engine_set_venue, NULL, NULL},
    {"stp", (getter)engine_get_stp, (setter)engine_set_stp,
     "self-trade prevention mode (int of SelfTradePrevention)", NULL},
    {"trade_seq", (getter)engine_get_trade_seq, (setter)engine_set_trade_seq,
     "id of the last trade", NULL},
    {"books", (getter)engine_get_books, NULL, "read-only mapping instrument -> OrderBook", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.MatchingEngine",
    .tp_doc = "Price-time priority matching for one venue (C implementation; same API and "
              "events as flashguard.market.matching.PyMatchingEngine).",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = engine_new,
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_traverse = (traverseproc)engine_traverse,
    .tp_clear = (inquiry)engine_clear,
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
};

#include "_cengine_views.h"

/* ---------------------------------------------------------------------------------------- */
/* Module                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static int
intern(PyObject **slot, const char *s)
{
    *slot = PyUnicode_InternFromString(s);
    return *slot ? 0 : -1;
}

static int
load_event(PyObject *events, PyObject **slot, const char *name)
{
    *slot = PyObject_GetAttrString(events, name);
    return *slot ? 0 : -1;
}

#include "_cengine_venue.h"
#include "_cengine_draws.h"
#include "_cengine_noise.h"
#include "_cengine_slots.h"
#include "_cengine_hft.h"
#include "_cengine_mm.h"
#include "_cengine_prot.h"
#include "_cengine_guard.h"
#include "_cengine_sip.h"
#include "_cengine_tap.h"

static PyMethodDef cengine_functions[] = {
    {"nbbo", (PyCFunction)(void (*)(void))module_nbbo, METH_FASTCALL,
     "nbbo(lit, instrument) -> (best bid, best ask) across the trading venues of lit "
     "(exchange.Market.nbbo)."},
    {"venue_nbbo", (PyCFunction)(void (*)(void))module_venue_nbbo, METH_FASTCALL,
     "venue_nbbo(lit, instrument): nbbo(lit, instrument), read in place from C venues."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cengine_module = {
    PyModuleDef_HEAD_INIT,
    .m_methods = cengine_functions,
    .m_name = "flashguard.market._cengine",
    .m_doc = "C matching engine, behaviour-identical to flashguard.market.matching."
             "PyMatchingEngine.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__cengine(void)
{
    PyObject *events = NULL, *book = NULL, *m = NULL;
    for (int f = 0; f < F_COUNT; f++)
        if (intern(&FIELD_STR[f], FIELD_NAMES[f]) < 0)
            return NULL;
    if (intern(&S_user, "user") < 0 || intern(&S_cancel_all, "cancel_all") < 0 ||
        intern(&S_self_trade, "self_trade") < 0 || intern(&S_no_liquidity, "no_liquidity") < 0 ||
        intern(&S_ioc_remainder, "ioc_remainder") < 0 ||
        intern(&S_fok_unfillable, "fok_unfillable") < 0 ||
        intern(&S_unknown_instrument, "unknown_instrument") < 0 ||
        intern(&S_invalid_qty, "invalid_qty") < 0 ||
        intern(&S_invalid_price, "invalid_price") < 0 ||
        intern(&S_duplicate_order_id, "duplicate_order_id") < 0 ||
        intern(&S_invalid_side, "invalid_side") < 0 ||
        intern(&S_invalid_order_type, "invalid_order_type") < 0 ||
        intern(&S_invalid_tif, "invalid_tif") < 0 ||
        intern(&S_unknown_order, "unknown_order") < 0 || intern(&S_not_owner, "not_owner") < 0 ||
        intern(&S_cancel, "cancel") < 0 || intern(&S_modify, "modify") < 0)
        return NULL;
    ONE = PyLong_FromLong(1);
    if (ONE == NULL)
        return NULL;
    events = PyImport_ImportModule("flashguard.core.events");
    if (events == NULL)
        goto fail;
    if (load_event(events, &EV_OrderAccepted, "OrderAccepted") < 0 ||
        load_event(events, &EV_OrderRejected, "OrderRejected") < 0 ||
        load_event(events, &EV_OrderModified, "OrderModified") < 0 ||
        load_event(events, &EV_RequestRejected, "RequestRejected") < 0 ||
        load_event(events, &EV_OrderFilled, "OrderFilled") < 0 ||
        load_event(events, &EV_OrderCancelled, "OrderCancelled") < 0 ||
        load_event(events, &EV_OrderExpired, "OrderExpired") < 0 ||
        load_event(events, &EV_Trade, "Trade") < 0)
        goto fail;
    if (layout_init(&L_NEW, events) < 0 || layout_init(&L_CANCEL, events) < 0 ||
        layout_init(&L_MODIFY, events) < 0)
        goto fail;
    book = PyImport_ImportModule("flashguard.market.book");
    if (book == NULL)
        goto fail;
    RestingOrderClass = PyObject_GetAttrString(book, "RestingOrder");
    if (RestingOrderClass == NULL)
        goto fail;
    if (PyType_Ready(&EngineType) < 0 || PyType_Ready(&BookType) < 0)
        goto fail;
    m = PyModule_Create(&cengine_module);
    if (m == NULL)
        goto fail;
    if (PyModule_AddType(m, &EngineType) < 0) /* as "MatchingEngine" (its tp_name) */
        goto fail;
    if (PyModule_AddType(m, &BookType) < 0) /* as "OrderBook" (its tp_name) */
        goto fail;
    if (venue_core_init_module(m) < 0 || draws_init_module(m) < 0 ||
        noise_core_init_module(m) < 0 ||
        slots_init_module(m) < 0 || hft_init_module(m) < 0 || mm_init_module(m) < 0 ||
        prot_init_module(m) < 0 || guard_init_module(m) < 0 || sip_init_module(m) < 0 ||
        tap_init_module(m) < 0)
        goto fail;
    Py_DECREF(events);
    Py_DECREF(book);
    return m;
fail:
    Py_XDECREF(events);
    Py_XDECREF(book);
    Py_XDECREF(m);
    return NULL;
}
