/* The market's guard on every order and every request that moved a book, in C: `GuardCore`,
 * the base of exchange.Market (reference exchange._PyGuardCore). Included once, by
 * _cengine.c, after _cengine_prot.h; see there.
 *
 * admit (collar, LULD bands, the stop logics' clamp on entry), after (each trade to the
 * protections and the trade listeners, the stop logics' trigger, a changed top of book) and
 * _on_top_change (the national best bid and offer to LULD, the band to publish, the dark
 * pools) run here; what they start that is not the common path stays a Python call on the
 * Market (`_maybe_trigger`, `_apply_wide` when LULD changed state or a timer is due,
 * `_publish_band` when the band moved, a collar's methods, the dark pools' `on_nbbo`), in the
 * order the reference makes them; a dark pool's on_nbbo is skipped when it would return at once
 * (`dark_idle`: one side of the pool is empty). The protections must be the C ones (LuldCore, StopCore),
 * the venues the C VenueCore with the C engine, and the order a NewOrder; anything else goes
 * to the reference (`_admit_py`, `_after_py`, `_on_top_change_py`, Market's copies of
 * _PyGuardCore's methods). The attributes live in C slots (members): _guards, _clamped,
 * last_price, trade_listeners, _luld, _wide, _bands, _timer_at, lit, dark. The venue calls
 * admit and after as methods, so a Market whose admit is replaced on the instance (a test
 * counting rejections) is still asked through it.
 */
#ifndef FLASHGUARD_CENGINE_GUARD_H
#define FLASHGUARD_CENGINE_GUARD_H

typedef struct {
    PyObject_HEAD
    PyObject *guards, *clamped, *last_price, *trade_listeners, *luld, *wide, *bands, *timer_at,
        *lit, *dark;
    /* the last _guards lookups that found guards, one per (venue name, sym) object pair, up to
     * GUARD_MEMO_N of them (the venues take turns), while _guards is the same dict at the same
     * version */
    PyObject *memo_name[8], *memo_sym[8], *memo_value[8], *memo_dict;
    uint64_t memo_version;
    int memo_next;
} GuardCore;

#if PY_VERSION_HEX < 0x030C0000
#define GUARD_MEMO 1 /* dict version tags (deprecated from 3.12 on): no memo there */
#else
#define GUARD_MEMO 0
#endif
#define GUARD_MEMO_N 8

static void
guard_memo_clear(GuardCore *g)
{
    for (int i = 0; i < GUARD_MEMO_N; i++) {
        Py_CLEAR(g->memo_name[i]);
        Py_CLEAR(g->memo_sym[i]);
        Py_CLEAR(g->memo_value[i]);
    }
    Py_CLEAR(g->memo_dict);
    g->memo_next = 0;
}

static PyObject *S_admit_py, *S_after_py, *S_on_top_change_py, *S_maybe_trigger, *S_apply_wide, *S_publish_band,
    *S_on_nbbo, *S_bounds, *S_on_trade, *S_price_collar, *S_price_attr, *S_qty_attr,
    *S_t_ns_attr, *S_name_attr, *S_books_attr2, *S_guard_top_attr, *S_best_bid2, *S_best_ask2,
    *S_venue_field;
static PyObject *TWO;

static int
guard_need(PyObject *v, const char *attr)
{
    if (UNLIKELY(v == NULL)) {
        PyErr_Format(PyExc_AttributeError, "market has no attribute '%s'", attr);
        return -1;
    }
    return 0;
}

/* The C engine behind a C venue, or NULL (then the Python way). */
static Engine *
guard_engine(PyObject *venue)
{
    if (!PyObject_TypeCheck(venue, &VenueCoreType))
        return NULL;
    PyObject *e = ((VenueCore *)venue)->engine;
    return (e != NULL && Py_IS_TYPE(e, &EngineType)) ? (Engine *)e : NULL;
}

