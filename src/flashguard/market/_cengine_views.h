/* OrderBook views of the C matching engine: the public read API of book.OrderBook.
 * Included once, by _cengine.c; needs its event helpers (make), long_from_qsum and RestingOrderClass. */
#ifndef FLASHGUARD_CENGINE_VIEWS_H
#define FLASHGUARD_CENGINE_VIEWS_H

#include "_cengine_args.h"
#include "_cengine_book.h"


/* The Python book compares `side == 1`: anything else means asks. */
static Ladder *
view_side(Book *b, PyObject *side)
{
    int is_bid = PyObject_RichCompareBool(side, ONE, Py_EQ);
    if (is_bid < 0)
        return NULL;
    return is_bid ? &b->bids : &b->asks;
}

/* How many levels from the best a depth argument asks for (None: all). */
static int
view_depth(const char *name, PyObject *depth, Py_ssize_t n, Py_ssize_t *out)
{
    if (depth == NULL || depth == Py_None) {
        *out = n;
        return 0;
    }
    if (!PyLong_Check(depth)) {
        PyErr_Format(PyExc_TypeError, "%s=%R must be an int or None, not %.100s", name, depth,
                     Py_TYPE(depth)->tp_name);
        return -1;
    }
    int ovf;
    long long d = PyLong_AsLongLongAndOverflow(depth, &ovf);
    if (d == -1 && PyErr_Occurred())
        return -1;
    if (ovf > 0 || d > n)
        *out = n;
    else if (ovf < 0 || d < 0)
        *out = 0;
    else
        *out = (Py_ssize_t)d;
    return 0;
}

static PyObject *
level_price(Level *lv)
{
    if (lv->price_obj == NULL)
        lv->price_obj = PyLong_FromLongLong(lv->price);
    Py_XINCREF(lv->price_obj);
    return lv->price_obj;
}

static PyObject *
resting_view(const Order *o)
{
    PyObject *q = PyLong_FromLongLong(o->qty);
    if (q == NULL)
        return NULL;
    PyObject *a[8] = {o->id_obj, o->coid, o->owner_obj, o->side_obj, o->price_obj, q,
                      o->tif_obj, o->t_obj};
    PyObject *r = make(RestingOrderClass, a, 8);
    Py_DECREF(q);
    return r;
}

/* For views that only read numbers (no Python code runs while they read). */
static int
view_check(Book *b)
{
    if (view_enter(b) < 0)
        return -1;
    view_exit(b);
    return 0;
}

static PyObject *
price_or_none(const Ladder *ld)
{
    if (ld->n == 0)
        Py_RETURN_NONE;
    return level_price(ld->a[ld->n - 1]);
}

static PyObject *
book_best_bid(Book *b, PyObject *unused)
{
    (void)unused;
    if (view_check(b) < 0)
        return NULL;
    return price_or_none(&b->bids);
}

static PyObject *
book_best_ask(Book *b, PyObject *unused)
{
    (void)unused;
    if (view_check(b) < 0)
        return NULL;
    return price_or_none(&b->asks);
}

static PyObject *
book_l1(Book *b, PyObject *unused)
{
    (void)unused;
    if (view_check(b) < 0)
        return NULL;
    PyObject *bid = price_or_none(&b->bids);
    PyObject *ask = price_or_none(&b->asks);
    PyObject *bq = long_from_qsum(b->bids.n ? b->bids.a[b->bids.n - 1]->qty : 0);
    PyObject *aq = long_from_qsum(b->asks.n ? b->asks.a[b->asks.n - 1]->qty : 0);
    PyObject *res = NULL;
    if (bid && ask && bq && aq)
        res = PyTuple_Pack(4, bid, bq, ask, aq);
    Py_XDECREF(bid);
    Py_XDECREF(ask);
    Py_XDECREF(bq);
    Py_XDECREF(aq);
    return res;
}

