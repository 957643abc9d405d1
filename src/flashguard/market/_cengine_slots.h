/* A quoting agent's order slots in C: `Slots`, the twin of agents.quoting.PySlots (the
 * reference). Included once, by _cengine.c (after the venue core); see there.
 *
 * The state is the reference's, in the same Python objects: `slots` (dict (venue index, side,
 * level) -> (order id, price, qty)), `by_id` (dict order id -> key), and the counters
 * inventory, traded and version. Comparisons and dict operations are Python's own (rich
 * comparison, the same keys), so any int-like price or quantity behaves as in the reference;
 * requests go to world.lit[vi] through its submit, modify and cancel.
 */
#ifndef FLASHGUARD_CENGINE_SLOTS_H
#define FLASHGUARD_CENGINE_SLOTS_H

/* The slot keys (vi, side, level) of small venue indices and levels, made once: a key is a
 * plain tuple either way (equal, same hash), this only saves making it on every call. */
#define SLOT_KEY_VI 8
#define SLOT_KEY_LEVELS 8
#define SLOT_KEYS (SLOT_KEY_VI * 2 * SLOT_KEY_LEVELS)

typedef struct {
    PyObject_HEAD
    PyObject *world;
    PyObject *owner;
    PyObject *slots;
    PyObject *by_id;
    long long inventory, traded, version;
    PyObject *keys[SLOT_KEYS];
    Py_hash_t hashes[SLOT_KEYS]; /* hash(keys[i]): a tuple does not keep its hash */
} Slots;