/* One side's best through the book's Python method: 1 present, 0 None, -1 error. */
static int
guard_best_py(PyObject *book, PyObject *meth, int64_t *out)
{
    PyObject *a[1] = {book};
    PyObject *v = PyObject_VectorcallMethod(meth, a, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (v == NULL)
        return -1;
    int rc = opt_arg(v, "best price", out);
    Py_DECREF(v);
    return rc;
}

/* The top of venue.books[sym]: (has_bid, bid, has_ask, ask). */
static int
guard_top(PyObject *venue, PyObject *sym, int *hb, int64_t *b, int *ha, int64_t *a)
{
    Engine *e = guard_engine(venue);
    if (e != NULL) {
        Book *bk = find_book(e, sym);
        if (bk != NULL) {
            *hb = bk->bids.n > 0;
            *b = *hb ? bk->bids.a[bk->bids.n - 1]->key : 0;
            *ha = bk->asks.n > 0;
            *a = *ha ? -bk->asks.a[bk->asks.n - 1]->key : 0;
            return 0;
        }
        if (PyErr_Occurred())
            return -1;
    }
    PyObject *books = PyObject_GetAttr(venue, S_books_attr2);
    if (books == NULL)
        return -1;
    PyObject *book = PyObject_GetItem(books, sym);
    Py_DECREF(books);
    if (book == NULL)
        return -1;
    int rb = guard_best_py(book, S_best_bid2, b);
    int ra = rb < 0 ? -1 : guard_best_py(book, S_best_ask2, a);
    Py_DECREF(book);
    if (rb < 0 || ra < 0)
        return -1;
    *hb = rb;
    *ha = ra;
    return 0;
}

static PyObject *
guard_venue_name(PyObject *venue)
{
    if (PyObject_TypeCheck(venue, &VenueCoreType) && ((VenueCore *)venue)->name != NULL)
        return Py_NewRef(((VenueCore *)venue)->name);
    return PyObject_GetAttr(venue, S_name_attr);
}

static int
guard_unpack(PyObject *gs, PyObject **collar, PyObject **luld, PyObject **stops, int *found,
             int *fast);

/* The (collar, luld, stops) of a key, borrowed; *found = 0 when the key has none. The C path
 * needs a LuldCore, StopCore stops in a list of (kind, stop) and a 3-tuple: *fast = 0 if not. */
static int
guard_lookup(GuardCore *g, PyObject *key, PyObject **collar, PyObject **luld, PyObject **stops,
             int *found, int *fast)
{
    *found = 0;
    *fast = 1;
    *collar = *luld = *stops = Py_None;
    if (guard_need(g->guards, "_guards") < 0)
        return -1;
    PyObject *gs = PyDict_GetItemWithError(g->guards, key);
    if (gs == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return guard_unpack(gs, collar, luld, stops, found, fast);
}

/* guard_lookup of (name, sym) (a new or a memoized key: *key is set to a new reference to it
 * only when it had to be made; pass NULL if the caller does not want it). The memo is the
 * last lookup that found guards, valid while the dict is the same object at the same version. */
static int
guard_lookup_at(GuardCore *g, PyObject *name, PyObject *sym, PyObject **key, PyObject **collar,
                PyObject **luld, PyObject **stops, int *found, int *fast)
{
    if (key != NULL)
        *key = NULL;
#if GUARD_MEMO
    if (g->memo_dict != NULL && g->guards == g->memo_dict && PyDict_CheckExact(g->guards) &&
        ((PyDictObject *)g->guards)->ma_version_tag == g->memo_version) {
        for (int i = 0; i < GUARD_MEMO_N; i++) {
            if (g->memo_value[i] != NULL && name == g->memo_name[i] && sym == g->memo_sym[i]) {
                *fast = 1;
                *collar = *luld = *stops = Py_None;
                return guard_unpack(g->memo_value[i], collar, luld, stops, found, fast);
            }
        }
    }
#endif
    PyObject *k = PyTuple_Pack(2, name, sym);
    if (k == NULL)
        return -1;
    int rc = guard_lookup(g, k, collar, luld, stops, found, fast);
#if GUARD_MEMO
    if (rc == 0 && *found && PyDict_CheckExact(g->guards)) {
        PyObject *gs = PyDict_GetItemWithError(g->guards, k); /* borrowed; found above */
        if (gs != NULL) {
            uint64_t version = ((PyDictObject *)g->guards)->ma_version_tag;
            if (g->memo_dict != g->guards || g->memo_version != version) {
                guard_memo_clear(g); /* every entry was of another dict or version */
                g->memo_dict = Py_NewRef(g->guards);
                g->memo_version = version;
            }
            int i = g->memo_next;
            g->memo_next = (i + 1) % GUARD_MEMO_N;
            Py_XSETREF(g->memo_name[i], Py_NewRef(name));
            Py_XSETREF(g->memo_sym[i], Py_NewRef(sym));
            Py_XSETREF(g->memo_value[i], Py_NewRef(gs));
        }
    }
#endif
    if (rc == 0 && key != NULL)
        *key = k;
    else
        Py_DECREF(k);
    return rc;
}

static int
guard_unpack(PyObject *gs, PyObject **collar, PyObject **luld, PyObject **stops, int *found,
             int *fast)
{
    *found = 1;
    if (!PyTuple_CheckExact(gs) || PyTuple_GET_SIZE(gs) != 3) {
        *fast = 0;
        return 0;
    }
    *collar = PyTuple_GET_ITEM(gs, 0);
    *luld = PyTuple_GET_ITEM(gs, 1);
    *stops = PyTuple_GET_ITEM(gs, 2);
    if (*luld != Py_None && !PyObject_TypeCheck(*luld, &LuldCoreType))
        *fast = 0;
    if (*stops != Py_None) {
        if (!PyList_CheckExact(*stops)) {
            *fast = 0;
            return 0;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(*stops); i++) {
            PyObject *ks = PyList_GET_ITEM(*stops, i);
            if (!PyTuple_CheckExact(ks) || PyTuple_GET_SIZE(ks) != 2 ||
                !PyObject_TypeCheck(PyTuple_GET_ITEM(ks, 1), &StopCoreType))
                *fast = 0;
        }
    }
    return 0;
}

static PyObject *
guard_call(PyObject *self, PyObject *name, PyObject **args, size_t n)
{
    PyObject *a[6];
    a[0] = self;
    for (size_t i = 0; i < n; i++)
        a[i + 1] = args[i];
    return PyObject_VectorcallMethod(name, a, n + 1, NULL);
}

static int
guard_call_void(PyObject *self, PyObject *name, PyObject **args, size_t n)
{
    PyObject *r = guard_call(self, name, args, n);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* _cengine.nbbo(lit, sym) (exchange.Market.nbbo) read in place when every venue is a C
 * venue (venue_view); otherwise the generic one. */
static PyObject *
venue_nbbo(PyObject *lit, PyObject *sym)
{
    PyObject *na[2] = {lit, sym};
    if (!PyList_CheckExact(lit))
        return module_nbbo(NULL, na, 2);
    int has_bid = 0, has_ask = 0;
    int64_t bid = 0, ask = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lit); i++) {
        int trading;
        Book *b;
        int fast = venue_view(PyList_GET_ITEM(lit, i), sym, &trading, &b);
        if (fast < 0)
            return NULL;
        if (!fast)
            return module_nbbo(NULL, na, 2);
        if (!trading)
            continue;
        if (b->bids.n) {
            int64_t x = b->bids.a[b->bids.n - 1]->price;
            if (!has_bid || x > bid) {
                has_bid = 1;
                bid = x;
            }
        }
        if (b->asks.n) {
            int64_t x = b->asks.a[b->asks.n - 1]->price;
            if (!has_ask || x < ask) {
                has_ask = 1;
                ask = x;
            }
        }
    }
    PyObject *bo = opt_i64(has_bid, bid), *ao = opt_i64(has_ask, ask);
    PyObject *out = (bo && ao) ? PyTuple_Pack(2, bo, ao) : NULL;
    Py_XDECREF(bo);
    Py_XDECREF(ao);
    return out;
}

static PyObject *
module_venue_nbbo(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "nbbo(lit: list of venues, instrument)");
        return NULL;
    }
    return venue_nbbo(args[0], args[1]);
}

