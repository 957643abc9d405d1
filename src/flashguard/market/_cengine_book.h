/* The book of the C matching engine: orders, price levels, the two sides and the changes the
 * engine makes to them (the views are in _cengine_views.h). Included once, by _cengine.c; see there. */
#ifndef FLASHGUARD_CENGINE_BOOK_H
#define FLASHGUARD_CENGINE_BOOK_H

#include "_cengine_base.h"
#include "_cengine_map.h"
#include "_cengine_pool.h"


struct Order {
    struct Order *prev, *next;   /* FIFO within the level, oldest first */
    struct Order *older, *newer; /* book-wide, in the order the orders came to rest */
    Level *level;
    int64_t id, owner, price, qty, tif;
    int side;
    /* the objects of the request, handed back in events and views */
    PyObject *id_obj, *coid, *owner_obj, *side_obj, *price_obj, *tif_obj, *t_obj;
};

struct Level {
    Order *head, *tail;
    int64_t price;
    int64_t key; /* price for bids, -price for asks: the best level has the largest key */
    Py_ssize_t count;
    PyObject *price_obj; /* made on first print at this level, shared by all its prints */
    qsum_t qty;
};

/* One side of a book: levels sorted by key ascending, the best at the end. */
typedef struct {
    Level **a;
    Py_ssize_t n, cap;
} Ladder;