/* The int value of an exact int that fits a long long, or 0 with *ok = 0. */
static inline long long
small_int(PyObject *x, int *ok)
{
    *ok = 0;
    if (!PyLong_CheckExact(x))
        return 0;
    int ovf;
    long long v = PyLong_AsLongLongAndOverflow(x, &ovf);
    if (ovf || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *ok = 1;
    return v;
}

/* (vi, side, level) as a new reference: the cached tuple (and *hash its hash), or a new one
 * (*hash -1). */
static PyObject *
slot_key(Slots *s, PyObject *vi, PyObject *side, PyObject *level, Py_hash_t *hash)
{
    int a, b, c;
    long long v = small_int(vi, &a), sd = small_int(side, &b), lv = small_int(level, &c);
    *hash = -1;
    if (a && b && c && v >= 0 && v < SLOT_KEY_VI && (sd == 1 || sd == -1) && lv >= 0 &&
        lv < SLOT_KEY_LEVELS) {
        Py_ssize_t i = ((Py_ssize_t)v * 2 + (sd == 1 ? 0 : 1)) * SLOT_KEY_LEVELS + (Py_ssize_t)lv;
        if (s->keys[i] == NULL) {
            PyObject *k = PyTuple_Pack(3, vi, side, level);
            Py_hash_t h = k == NULL ? -1 : PyObject_Hash(k);
            if (h == -1) {
                Py_XDECREF(k);
                return NULL;
            }
            s->keys[i] = k;
            s->hashes[i] = h;
        }
        *hash = s->hashes[i];
        return Py_NewRef(s->keys[i]);
    }
    return PyTuple_Pack(3, vi, side, level);
}

/* s->slots (always a dict: a read-only member made by Slots) by a key whose hash is known
 * (hash != -1: a cached key) or not: the same dict operations without hashing the tuple. */
#if PY_VERSION_HEX < 0x030D0000
#define SLOTS_GET(s, k, h)                                                                    \
    ((h) != -1 ? _PyDict_GetItem_KnownHash((s)->slots, k, h) : PyDict_GetItemWithError((s)->slots, k))
#define SLOTS_SET(s, k, v, h)                                                                 \
    ((h) != -1 ? _PyDict_SetItem_KnownHash((s)->slots, k, v, h) : PyDict_SetItem((s)->slots, k, v))
#define SLOTS_DEL(s, k, h)                                                                    \
    ((h) != -1 ? _PyDict_DelItem_KnownHash((s)->slots, k, h) : PyDict_DelItem((s)->slots, k))
#else
#define SLOTS_GET(s, k, h) PyDict_GetItemWithError((s)->slots, k)
#define SLOTS_SET(s, k, v, h) PyDict_SetItem((s)->slots, k, v)
#define SLOTS_DEL(s, k, h) PyDict_DelItem((s)->slots, k)
#endif

/* a != b for the prices and sizes of slots (Python's comparison, exact ints in C). */
static inline int
slot_ne(PyObject *a, PyObject *b)
{
    if (a == b)
        return 0;
    int oa, ob;
    long long x = small_int(a, &oa), y = small_int(b, &ob);
    if (oa && ob)
        return x != y;
    return PyObject_RichCompareBool(a, b, Py_NE);
}

static PyObject *S_lit, *S_instrument_w, *S_modify_attr, *S_side_attr, *S_qty_attr,
    *S_leaves_qty, *S_order_id_attr, *S_pop;

/* world.lit[vi] (new reference) and world.instrument (new reference). */
static int
slots_route(Slots *s, PyObject *vi, PyObject **venue, PyObject **sym)
{
    PyObject *lit = PyObject_GetAttr(s->world, S_lit);
    if (lit == NULL)
        return -1;
    *venue = PyObject_GetItem(lit, vi);
    Py_DECREF(lit);
    if (*venue == NULL)
        return -1;
    *sym = PyObject_GetAttr(s->world, S_instrument_w);
    if (*sym == NULL) {
        Py_CLEAR(*venue);
        return -1;
    }
    return 0;
}

static int
slots_send(Slots *s, PyObject *vi, PyObject *method, PyObject *const *rest, Py_ssize_t nrest,
           PyObject **result)
{
    PyObject *venue, *sym;
    if (slots_route(s, vi, &venue, &sym) < 0)
        return -1;
    PyObject *a[8] = {venue, s->owner, sym};
    for (Py_ssize_t i = 0; i < nrest; i++)
        a[3 + i] = rest[i];
    PyObject *r = PyObject_VectorcallMethod(method, a, (size_t)(3 + nrest), NULL);
    Py_DECREF(venue);
    Py_DECREF(sym);
    if (r == NULL)
        return -1;
    if (result != NULL)
        *result = r;
    else
        Py_DECREF(r);
    return 0;
}

static int
le_zero(PyObject *x)
{
    int ok;
    long long v = small_int(x, &ok);
    if (ok)
        return v <= 0;
    return PyObject_RichCompareBool(x, ZERO, Py_LE);
}

/* Slots.place(vi, side, level, price, qty): make the slot show qty at price (qty 0: pull). */
static PyObject *
slots_place(Slots *s, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"vi", "side", "level", "price", "qty"};
    PyObject *a[5];
    if (bind_args("place", args, nargs, kwnames, names, 5, 5, a) < 0)
        return NULL;
    PyObject *vi = a[0], *side = a[1], *price = a[3], *qty = a[4];
    Py_hash_t hash;
    PyObject *key = slot_key(s, a[0], a[1], a[2], &hash);
    if (key == NULL)
        return NULL;
    PyObject *current = SLOTS_GET(s, key, hash);
    if (current == NULL && PyErr_Occurred())
        goto fail;
    Py_XINCREF(current);
    int pull = le_zero(qty);
    if (pull == 0)
        pull = le_zero(price);
    if (pull < 0)
        goto fail_cur;
    if (pull) {
        if (current != NULL) {
            PyObject *oid = PyTuple_GetItem(current, 0);
            if (oid == NULL)
                goto fail_cur;
            Py_INCREF(oid);
            PyObject *rest[1] = {oid};
            if (slots_send(s, vi, S_cancel_attr, rest, 1, NULL) < 0 ||
                SLOTS_DEL(s, key, hash) < 0) {
                Py_DECREF(oid);
                goto fail_cur;
            }
            PyObject *gone = PyObject_CallMethodObjArgs(s->by_id, S_pop, oid, Py_None, NULL);
            Py_DECREF(oid);
            if (gone == NULL)
                goto fail_cur;
            Py_DECREF(gone);
            s->version++;
        }
        goto done;
    }
    if (current == NULL) {
        PyObject *oid = NULL;
        PyObject *rest[5] = {side, qty, price, ONE, TIF_DAY_OBJ};
        if (slots_send(s, vi, S_submit, rest, 5, &oid) < 0)
            goto fail;
        PyObject *value = PyTuple_Pack(3, oid, price, qty);
        int rc = value == NULL ? -1 : SLOTS_SET(s, key, value, hash);
        Py_XDECREF(value);
        if (rc == 0)
            rc = PyDict_SetItem(s->by_id, oid, key);
        Py_DECREF(oid);
        if (rc < 0)
            goto fail;
        s->version++;
        goto done;
    }
    if (!PyTuple_Check(current) || PyTuple_GET_SIZE(current) != 3) {
        PyErr_Format(PyExc_TypeError, "slot %R=%R must be (order id, price, qty)", key, current);
        goto fail_cur;
    }
    int moved = slot_ne(PyTuple_GET_ITEM(current, 1), price);
    if (moved == 0)
        moved = slot_ne(PyTuple_GET_ITEM(current, 2), qty);
    if (moved < 0)
        goto fail_cur;
    if (moved) {
        PyObject *oid = PyTuple_GET_ITEM(current, 0);
        PyObject *rest[3] = {oid, price, qty};
        if (slots_send(s, vi, S_modify_attr, rest, 3, NULL) < 0)
            goto fail_cur;
        PyObject *value = PyTuple_Pack(3, oid, price, qty);
        int rc = value == NULL ? -1 : SLOTS_SET(s, key, value, hash);
        Py_XDECREF(value);
        if (rc < 0)
            goto fail_cur;
        s->version++;
    }
done:
    Py_XDECREF(current);
    Py_DECREF(key);
    Py_RETURN_NONE;
fail_cur:
    Py_XDECREF(current);
fail:
    Py_DECREF(key);
    return NULL;
}