/* --- admit ---------------------------------------------------------------------------------- */

static PyObject *
guard_admit_c(PyObject *self, PyObject *venue, PyObject *order)
{
    GuardCore *g = (GuardCore *)self;
    if (!(L_NEW.fast && Py_TYPE(order) == L_NEW.type) || guard_engine(venue) == NULL) {
        PyObject *a[2] = {venue, order};
        return guard_call(self, S_admit_py, a, 2);
    }
    PyObject *v[F_COUNT] = {0};
    PyObject *key = NULL, *res = NULL;
    if (read_fields(&L_NEW, order, v) < 0)
        goto done;
    PyObject *sym = v[F_INSTRUMENT];
    key = guard_venue_name(venue); /* the name: the key is (name, sym) */
    if (key == NULL)
        goto done;
    PyObject *collar, *luld, *stops;
    int found, fast;
    if (guard_lookup_at(g, key, sym, NULL, &collar, &luld, &stops, &found, &fast) < 0)
        goto done;
    if (!found) {
        res = Py_NewRef(order);
        goto done;
    }
    long long t, price0, ot, side;
    int ovf1, ovf2, ovf3, ovf4;
    t = PyLong_Check(v[F_T_NS]) ? PyLong_AsLongLongAndOverflow(v[F_T_NS], &ovf1) : (ovf1 = 1, 0);
    price0 = PyLong_Check(v[F_PRICE]) ? PyLong_AsLongLongAndOverflow(v[F_PRICE], &ovf2)
                                      : (ovf2 = 1, 0);
    ot = PyLong_Check(v[F_ORDER_TYPE]) ? PyLong_AsLongLongAndOverflow(v[F_ORDER_TYPE], &ovf3)
                                       : (ovf3 = 1, 0);
    side = PyLong_Check(v[F_SIDE]) ? PyLong_AsLongLongAndOverflow(v[F_SIDE], &ovf4)
                                   : (ovf4 = 1, 0);
    if (PyErr_Occurred())
        goto done;
    if (!fast || ovf1 || ovf2 || ovf3 || ovf4) {
        PyObject *a[2] = {venue, order};
        res = guard_call(self, S_admit_py, a, 2);
        goto done;
    }
    int64_t price = price0;
    int market0 = ot == OT_MARKET, market = market0;
    if (collar != Py_None) {
        PyObject *a[2] = {collar, v[F_T_NS]};
        PyObject *bounds = PyObject_VectorcallMethod(S_bounds, a, 2, NULL);
        if (bounds == NULL)
            goto done;
        if (bounds != Py_None) {
            long long lo, hi;
            if (!PyTuple_Check(bounds) || PyTuple_GET_SIZE(bounds) != 2 ||
                core_int64(PyTuple_GET_ITEM(bounds, 0), "collar lower bound", &lo) < 0 ||
                core_int64(PyTuple_GET_ITEM(bounds, 1), "collar upper bound", &hi) < 0) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_TypeError, "collar bounds=%R must be (lower, upper)",
                                 bounds);
                Py_DECREF(bounds);
                goto done;
            }
            Py_DECREF(bounds);
            if (market) {
                price = side == 1 ? hi : lo;
                market = 0;
            }
            else if (!(lo <= price && price <= hi)) {
                PyObject *name = guard_venue_name(venue);
                if (name == NULL)
                    goto done;
                PyObject *a7[7] = {v[F_T_NS],           name,     sym, v[F_ORDER_ID],
                                   v[F_CLIENT_ORDER_ID], v[F_OWNER], S_price_collar};
                res = make(EV_OrderRejected, a7, 7);
                Py_DECREF(name);
                goto done;
            }
        }
        else {
            Py_DECREF(bounds);
        }
    }
    if (luld != Py_None) {
        BandsC *band;
        if (luld_bands_c((LuldCore *)luld, t, &band) < 0)
            goto done;
        if (band != NULL) {
            if (side == 1 && (market || price > band->hi)) {
                price = band->hi;
                market = 0;
            }
            else if (side == -1 && (market || price < band->lo)) {
                price = band->lo;
                market = 0;
            }
        }
    }
    if (stops != Py_None) {
        int hb, ha;
        int64_t bb, ba, best;
        int aggressive;
        if (guard_top(venue, sym, &hb, &bb, &ha, &ba) < 0)
            goto done;
        if (side == 1) {
            best = ba;
            aggressive = ha && (market || price >= best);
        }
        else {
            best = bb;
            aggressive = hb && (market || price <= best);
        }
        if (aggressive) {
            /* _tightest(stops, t, side) */
            int have = 0;
            int64_t limit = 0;
            PyObject *kind = NULL;
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stops); i++) {
                PyObject *ks = PyList_GET_ITEM(stops, i);
                StopCore *st = (StopCore *)PyTuple_GET_ITEM(ks, 1);
                if (st->pending == NULL) {
                    prot_ready(NULL);
                    goto done;
                }
                if (st->status != PS_OPEN)
                    continue;
                if (side != 1 && side != -1) {
                    PyErr_Format(PyExc_ValueError, "side=%R must be 1 (buy) or -1 (sell)",
                                 v[F_SIDE]);
                    goto done;
                }
                int64_t lim;
                int rc = stop_limit_c(st, t, (int)side, &lim);
                if (rc < 0)
                    goto done;
                if (rc && (!have || (side == 1 ? lim < limit : lim > limit))) {
                    have = 1;
                    limit = lim;
                    kind = PyTuple_GET_ITEM(ks, 0);
                }
            }
            if (have && (market || (side == 1 ? price > limit : price < limit))) {
                price = limit;
                market = 0;
                PyObject *lim_o = PyLong_FromLongLong(limit);
                if (lim_o == NULL)
                    goto done;
                PyObject *cl = PyTuple_Pack(4, v[F_ORDER_ID], v[F_SIDE], lim_o, kind);
                Py_DECREF(lim_o);
                if (cl == NULL)
                    goto done;
                Py_XSETREF(g->clamped, cl);
            }
        }
    }
    if (market == market0 && price == price0) {
        res = Py_NewRef(order);
        goto done;
    }
    {
        PyObject *p_o = market ? Py_NewRef(ZERO) : PyLong_FromLongLong(price);
        if (p_o == NULL)
            goto done;
        PyObject *a[11] = {v[F_T_NS], NULL,     sym,     v[F_ORDER_ID],
                           v[F_CLIENT_ORDER_ID], v[F_OWNER], v[F_SIDE], market ? TWO : ONE,
                           v[F_TIF], p_o,       v[F_QTY]};
        /* the venue field: the order's own */
        PyObject *venue_f = PyObject_GetAttr(order, S_venue_field);
        if (venue_f == NULL) {
            Py_DECREF(p_o);
            goto done;
        }
        a[1] = venue_f;
        res = make((PyObject *)L_NEW.type, a, 11);
        Py_DECREF(venue_f);
        Py_DECREF(p_o);
    }
