/* order_id -> order: open addressing, linear probing, backward-shift deletion. Included once, by _cengine.c; see there. */
#ifndef FLASHGUARD_CENGINE_MAP_H
#define FLASHGUARD_CENGINE_MAP_H

#include "_cengine_base.h"


typedef struct {
    int64_t key;
    Order *val; /* NULL: empty slot */
} Slot;

typedef struct {
    Slot *slots;
    uint64_t mask;
    int shift;
    Py_ssize_t used;
} OrderMap;

static inline uint64_t
map_home(const OrderMap *m, int64_t key)
{
    /* Fibonacci hashing: consecutive ids spread over the table */
    return ((uint64_t)key * UINT64_C(0x9E3779B97F4A7C15)) >> m->shift;
}

static int
map_alloc(OrderMap *m, int bits)
{
    Slot *s = PyMem_Calloc((size_t)1 << bits, sizeof(Slot));
    if (s == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    m->slots = s;
    m->mask = ((uint64_t)1 << bits) - 1;
    m->shift = 64 - bits;
    m->used = 0;
    return 0;
}

static inline Order *
map_get(const OrderMap *m, int64_t key)
{
    uint64_t i = map_home(m, key);
    for (;;) {
        const Slot *s = &m->slots[i];
        if (s->val == NULL)
            return NULL;
        if (s->key == key)
            return s->val;
        i = (i + 1) & m->mask;
    }
}

static inline void
map_put_new(OrderMap *m, int64_t key, Order *val)
{
    uint64_t i = map_home(m, key);
    while (m->slots[i].val != NULL)
        i = (i + 1) & m->mask;
    m->slots[i].key = key;
    m->slots[i].val = val;
    m->used++;
}

/* Room for one more entry at a load factor of at most 1/2. */
static int
map_reserve(OrderMap *m)
{
    if ((uint64_t)(m->used + 1) * 2 <= m->mask + 1)
        return 0;
    OrderMap bigger;
    if (map_alloc(&bigger, 64 - m->shift + 1) < 0)
        return -1;
    for (uint64_t i = 0; i <= m->mask; i++)
        if (m->slots[i].val != NULL)
            map_put_new(&bigger, m->slots[i].key, m->slots[i].val);
    PyMem_Free(m->slots);
    *m = bigger;
    return 0;
}

static void
map_del(OrderMap *m, int64_t key)
{
    Slot *s = m->slots;
    uint64_t mask = m->mask, i = map_home(m, key);
    while (s[i].key != key || s[i].val == NULL)
        i = (i + 1) & mask;
    /* shift back later entries whose probe path crosses the hole */
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (s[j].val == NULL)
            break;
        uint64_t k = map_home(m, s[j].key);
        int stays = (i < j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            s[i] = s[j];
            i = j;
        }
    }
    s[i].val = NULL;
    m->used--;
}

#endif /* FLASHGUARD_CENGINE_MAP_H */
