/* `DrawStream`: the numbers of block(), block(), ... one at a time, the C twin of
 * agents.base._stream (`chain.from_iterable(iter(block, None)).__next__`, the reference).
 * Included once, by _cengine.c (before the C agents, whose `draw` reads it in place: no Python
 * call per number). Calling it returns the next number; a new block is drawn only when one is
 * needed, so the Generator behind `block` is called in the same order as the reference's.
 * A block is a tuple of numbers or, read without making a Python float per number, a
 * one-dimensional float64 array (numpy's rng.random(n) as it is, where the reference makes a
 * tuple of its .tolist(): the same doubles).
 */
#ifndef FLASHGUARD_CENGINE_DRAWS_H
#define FLASHGUARD_CENGINE_DRAWS_H

typedef struct {
    PyObject_HEAD
    PyObject *block; /* () -> the next block (None: the stream ends, as iter(block, None)) */
    PyObject *cur;   /* the block being read: a tuple, or an array of doubles (view), or NULL */
    Py_buffer view;  /* cur's doubles when data is not NULL */
    const double *data;
    Py_ssize_t i, n; /* the next number's index in cur, and cur's length */
    int done;        /* block() returned None */
    vectorcallfunc vectorcall;
} DrawStream;

static void
stream_drop(DrawStream *d)
{
    if (d->data != NULL) {
        d->data = NULL;
        PyBuffer_Release(&d->view);
    }
    Py_CLEAR(d->cur);
    d->i = d->n = 0;
}

/* A block of C doubles (a one-dimensional contiguous float64 array, as numpy's): 1 and its
 * view taken; 0: not one. */
static int
stream_doubles(PyObject *b, Py_buffer *view)
{
    if (PyTuple_CheckExact(b) || !PyObject_CheckBuffer(b))
        return 0;
    if (PyObject_GetBuffer(b, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 0;
    }
    const char *f = view->format;
    int native_d = f != NULL && (strcmp(f, "d") == 0 || strcmp(f, "@d") == 0 ||
                                 strcmp(f, "=d") == 0 ||
                                 (PY_LITTLE_ENDIAN && strcmp(f, "<d") == 0) ||
                                 (!PY_LITTLE_ENDIAN && strcmp(f, ">d") == 0));
    if (native_d && view->ndim == 1 && view->itemsize == (Py_ssize_t)sizeof(double))
        return 1;
    PyBuffer_Release(view);
    return 0;
}

/* Make the next number readable: d->i < d->n (0), or an error (-1; StopIteration once the
 * stream has ended). */
static int
stream_fill(DrawStream *d)
{
    while (UNLIKELY(d->i >= d->n)) {
        if (d->done) {
            PyErr_SetNone(PyExc_StopIteration);
            return -1;
        }
        PyObject *b = PyObject_CallNoArgs(d->block);
        if (b == NULL)
            return -1;
        stream_drop(d);
        if (b == Py_None) {
            Py_DECREF(b);
            d->done = 1;
            continue;
        }
        if (stream_doubles(b, &d->view)) {
            d->cur = b;
            d->data = (const double *)d->view.buf;
            d->n = d->view.len / (Py_ssize_t)sizeof(double);
            continue;
        }
        if (!PyTuple_CheckExact(b)) {
            Py_SETREF(b, PySequence_Tuple(b));
            if (b == NULL)
                return -1;
        }
        d->cur = b;
        d->n = PyTuple_GET_SIZE(b);
    }
    return 0;
}

/* The next number as a C double (the C agents' draw). */
static inline int
stream_next_double(DrawStream *d, double *out)
{
    if (stream_fill(d) < 0)
        return -1;
    if (LIKELY(d->data != NULL)) {
        *out = d->data[d->i++];
        return 0;
    }
    PyObject *x = PyTuple_GET_ITEM(d->cur, d->i++);
    if (LIKELY(PyFloat_CheckExact(x))) {
        *out = PyFloat_AS_DOUBLE(x);
        return 0;
    }
    Py_INCREF(x);
    double f = PyFloat_AsDouble(x);
    Py_DECREF(x);
    if (f == -1.0 && PyErr_Occurred())
        return -1;
    *out = f;
    return 0;
}

static PyObject *
stream_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    (void)args;
    if (PyVectorcall_NARGS(nargsf) != 0 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "DrawStream() takes no arguments");
        return NULL;
    }
    DrawStream *d = (DrawStream *)self;
    if (stream_fill(d) < 0)
        return NULL;
    if (d->data != NULL)
        return PyFloat_FromDouble(d->data[d->i++]);
    return Py_NewRef(PyTuple_GET_ITEM(d->cur, d->i++));
}

static PyObject *
stream_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"block", NULL};
    PyObject *block;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:DrawStream", kwlist, &block))
        return NULL;
    if (!PyCallable_Check(block)) {
        PyErr_Format(PyExc_TypeError, "DrawStream: block=%R must be callable", block);
        return NULL;
    }
    DrawStream *d = (DrawStream *)type->tp_alloc(type, 0);
    if (d == NULL)
        return NULL;
    d->block = Py_NewRef(block);
    d->vectorcall = stream_vectorcall;
    return (PyObject *)d;
}

static int
stream_traverse(DrawStream *d, visitproc visit, void *arg)
{
    Py_VISIT(d->block);
    Py_VISIT(d->cur);
    return 0;
}

static int
stream_clear(DrawStream *d)
{
    Py_CLEAR(d->block);
    stream_drop(d);
    return 0;
}

static void
stream_dealloc(DrawStream *d)
{
    PyObject_GC_UnTrack(d);
    stream_clear(d);
    Py_TYPE(d)->tp_free((PyObject *)d);
}

static PyTypeObject DrawStreamType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.market._cengine.DrawStream",
    .tp_doc = "DrawStream(block): calling it returns the next number of block(), block(), ... "
              "(C implementation of flashguard.market.agents.base._stream).",
    .tp_basicsize = sizeof(DrawStream),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(DrawStream, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = stream_new,
    .tp_dealloc = (destructor)stream_dealloc,
    .tp_traverse = (traverseproc)stream_traverse,
    .tp_clear = (inquiry)stream_clear,
};

static int
draws_init_module(PyObject *m)
{
    if (PyType_Ready(&DrawStreamType) < 0)
        return -1;
    if (PyModule_AddType(m, &DrawStreamType) < 0) /* as "DrawStream" (its tp_name) */
        return -1;
    return 0;
}

#endif /* FLASHGUARD_CENGINE_DRAWS_H */