/* First index whose key is >= key. Searching gallops from the touch, where most orders go. */
static Py_ssize_t
ladder_lower_bound(const Ladder *ld, int64_t key)
{
    Level *const *a = ld->a;
    Py_ssize_t hi = ld->n, lo = hi - 1, step = 1;
    while (lo >= 0 && a[lo]->key >= key) {
        hi = lo;
        lo -= step;
        step <<= 1;
    }
    lo = lo < 0 ? 0 : lo + 1;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (a[mid]->key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
ladder_reserve(Ladder *ld)
{
    if (ld->n < ld->cap)
        return 0;
    Py_ssize_t cap = ld->cap ? ld->cap * 2 : 16;
    Level **a = PyMem_Realloc(ld->a, (size_t)cap * sizeof(Level *));
    if (a == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    ld->a = a;
    ld->cap = cap;
    return 0;
}



typedef struct {
    PyObject_HEAD
    PyObject *instrument;
    Ladder bids, asks;
    OrderMap map;
    Order *oldest, *newest;
    Py_ssize_t n_orders;
    Pool order_pool, level_pool;
    int busy; /* > 0: views reading; -1: being changed */
} Book;

static PyTypeObject BookType;

static int
book_lock(Book *b)
{
    if (UNLIKELY(b->busy != 0)) {
        PyErr_Format(PyExc_RuntimeError,
                     "order book %R is in use: re-entrant call into the matching engine",
                     b->instrument);
        return -1;
    }
    b->busy = -1;
    return 0;
}

static inline void
book_unlock(Book *b)
{
    b->busy = 0;
}

static int
view_enter(Book *b)
{
    if (UNLIKELY(b->busy < 0)) {
        PyErr_Format(PyExc_RuntimeError, "order book %R is being changed", b->instrument);
        return -1;
    }
    b->busy++;
    return 0;
}

static inline void
view_exit(Book *b)
{
    b->busy--;
}

static Book *
book_new(PyObject *instrument)
{
    Book *b = PyObject_New(Book, &BookType);
    if (b == NULL)
        return NULL;
    Py_INCREF(instrument);
    b->instrument = instrument;
    b->bids = (Ladder){NULL, 0, 0};
    b->asks = (Ladder){NULL, 0, 0};
    b->oldest = b->newest = NULL;
    b->n_orders = 0;
    b->busy = 0;
    pool_init(&b->order_pool, sizeof(Order), 64);
    pool_init(&b->level_pool, sizeof(Level), 32);
    if (map_alloc(&b->map, 6) < 0) {
        b->map.slots = NULL;
        Py_DECREF(b);
        return NULL;
    }
    return b;
}

static void
order_release(Book *b, Order *o)
{
    Py_DECREF(o->id_obj);
    Py_DECREF(o->coid);
    Py_DECREF(o->owner_obj);
    Py_DECREF(o->side_obj);
    Py_DECREF(o->price_obj);
    Py_DECREF(o->tif_obj);
    Py_DECREF(o->t_obj);
    pool_put(&b->order_pool, o);
}

static void
level_release(Book *b, Level *lv)
{
    Py_XDECREF(lv->price_obj);
    pool_put(&b->level_pool, lv);
}

static void
book_dealloc(Book *b)
{
    for (Order *o = b->oldest; o != NULL;) {
        Order *next = o->newer;
        order_release(b, o);
        o = next;
    }
    for (int s = 0; s < 2; s++) {
        Ladder *ld = s ? &b->asks : &b->bids;
        for (Py_ssize_t i = 0; i < ld->n; i++)
            Py_XDECREF(ld->a[i]->price_obj);
        PyMem_Free(ld->a);
    }
    PyMem_Free(b->map.slots);
    pool_destroy(&b->order_pool);
    pool_destroy(&b->level_pool);
    Py_XDECREF(b->instrument);
    PyObject_Free(b);
}

static inline Ladder *
own_side(Book *b, int side)
{
    return side == SIDE_BUY ? &b->bids : &b->asks;
}

static inline Ladder *
opposite_side(Book *b, int side)
{
    return side == SIDE_BUY ? &b->asks : &b->bids;
}

/* Put an order (fields set, not linked anywhere) at the back of its price level. */
static int
book_rest(Book *b, Order *o)
{
    Ladder *ld = own_side(b, o->side);
    int64_t key = o->side == SIDE_BUY ? o->price : -o->price;
    Level *lv = NULL;
    Py_ssize_t at = ld->n;
    if (map_reserve(&b->map) < 0)
        return -1;
    if (ld->n == 0 || key > ld->a[ld->n - 1]->key) {
        at = ld->n;
    }
    else {
        at = ladder_lower_bound(ld, key);
        if (at < ld->n && ld->a[at]->key == key)
            lv = ld->a[at];
    }
    if (lv == NULL) {
        if (ladder_reserve(ld) < 0)
            return -1;
        lv = pool_get(&b->level_pool);
        if (lv == NULL)
            return -1;
        lv->head = lv->tail = NULL;
        lv->price = o->price;
        lv->key = key;
        lv->count = 0;
        lv->qty = 0;
        lv->price_obj = NULL;
        memmove(ld->a + at + 1, ld->a + at, (size_t)(ld->n - at) * sizeof(Level *));
        ld->a[at] = lv;
        ld->n++;
    }
    o->level = lv;
    o->next = NULL;
    o->prev = lv->tail;
    if (lv->tail)
        lv->tail->next = o;
    else
        lv->head = o;
    lv->tail = o;
    lv->qty += o->qty;
    lv->count++;
    o->newer = NULL;
    o->older = b->newest;
    if (b->newest)
        b->newest->newer = o;
    else
        b->oldest = o;
    b->newest = o;
    b->n_orders++;
    map_put_new(&b->map, o->id, o);
    return 0;
}

/* Take an order out of its level, the id map and the book-wide list. The level stays, even
 * when empty: the caller drops it (matching does so only after its prints). */
static void
book_unlink(Book *b, Order *o)
{
    Level *lv = o->level;
    if (o->prev)
        o->prev->next = o->next;
    else
        lv->head = o->next;
    if (o->next)
        o->next->prev = o->prev;
    else
        lv->tail = o->prev;
    if (o->older)
        o->older->newer = o->newer;
    else
        b->oldest = o->newer;
    if (o->newer)
        o->newer->older = o->older;
    else
        b->newest = o->older;
    lv->qty -= o->qty;
    lv->count--;
    b->n_orders--;
    map_del(&b->map, o->id);
}

static void
book_drop_level(Book *b, Ladder *ld, Level *lv)
{
    if (ld->a[ld->n - 1] == lv) {
        ld->n--;
    }
    else {
        Py_ssize_t at = ladder_lower_bound(ld, lv->key);
        memmove(ld->a + at, ld->a + at + 1, (size_t)(ld->n - at - 1) * sizeof(Level *));
        ld->n--;
    }
    level_release(b, lv);
}

/* Unlink an order and drop its level if it is now empty; returns the open quantity. */
static int64_t
book_remove(Book *b, Order *o)
{
    int64_t qty = o->qty;
    Level *lv = o->level;
    book_unlink(b, o);
    if (lv->count == 0)
        book_drop_level(b, own_side(b, o->side), lv);
    return qty;
}

#endif /* FLASHGUARD_CENGINE_BOOK_H */