done:
    release_fields(v);
    Py_XDECREF(key);
    return res;
}

static PyObject *
guard_admit(GuardCore *g, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "admit(venue, order)");
        return NULL;
    }
    return guard_admit_c((PyObject *)g, args[0], args[1]);
}

/* --- after ---------------------------------------------------------------------------------- */

static int
guard_on_top_change_c(GuardCore *g, PyObject *sym, PyObject *t_obj);

static SlotCache trade_t_slot[SLOT_CACHE], trade_price_slot[SLOT_CACHE],
    trade_sym_slot[SLOT_CACHE], trade_qty_slot[SLOT_CACHE], request_t_slot[SLOT_CACHE],
    request_sym_slot[SLOT_CACHE];

/* _on_trade(venue, (name, key_sym), ev) */
static int
guard_on_trade(GuardCore *g, PyObject *venue, PyObject *name, PyObject *key_sym, PyObject *ev)
{
    PyObject *t_o = slot_attr(ev, S_t_ns_attr, trade_t_slot);
    PyObject *p_o = t_o ? slot_attr(ev, S_price_attr, trade_price_slot) : NULL;
    PyObject *sym = p_o ? slot_attr(ev, S_instrument_attr, trade_sym_slot) : NULL;
    PyObject *q_o = NULL;
    int rc = -1;
    if (sym == NULL)
        goto done;
    if (guard_need(g->last_price, "last_price") < 0 ||
        PyObject_SetItem(g->last_price, sym, p_o) < 0)
        goto done;
    PyObject *collar, *luld, *stops;
    int found, fast;
    if (guard_lookup_at(g, name, key_sym, NULL, &collar, &luld, &stops, &found, &fast) < 0)
        goto done;
    if (found && !fast) {
        PyErr_SetString(PyExc_TypeError, "market guards must be the C protections");
        goto done;
    }
    int64_t t = 0;
    if (luld != Py_None || stops != Py_None) {
        if (prot_i64(t_o, "t_ns", &t) < 0)
            goto done;
    }
    if (luld != Py_None) {
        LuldCore *l = (LuldCore *)luld;
        int64_t p, q;
        if (prot_ready(l->pending) < 0)
            goto done;
        if (l->enabled) {
            q_o = slot_attr(ev, S_qty_attr, trade_qty_slot);
            if (q_o == NULL || prot_checked(p_o, R_price_ticks, 1, &p) < 0 ||
                prot_checked(q_o, R_qty, 1, &q) < 0 || luld_on_trade_c(l, t, p, q) < 0)
                goto done;
        }
    }
    if (stops != Py_None) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stops); i++) {
            StopCore *st = (StopCore *)PyTuple_GET_ITEM(PyList_GET_ITEM(stops, i), 1);
            int64_t p;
            if (prot_ready(st->pending) < 0)
                goto done;
            if (!st->enabled)
                continue;
            if (prot_checked(p_o, R_price_ticks, 1, &p) < 0 || stop_on_trade_c(st, t, p) < 0)
                goto done;
        }
    }
    if (collar != Py_None) {
        if (q_o == NULL && (q_o = slot_attr(ev, S_qty_attr, trade_qty_slot)) == NULL)
            goto done;
        PyObject *a[4] = {collar, t_o, p_o, q_o};
        PyObject *r = PyObject_VectorcallMethod(S_on_trade, a, 4, NULL);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }
    if (guard_need(g->trade_listeners, "trade_listeners") < 0)
        goto done;
    PyObject *listeners = Py_NewRef(g->trade_listeners);
    if (PyList_CheckExact(listeners)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(listeners); i++) {
            PyObject *f = Py_NewRef(PyList_GET_ITEM(listeners, i));
            PyObject *a[2] = {venue, ev};
            PyObject *r = PyObject_Vectorcall(f, a, 2, NULL);
            Py_DECREF(f);
            if (r == NULL) {
                Py_DECREF(listeners);
                goto done;
            }
            Py_DECREF(r);
        }
    }
    else {
        PyObject *it = PyObject_GetIter(listeners);
        PyObject *f;
        while (it != NULL && (f = PyIter_Next(it)) != NULL) {
            PyObject *a[2] = {venue, ev};
            PyObject *r = PyObject_Vectorcall(f, a, 2, NULL);
            Py_DECREF(f);
            if (r == NULL)
                break;
            Py_DECREF(r);
        }
        Py_XDECREF(it);
        if (PyErr_Occurred()) {
            Py_DECREF(listeners);
            goto done;
        }
    }
    Py_DECREF(listeners);
    rc = 0;