static PyObject *
levels_of(Book *b, Ladder *ld, PyObject *depth)
{
    Py_ssize_t n;
    if (view_depth("depth", depth, ld->n, &n) < 0 || view_enter(b) < 0)
        return NULL;
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        Level *lv = ld->a[ld->n - 1 - i];
        PyObject *px = level_price(lv);
        PyObject *q = long_from_qsum(lv->qty);
        PyObject *pair = (px && q) ? PyTuple_Pack(2, px, q) : NULL;
        Py_XDECREF(px);
        Py_XDECREF(q);
        if (pair == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, pair);
    }
    view_exit(b);
    return list;
}

static PyObject *
book_levels(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"side", "depth"};
    PyObject *a[2];
    if (bind_args("levels", args, nargs, kwnames, names, 1, 2, a) < 0)
        return NULL;
    Ladder *ld = view_side(b, a[0]);
    return ld ? levels_of(b, ld, a[1]) : NULL;
}

static PyObject *
book_l2(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"depth"};
    PyObject *a[1];
    if (bind_args("l2", args, nargs, kwnames, names, 0, 1, a) < 0)
        return NULL;
    PyObject *bids = levels_of(b, &b->bids, a[0]);
    PyObject *asks = bids ? levels_of(b, &b->asks, a[0]) : NULL;
    PyObject *res = asks ? PyTuple_Pack(2, bids, asks) : NULL;
    Py_XDECREF(bids);
    Py_XDECREF(asks);
    return res;
}

static PyObject *
book_l3(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"side", "depth"};
    PyObject *a[2];
    Py_ssize_t n;
    if (bind_args("l3", args, nargs, kwnames, names, 1, 2, a) < 0)
        return NULL;
    Ladder *ld = view_side(b, a[0]);
    if (ld == NULL || view_depth("depth", a[1], ld->n, &n) < 0 || view_enter(b) < 0)
        return NULL;
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        Level *lv = ld->a[ld->n - 1 - i];
        PyObject *orders = PyList_New(lv->count);
        PyObject *px = level_price(lv);
        Py_ssize_t j = 0;
        for (Order *o = lv->head; orders != NULL && o != NULL; o = o->next, j++) {
            PyObject *ro = resting_view(o);
            if (ro == NULL)
                Py_CLEAR(orders);
            else
                PyList_SET_ITEM(orders, j, ro);
        }
        PyObject *pair = (px && orders) ? PyTuple_Pack(2, px, orders) : NULL;
        Py_XDECREF(px);
        Py_XDECREF(orders);
        if (pair == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, pair);
    }
    view_exit(b);
    return list;
}

static PyObject *
book_depth_qty(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"side", "levels"};
    PyObject *a[2];
    Py_ssize_t n;
    if (bind_args("depth_qty", args, nargs, kwnames, names, 1, 2, a) < 0)
        return NULL;
    Ladder *ld = view_side(b, a[0]);
    if (ld == NULL || view_depth("levels", a[1], ld->n, &n) < 0 || view_check(b) < 0)
        return NULL;
    qsum_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        total += ld->a[ld->n - 1 - i]->qty;
    return long_from_qsum(total);
}

/* Resting lots on the best `depth` levels no further out than `limit` (a float): bids with
 * !(price - limit < 0), asks with !(limit - price < 0), as the Python reference tests it (a
 * NaN limit counts every level). Prices run away from the touch: the first level outside
 * ends the prefix. */
static PyObject *
book_lots_within(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"side", "limit", "depth"};
    PyObject *a[3];
    Py_ssize_t n;
    if (bind_args("lots_within", args, nargs, kwnames, names, 3, 3, a) < 0)
        return NULL;
    Ladder *ld = view_side(b, a[0]);
    if (ld == NULL || view_depth("depth", a[2], ld->n, &n) < 0 || view_check(b) < 0)
        return NULL;
    double limit = PyFloat_AsDouble(a[1]);
    if (limit == -1.0 && PyErr_Occurred())
        return NULL;
    int bids = ld == &b->bids;
    qsum_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Level *lv = ld->a[ld->n - 1 - i];
        double price = (double)lv->price;
        if (bids ? (price - limit < 0) : (limit - price < 0))
            break;
        total += lv->qty;
    }
    return long_from_qsum(total);
}

