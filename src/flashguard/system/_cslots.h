/* What the system's C twins (_cgate.c, _clane.c) share to read Python objects at their slot
 * offsets: a field is (class index, slot name), and fg_learn_slots looks each one up once,
 * at bind time, on the classes the Python side hands over. Include after Python.h and
 * structmember.h, with FG_OBJECT_EX defined. */
#ifndef FLASHGUARD_CSLOTS_H
#define FLASHGUARD_CSLOTS_H

typedef struct {
    int cls;
    const char *name;
} Field;

/* Fill types[0..n_classes) from classes[class_names[c]] and off[0..n_fields) with each
 * field's slot offset. 0, or -1 with TypeError naming the class or the field that is not a
 * slot of an object type (the C file is then out of step with the Python classes). Nothing
 * is written to types or off on failure; types are borrowed from `classes`. */
static int
fg_learn_slots(PyObject *classes, const char *const *class_names, int n_classes,
               const Field *fields, int n_fields, const char *module,
               PyTypeObject **types, Py_ssize_t *off)
{
    PyTypeObject *found[n_classes];
    Py_ssize_t offsets[n_fields];
    for (int c = 0; c < n_classes; c++) {
        PyObject *tp = PyDict_GetItemString(classes, class_names[c]); /* borrowed */
        if (tp == NULL || !PyType_Check(tp)) {
            PyErr_Format(PyExc_TypeError, "bind: classes['%s'] must be a class",
                         class_names[c]);
            return -1;
        }
        found[c] = (PyTypeObject *)tp;
    }
    for (int f = 0; f < n_fields; f++) {
        PyObject *name = PyUnicode_InternFromString(fields[f].name);
        if (name == NULL)
            return -1;
        PyObject *descr = _PyType_Lookup(found[fields[f].cls], name); /* borrowed */
        Py_DECREF(name);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)
            || ((PyMemberDescrObject *)descr)->d_member->type != FG_OBJECT_EX) {
            PyErr_Format(PyExc_TypeError,
                         "bind: %s.%s is not a slot: %s is out of step with the Python "
                         "classes (rebuild it, or run with FLASHGUARD_PURE=1)",
                         class_names[fields[f].cls], fields[f].name, module);
            return -1;
        }
        offsets[f] = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    for (int c = 0; c < n_classes; c++)
        types[c] = found[c];
    for (int f = 0; f < n_fields; f++)
        off[f] = offsets[f];
    return 0;
}

#endif