done:
    Py_XDECREF(t_o);
    Py_XDECREF(p_o);
    Py_XDECREF(sym);
    Py_XDECREF(q_o);
    return rc;
}

/* Whether a dark pool's on_nbbo(sym) would return at once, so that the call can be skipped: its
 * on_nbbo is darkpool.DarkPool.on_nbbo (the type's, not shadowed on the instance), and
 * pool._buys[sym] and pool._sells[sym] are lists, one of them empty (that method's first test).
 * 1 skip, 0 call it (anything else, including a lookup that fails: the call says how), -1 an
 * error. */
static PyObject *DarkOnNbbo, *S_buys_dk, *S_sells_dk;

static int
dark_idle(PyObject *pool, PyObject *sym)
{
    if (DarkOnNbbo == NULL) {
        PyObject *mod = PyImport_ImportModule("flashguard.market.darkpool");
        PyObject *cls = mod ? PyObject_GetAttrString(mod, "DarkPool") : NULL;
        Py_XDECREF(mod);
        PyObject *f = NULL;
        if (cls != NULL && PyType_Check(cls))
            f = PyDict_GetItemWithError(((PyTypeObject *)cls)->tp_dict, S_on_nbbo);
        Py_XDECREF(cls);
        if (f == NULL) {
            PyErr_Clear();
            return 0;
        }
        DarkOnNbbo = Py_NewRef(f); /* kept for the process */
    }
    int own = own_method(pool, S_on_nbbo, DarkOnNbbo);
    if (own <= 0)
        return own;
    int idle = 0;
    PyObject *buys = PyObject_GetAttr(pool, S_buys_dk);
    PyObject *sells = buys ? PyObject_GetAttr(pool, S_sells_dk) : NULL;
    if (sells != NULL && PyDict_CheckExact(buys) && PyDict_CheckExact(sells)) {
        PyObject *b = PyDict_GetItemWithError(buys, sym);
        PyObject *s = b ? PyDict_GetItemWithError(sells, sym) : NULL;
        if (s != NULL && PyList_CheckExact(b) && PyList_CheckExact(s))
            idle = PyList_GET_SIZE(b) == 0 || PyList_GET_SIZE(s) == 0;
    }
    PyErr_Clear();
    Py_XDECREF(buys);
    Py_XDECREF(sells);
    return idle;
}

