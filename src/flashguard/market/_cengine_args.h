/* Argument binding for METH_FASTCALL | METH_KEYWORDS methods. Included once, by _cengine.c; see there. */
#ifndef FLASHGUARD_CENGINE_ARGS_H
#define FLASHGUARD_CENGINE_ARGS_H

#include "_cengine_base.h"

/* A float from a new reference (NULL: the error already set), which it releases: 0, or -1
 * with Python's error (float(v) failed). */
static int
take_double(PyObject *v, double *out)
{
    if (v == NULL)
        return -1;
    double x = PyFloat_AsDouble(v);
    Py_DECREF(v);
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

static int
bind_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
          const char *const *names, Py_ssize_t nreq, Py_ssize_t nmax, PyObject **out)
{
    for (Py_ssize_t i = 0; i < nmax; i++)
        out[i] = NULL;
    if (nargs > nmax) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd positional arguments (%zd given)",
                     fname, nmax, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        out[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t j = 0;
        while (j < nmax && PyUnicode_CompareWithASCIIString(name, names[j]) != 0)
            j++;
        if (j == nmax) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", fname,
                         name);
            return -1;
        }
        if (out[j] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                         names[j]);
            return -1;
        }
        out[j] = args[nargs + k];
    }
    for (Py_ssize_t j = 0; j < nreq; j++) {
        if (out[j] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname,
                         names[j]);
            return -1;
        }
    }
    return 0;
}


/* A method with one required argument, callable by keyword too as in Python. */
#define ONE_ARG(fname, argname, out)                                                          \
    do {                                                                                      \
        static const char *const names_[] = {argname};                                        \
        if (LIKELY(nargs == 1 && kwnames == NULL))                                            \
            out = args[0];                                                                    \
        else if (bind_args(fname, args, nargs, kwnames, names_, 1, 1, &out) < 0)              \
            return NULL;                                                                      \
    } while (0)

#define FASTCALL_KW(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

#endif /* FLASHGUARD_CENGINE_ARGS_H */