static PyObject *
book_crossed(Book *b, PyObject *unused)
{
    (void)unused;
    if (view_check(b) < 0)
        return NULL;
    int crossed = b->bids.n && b->asks.n &&
                  b->bids.a[b->bids.n - 1]->price >= b->asks.a[b->asks.n - 1]->price;
    return PyBool_FromLong(crossed);
}

static PyObject *
book_order(Book *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *order_id;
    int64_t id;
    int ovf;
    ONE_ARG("order", "order_id", order_id);
    if (!PyLong_Check(order_id)) {
        PyErr_Format(PyExc_TypeError, "order_id=%R must be an int, not %.100s", order_id,
                     Py_TYPE(order_id)->tp_name);
        return NULL;
    }
    id = PyLong_AsLongLongAndOverflow(order_id, &ovf);
    if (id == -1 && PyErr_Occurred())
        return NULL;
    if (view_enter(b) < 0)
        return NULL;
    Order *o = ovf ? NULL : map_get(&b->map, id);
    if (o == NULL) {
        view_exit(b);
        Py_RETURN_NONE;
    }
    PyObject *r = resting_view(o);
    view_exit(b);
    return r;
}

static PyObject *
book_order_count(Book *b, PyObject *unused)
{
    (void)unused;
    if (view_check(b) < 0)
        return NULL;
    return PyLong_FromSsize_t(b->n_orders);
}

static PyObject *
book_repr(Book *b)
{
    return PyUnicode_FromFormat("<OrderBook %R: %zd bid levels, %zd ask levels, %zd orders>",
                                b->instrument, b->bids.n, b->asks.n, b->n_orders);
}

static PyMethodDef book_methods[] = {
    {"best_bid", (PyCFunction)book_best_bid, METH_NOARGS, "Best bid price, or None."},
    {"best_ask", (PyCFunction)book_best_ask, METH_NOARGS, "Best ask price, or None."},
    {"l1", (PyCFunction)book_l1, METH_NOARGS,
     "(best bid, its size, best ask, its size); a missing side is (None, 0)."},
    {"levels", FASTCALL_KW(book_levels),
     "levels(side, depth=None): L2 [(price, qty), ...] from the best level outwards."},
    {"l2", FASTCALL_KW(book_l2), "l2(depth=None): (bid levels, ask levels)."},
    {"l3", FASTCALL_KW(book_l3),
     "l3(side, depth=None): [(price, [orders in time priority]), ...] from the best level."},
    {"depth_qty", FASTCALL_KW(book_depth_qty),
     "depth_qty(side, levels=None): total size of the best `levels` levels."},
    {"lots_within", FASTCALL_KW(book_lots_within),
     "lots_within(side, limit, depth): lots on the best `depth` levels no further out than limit."},
    {"crossed", (PyCFunction)book_crossed, METH_NOARGS, "True when best bid >= best ask."},
    {"order", FASTCALL_KW(book_order),
     "order(order_id): a snapshot of the resting order (a book.RestingOrder), or None."},
    {"order_count", (PyCFunction)book_order_count, METH_NOARGS, "Number of resting orders."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef book_members[] = {
    {"instrument", FG_OBJECT_EX, offsetof(Book, instrument), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject BookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.OrderBook",
    .tp_doc = "The limit order book of one instrument inside the C matching engine (views "
              "only; change it through the engine).",
    .tp_basicsize = sizeof(Book),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)book_dealloc,
    .tp_repr = (reprfunc)book_repr,
    .tp_methods = book_methods,
    .tp_members = book_members,
};

#endif /* FLASHGUARD_CENGINE_VIEWS_H */