/* Whether `seen` (venue._guard_top[sym], or NULL) differs from the top (bid, ask). */
static int
guard_top_differs(PyObject *seen, int hb, int64_t b, int ha, int64_t a)
{
    if (seen == NULL || !PyTuple_CheckExact(seen) || PyTuple_GET_SIZE(seen) != 2)
        return 1;
    PyObject *sb = PyTuple_GET_ITEM(seen, 0), *sa = PyTuple_GET_ITEM(seen, 1);
    for (int k = 0; k < 2; k++) {
        PyObject *s = k == 0 ? sb : sa;
        int has = k == 0 ? hb : ha;
        int64_t x = k == 0 ? b : a;
        if (!has) {
            if (s != Py_None)
                return 1;
            continue;
        }
        if (!PyLong_CheckExact(s))
            return 1;
        int ovf;
        long long y = PyLong_AsLongLongAndOverflow(s, &ovf);
        if (y == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 1;
        }
        if (ovf || y != x)
            return 1;
    }
    return 0;
}

static PyObject *
guard_after_c(PyObject *self, PyObject *venue, PyObject *request, PyObject *events)
{
    GuardCore *g = (GuardCore *)self;
    if (!PyList_CheckExact(events) || guard_engine(venue) == NULL) {
        PyObject *a[3] = {venue, request, events};
        return guard_call(self, S_after_py, a, 3);
    }
    PyObject *sym = slot_attr(request, S_instrument_attr, request_sym_slot);
    if (sym == NULL)
        return NULL;
    PyObject *name = guard_venue_name(venue);
    PyObject *res = NULL;
    if (name == NULL)
        goto done;
    {
        PyObject *collar, *luld, *stops;
        int found, fast;
        if (guard_lookup_at(g, name, sym, NULL, &collar, &luld, &stops, &found, &fast) < 0)
            goto done;
        if (found && !fast) {
            PyObject *a[3] = {venue, request, events};
            res = guard_call(self, S_after_py, a, 3);
            goto done;
        }
    }
    int traded = 0;
    Py_INCREF(events);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(events); i++) {
        PyObject *ev = PyList_GET_ITEM(events, i);
        if (Py_TYPE(ev) != (PyTypeObject *)EV_Trade)
            continue;
        traded = 1;
        Py_INCREF(ev);
        int rc = guard_on_trade(g, venue, name, sym, ev);
        Py_DECREF(ev);
        if (rc < 0) {
            Py_DECREF(events);
            goto done;
        }
    }
    Py_DECREF(events);
    if (guard_need(g->clamped, "_clamped") < 0)
        goto done;
    if (g->clamped != Py_None) {
        PyObject *clamped = g->clamped;
        g->clamped = Py_NewRef(Py_None);
        PyObject *key = PyTuple_Pack(2, name, sym);
        PyObject *a[5] = {venue, key, request, events, clamped};
        int rc = key == NULL ? -1 : guard_call_void(self, S_maybe_trigger, a, 5);
        Py_XDECREF(key);
        Py_DECREF(clamped);
        if (rc < 0)
            goto done;
    }
    int hb, ha;
    int64_t b, a;
    if (guard_top(venue, sym, &hb, &b, &ha, &a) < 0)
        goto done;
    PyObject *seen = ((VenueCore *)venue)->guard_top;
    if (core_need_dict(seen, "_guard_top") < 0)
        goto done;
    Py_INCREF(seen);
    PyObject *shown = PyDict_GetItemWithError(seen, sym);
    if (shown == NULL && PyErr_Occurred()) {
        Py_DECREF(seen);
        goto done;
    }
    if (traded || guard_top_differs(shown, hb, b, ha, a)) {
        PyObject *bo = opt_i64(hb, b), *ao = opt_i64(ha, a);
        PyObject *top = (bo && ao) ? PyTuple_Pack(2, bo, ao) : NULL;
        Py_XDECREF(bo);
        Py_XDECREF(ao);
        int rc = top == NULL ? -1 : PyDict_SetItem(seen, sym, top);
        Py_XDECREF(top);
        Py_DECREF(seen);
        if (rc < 0)
            goto done;
        PyObject *t_obj = slot_attr(request, S_t_ns_attr, request_t_slot);
        if (t_obj == NULL)
            goto done;
        rc = guard_on_top_change_c(g, sym, t_obj);
        Py_DECREF(t_obj);
        if (rc < 0)
            goto done;
    }
    else {
        Py_DECREF(seen);
    }
    res = Py_NewRef(Py_None);
done:
    Py_DECREF(sym);
    Py_XDECREF(name);
    return res;
}

static PyObject *
guard_after(GuardCore *g, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "after(venue, request, events)");
        return NULL;
    }
    return guard_after_c((PyObject *)g, args[0], args[1], args[2]);
}