/* Whether place(vi, side, level, price, qty) with qty <= 0 or price <= 0 would do nothing
 * because the slot holds nothing (the C agents then skip the call; most of their pulls are of
 * empty slots): 1 yes, 0 place must run, -1 an error. */
static int
slots_pull_is_noop(Slots *s, long long vi, int side, long long level)
{
    if (!PyDict_CheckExact(s->slots))
        return 0;
    if (PyDict_GET_SIZE(s->slots) == 0)
        return 1;
    if (vi < 0 || vi >= SLOT_KEY_VI || level < 0 || level >= SLOT_KEY_LEVELS)
        return 0;
    Py_ssize_t i = ((Py_ssize_t)vi * 2 + (side == 1 ? 0 : 1)) * SLOT_KEY_LEVELS + (Py_ssize_t)level;
    PyObject *key = s->keys[i];
    if (key == NULL)
        return 0;
    PyObject *cur = SLOTS_GET(s, key, s->hashes[i]);
    if (cur == NULL)
        return PyErr_Occurred() ? -1 : 1;
    return 0;
}

/* _free(order_id): forget the order; free its slot if the slot still holds it. */
static int
slots_free(Slots *s, PyObject *order_id)
{
    PyObject *key = PyObject_CallMethodObjArgs(s->by_id, S_pop, order_id, Py_None, NULL);
    if (key == NULL)
        return -1;
    int rc = 0;
    if (key != Py_None) {
        PyObject *cur = PyDict_GetItemWithError(s->slots, key);
        if (cur == NULL && PyErr_Occurred()) {
            rc = -1;
        }
        else {
            PyObject *held = cur == NULL ? ZERO : PySequence_GetItem(cur, 0);
            if (cur != NULL && held == NULL) {
                rc = -1;
            }
            else {
                int same = PyObject_RichCompareBool(held, order_id, Py_EQ);
                if (cur != NULL)
                    Py_DECREF(held);
                if (same < 0 || (same && PyDict_DelItem(s->slots, key) < 0))
                    rc = -1;
                else if (same)
                    s->version++;
            }
        }
    }
    Py_DECREF(key);
    return rc;
}