/* --- the top of a book changed ------------------------------------------------------------ */

static int
guard_on_top_change_c(GuardCore *g, PyObject *sym, PyObject *t_obj)
{
    PyObject *self = (PyObject *)g;
    if (guard_need(g->luld, "_luld") < 0 || guard_need(g->lit, "lit") < 0 ||
        guard_need(g->dark, "dark") < 0)
        return -1;
    PyObject *luld = PyDict_CheckExact(g->luld) ? PyDict_GetItemWithError(g->luld, sym)
                                                : NULL;
    if (luld == NULL && PyErr_Occurred())
        return -1;
    if (!PyDict_CheckExact(g->luld) || (luld != NULL && !PyObject_TypeCheck(luld, &LuldCoreType))) {
        PyObject *a[2] = {sym, t_obj};
        return guard_call_void(self, S_on_top_change_py, a, 2);
    }
    PyObject *best = venue_nbbo(g->lit, sym);
    if (best == NULL)
        return -1;
    Py_XINCREF(luld);
    int rc = -1;
    if (luld != NULL) {
        if (guard_need(g->wide, "_wide") < 0)
            goto done;
        PyObject *wide = PyObject_GetItem(g->wide, sym);
        if (wide == NULL)
            goto done;
        int open = PyObject_RichCompareBool(wide, PS_STR[PS_OPEN], Py_EQ);
        int ls = open ? 0 : PyObject_RichCompareBool(wide, PS_STR[PS_LIMIT_STATE], Py_EQ);
        Py_DECREF(wide);
        if (open < 0 || ls < 0)
            goto done;
        if (open || ls) {
            LuldCore *l = (LuldCore *)luld;
            int64_t t, bid = 0, ask = 0;
            if (prot_ready(l->pending) < 0 || prot_i64(t_obj, "t_ns", &t) < 0)
                goto done;
            int hb = PyTuple_GET_ITEM(best, 0) != Py_None;
            int ha = PyTuple_GET_ITEM(best, 1) != Py_None;
            if ((hb && prot_i64(PyTuple_GET_ITEM(best, 0), "best bid", &bid) < 0) ||
                (ha && prot_i64(PyTuple_GET_ITEM(best, 1), "best ask", &ask) < 0))
                goto done;
            if (luld_on_quote_c(l, t, hb, bid, ha, ask) < 0)
                goto done;
            /* _apply_wide(sym, transitions): with none, it only schedules the timer, and
             * that is a no-op without a deadline or with the timer already set for it */
            int call = PyList_GET_SIZE(l->pending) > 0;
            if (!call && l->has_deadline) {
                if (guard_need(g->timer_at, "_timer_at") < 0)
                    goto done;
                PyObject *at;
                if (PyDict_CheckExact(g->timer_at)) {
                    at = PyDict_GetItemWithError(g->timer_at, luld);
                    if (at == NULL && PyErr_Occurred())
                        goto done;
                    Py_XINCREF(at);
                }
                else {
                    at = PyObject_CallMethod(g->timer_at, "get", "O", luld);
                    if (at == NULL)
                        goto done;
                }
                int64_t v = 0;
                call = !(at != NULL && PyLong_CheckExact(at) && prot_i64(at, "timer", &v) == 0 &&
                         v == l->deadline);
                Py_XDECREF(at);
                if (PyErr_Occurred())
                    goto done;
            }
            if (call) {
                PyObject *trs = prot_drain(&l->pending);
                if (trs == NULL)
                    goto done;
                PyObject *a[2] = {sym, trs};
                int r = guard_call_void(self, S_apply_wide, a, 2);
                Py_DECREF(trs);
                if (r < 0)
                    goto done;
            }
            /* _publish_band(sym, t): only when the band moved */
            BandsC *band;
            if (luld_bands_c(l, t, &band) < 0)
                goto done;
            if (band != NULL) {
                if (guard_need(g->bands, "_bands") < 0)
                    goto done;
                PyObject *shown = PyObject_GetItem(g->bands, sym);
                if (shown == NULL)
                    goto done;
                int ne = PyObject_RichCompareBool(band->obj, shown, Py_NE);
                Py_DECREF(shown);
                if (ne < 0)
                    goto done;
                if (ne) {
                    PyObject *a[2] = {sym, t_obj};
                    if (guard_call_void(self, S_publish_band, a, 2) < 0)
                        goto done;
                }
            }
        }
    }
    PyObject *dark = Py_NewRef(g->dark);
    PyObject *seq = PySequence_Fast(dark, "market.dark must be a sequence");
    Py_DECREF(dark);
    if (seq == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *a[2] = {PySequence_Fast_GET_ITEM(seq, i), sym};
        int idle = dark_idle(a[0], sym);
        if (idle < 0) {
            Py_DECREF(seq);
            goto done;
        }
        if (idle)
            continue;
        PyObject *r = PyObject_VectorcallMethod(S_on_nbbo, a, 2, NULL);
        if (r == NULL) {
            Py_DECREF(seq);
            goto done;
        }
        Py_DECREF(r);
    }
    Py_DECREF(seq);
    rc = 0;
done:
    Py_XDECREF(luld);
    Py_DECREF(best);
    return rc;
}