static int
attr_i64(PyObject *o, PyObject *name, long long *out)
{
    PyObject *v = PyObject_GetAttr(o, name);
    if (v == NULL)
        return -1;
    int rc = core_int64(v, "report field", out);
    Py_DECREF(v);
    return rc;
}

static PyObject *
slots_on_report(Slots *s, PyObject *ev)
{
    PyTypeObject *kind = Py_TYPE(ev);
    if (kind == (PyTypeObject *)EV_OrderFilled) {
        long long side, qty, inv, traded;
        if (attr_i64(ev, S_side_attr, &side) < 0 || attr_i64(ev, S_qty_attr, &qty) < 0)
            return NULL;
        if (__builtin_mul_overflow(side, qty, &inv) ||
            __builtin_add_overflow(s->inventory, inv, &inv) ||
            __builtin_add_overflow(s->traded, qty, &traded)) {
            PyErr_SetString(PyExc_OverflowError, "slots: inventory overflows");
            return NULL;
        }
        s->inventory = inv;
        s->traded = traded;
        PyObject *leaves = PyObject_GetAttr(ev, S_leaves_qty);
        PyObject *oid = leaves ? PyObject_GetAttr(ev, S_order_id_attr) : NULL;
        if (oid == NULL) {
            Py_XDECREF(leaves);
            return NULL;
        }
        int done = PyObject_RichCompareBool(leaves, ZERO, Py_EQ);
        int rc = done;
        if (done > 0) {
            rc = slots_free(s, oid);
        }
        else if (done == 0) {
            PyObject *key = PyDict_GetItemWithError(s->by_id, oid);
            rc = (key == NULL && PyErr_Occurred()) ? -1 : 0;
            if (key != NULL) {
                Py_INCREF(key);
                PyObject *cur = PyDict_GetItemWithError(s->slots, key);
                if (cur == NULL) {
                    rc = PyErr_Occurred() ? -1 : 0;
                }
                else if (!PyTuple_Check(cur) || PyTuple_GET_SIZE(cur) != 3) {
                    PyErr_Format(PyExc_TypeError, "slot %R=%R must be (order id, price, qty)",
                                 key, cur);
                    rc = -1;
                }
                else {
                    PyObject *value = PyTuple_Pack(3, PyTuple_GET_ITEM(cur, 0),
                                                   PyTuple_GET_ITEM(cur, 1), leaves);
                    rc = value == NULL ? -1 : PyDict_SetItem(s->slots, key, value);
                    Py_XDECREF(value);
                    if (rc == 0)
                        s->version++;
                }
                Py_DECREF(key);
            }
        }
        Py_DECREF(leaves);
        Py_DECREF(oid);
        if (rc < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    if (kind == (PyTypeObject *)EV_OrderCancelled || kind == (PyTypeObject *)EV_OrderRejected ||
        kind == (PyTypeObject *)EV_RequestRejected) {
        PyObject *oid = PyObject_GetAttr(ev, S_order_id_attr);
        if (oid == NULL)
            return NULL;
        int rc = slots_free(s, oid);
        Py_DECREF(oid);
        if (rc < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
slots_pull_all(Slots *s, PyObject *unused)
{
    (void)unused;
    PyObject *keys = PySequence_List(s->slots);
    if (keys == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        PyObject *a[5];
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 3) {
            PyErr_Format(PyExc_TypeError, "slot key %R must be (venue, side, level)", key);
            Py_DECREF(keys);
            return NULL;
        }
        a[0] = PyTuple_GET_ITEM(key, 0);
        a[1] = PyTuple_GET_ITEM(key, 1);
        a[2] = PyTuple_GET_ITEM(key, 2);
        a[3] = ZERO;
        a[4] = ZERO;
        PyObject *r = slots_place(s, a, 5, NULL);
        if (r == NULL) {
            Py_DECREF(keys);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(keys);
    Py_RETURN_NONE;
}

static PyObject *
slots_live(Slots *s, PyObject *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(PyDict_Size(s->slots));
}

static PyObject *
slots_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"world", "owner", NULL};
    PyObject *world, *owner;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Slots", kwlist, &world, &owner))
        return NULL;
    Slots *s = (Slots *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    s->world = Py_NewRef(world);
    s->owner = Py_NewRef(owner);
    s->slots = PyDict_New();
    s->by_id = PyDict_New();
    if (s->slots == NULL || s->by_id == NULL) {
        Py_DECREF(s);
        return NULL;
    }
    return (PyObject *)s;
}

static int
slots_traverse(Slots *s, visitproc visit, void *arg)
{
    Py_VISIT(s->world);
    Py_VISIT(s->owner);
    Py_VISIT(s->slots);
    Py_VISIT(s->by_id);
    for (int i = 0; i < SLOT_KEYS; i++)
        Py_VISIT(s->keys[i]);
    return 0;
}

static int
slots_clear(Slots *s)
{
    Py_CLEAR(s->world);
    Py_CLEAR(s->owner);
    Py_CLEAR(s->slots);
    Py_CLEAR(s->by_id);
    for (int i = 0; i < SLOT_KEYS; i++)
        Py_CLEAR(s->keys[i]);
    return 0;
}

static void
slots_dealloc(Slots *s)
{
    PyObject_GC_UnTrack(s);
    slots_clear(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef slots_methods[] = {
    {"place", FASTCALL_KW(slots_place),
     "place(vi, side, level, price, qty): make the slot show qty at price (qty 0: pull it)."},
    {"on_report", (PyCFunction)slots_on_report, METH_O,
     "on_report(event): keep the slots true to an execution report."},
    {"pull_all", (PyCFunction)slots_pull_all, METH_NOARGS, "pull_all(): pull every slot."},
    {"live", (PyCFunction)slots_live, METH_NOARGS, "live() -> the number of slots showing."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef slots_members[] = {
    {"world", FG_OBJECT_EX, offsetof(Slots, world), READONLY, NULL},
    {"owner", FG_OBJECT_EX, offsetof(Slots, owner), READONLY, NULL},
    {"slots", FG_OBJECT_EX, offsetof(Slots, slots), READONLY, NULL},
    {"by_id", FG_OBJECT_EX, offsetof(Slots, by_id), READONLY, NULL},
    {"inventory", FG_LONGLONG, offsetof(Slots, inventory), 0, NULL},
    {"traded", FG_LONGLONG, offsetof(Slots, traded), 0, NULL},
    {"version", FG_LONGLONG, offsetof(Slots, version), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SlotsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.Slots",
    .tp_doc = "A quoting agent's order slots (C implementation of "
              "flashguard.market.agents.quoting.PySlots).",
    .tp_basicsize = sizeof(Slots),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = slots_new,
    .tp_dealloc = (destructor)slots_dealloc,
    .tp_traverse = (traverseproc)slots_traverse,
    .tp_clear = (inquiry)slots_clear,
    .tp_methods = slots_methods,
    .tp_members = slots_members,
};

static int
slots_init_module(PyObject *m)
{
    if (intern(&S_lit, "lit") < 0 || intern(&S_instrument_w, "instrument") < 0 ||
        intern(&S_modify_attr, "modify") < 0 || intern(&S_side_attr, "side") < 0 ||
        intern(&S_qty_attr, "qty") < 0 || intern(&S_leaves_qty, "leaves_qty") < 0 ||
        intern(&S_order_id_attr, "order_id") < 0 || intern(&S_pop, "pop") < 0 ||
        PyType_Ready(&SlotsType) < 0)
        return -1;
    if (PyModule_AddType(m, &SlotsType) < 0) /* as "Slots" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_SLOTS_H */