static PyObject *
guard_on_top_change(GuardCore *g, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "_on_top_change(sym, t)");
        return NULL;
    }
    if (guard_on_top_change_c(g, args[0], args[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* --- the type ------------------------------------------------------------------------------- */

#define GUARD_FIELDS(X)                                                                       \
    X(guards) X(clamped) X(last_price) X(trade_listeners) X(luld) X(wide) X(bands) X(timer_at) \
        X(lit) X(dark) X(memo_dict)

static int
guard_traverse(GuardCore *g, visitproc visit, void *arg)
{
#define GV(f) Py_VISIT(g->f);
    GUARD_FIELDS(GV)
#undef GV
    for (int i = 0; i < GUARD_MEMO_N; i++) {
        Py_VISIT(g->memo_name[i]);
        Py_VISIT(g->memo_sym[i]);
        Py_VISIT(g->memo_value[i]);
    }
    return 0;
}

static int
guard_clear(GuardCore *g)
{
#define GC_(f) Py_CLEAR(g->f);
    GUARD_FIELDS(GC_)
#undef GC_
    guard_memo_clear(g);
    return 0;
}

static void
guard_dealloc(GuardCore *g)
{
    PyObject_GC_UnTrack(g);
    guard_clear(g);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyMethodDef guard_methods[] = {
    {"admit", (PyCFunction)(void (*)(void))guard_admit, METH_FASTCALL,
     "admit(venue, order) -> the order (repriced) or an OrderRejected"},
    {"after", (PyCFunction)(void (*)(void))guard_after, METH_FASTCALL,
     "after(venue, request, events): what a request did"},
    {"_on_top_change", (PyCFunction)(void (*)(void))guard_on_top_change, METH_FASTCALL,
     "_on_top_change(sym, t): the national best bid and offer may have moved"},
    {NULL, NULL, 0, NULL},
};

#define GUARD_OBJ(n, field)                                                                   \
    {                                                                                         \
        n, FG_OBJECT_EX, offsetof(GuardCore, field), 0, NULL                                  \
    }

static PyMemberDef guard_members[] = {
    GUARD_OBJ("_guards", guards),
    GUARD_OBJ("_clamped", clamped),
    GUARD_OBJ("last_price", last_price),
    GUARD_OBJ("trade_listeners", trade_listeners),
    GUARD_OBJ("_luld", luld),
    GUARD_OBJ("_wide", wide),
    GUARD_OBJ("_bands", bands),
    GUARD_OBJ("_timer_at", timer_at),
    GUARD_OBJ("lit", lit),
    GUARD_OBJ("dark", dark),
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject GuardCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.GuardCore",
    .tp_doc = "The market's admission and post-trade path (C implementation of "
              "flashguard.market.exchange._PyGuardCore).",
    .tp_basicsize = sizeof(GuardCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)guard_dealloc,
    .tp_traverse = (traverseproc)guard_traverse,
    .tp_clear = (inquiry)guard_clear,
    .tp_methods = guard_methods,
    .tp_members = guard_members,
};

static int
guard_init_module(PyObject *m)
{
    if (intern(&S_admit_py, "_admit_py") < 0 || intern(&S_after_py, "_after_py") < 0 ||
        intern(&S_on_top_change_py, "_on_top_change_py") < 0 ||
        intern(&S_maybe_trigger, "_maybe_trigger") < 0 ||
        intern(&S_apply_wide, "_apply_wide") < 0 || intern(&S_publish_band, "_publish_band") < 0 ||
        intern(&S_on_nbbo, "on_nbbo") < 0 || intern(&S_bounds, "bounds") < 0 ||
        intern(&S_buys_dk, "_buys") < 0 || intern(&S_sells_dk, "_sells") < 0 ||
        intern(&S_on_trade, "on_trade") < 0 || intern(&S_price_collar, "price_collar") < 0 ||
        intern(&S_price_attr, "price") < 0 || intern(&S_qty_attr, "qty") < 0 ||
        intern(&S_t_ns_attr, "t_ns") < 0 || intern(&S_name_attr, "name") < 0 ||
        intern(&S_books_attr2, "books") < 0 || intern(&S_guard_top_attr, "_guard_top") < 0 ||
        intern(&S_best_bid2, "best_bid") < 0 || intern(&S_best_ask2, "best_ask") < 0 ||
        intern(&S_venue_field, "venue") < 0)
        return -1;
    TWO = PyLong_FromLong(2);
    if (TWO == NULL || PyType_Ready(&GuardCoreType) < 0)
        return -1;
    D_admit = PyDict_GetItemString(GuardCoreType.tp_dict, "admit");
    D_after = PyDict_GetItemString(GuardCoreType.tp_dict, "after");
    if (D_admit == NULL || D_after == NULL)
        return -1;
    Py_INCREF(D_admit);
    Py_INCREF(D_after);
    if (PyModule_AddType(m, &GuardCoreType) < 0) /* as "GuardCore" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_GUARD_H */
