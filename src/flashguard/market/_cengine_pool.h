/* Fixed-size node pools: orders and levels come and go at every message. Included once, by _cengine.c; see there. */
#ifndef FLASHGUARD_CENGINE_POOL_H
#define FLASHGUARD_CENGINE_POOL_H

#include "_cengine_base.h"


typedef union PoolChunk {
    union PoolChunk *next;
    long double align;
    qsum_t align128;
} PoolChunk;

typedef struct {
    void *free;
    PoolChunk *chunks;
    size_t item_size;
    size_t per_chunk;
} Pool;

static void
pool_init(Pool *p, size_t item_size, size_t per_chunk)
{
    p->free = NULL;
    p->chunks = NULL;
    p->item_size = (item_size + 15) & ~(size_t)15;
    p->per_chunk = per_chunk;
}

static int
pool_refill(Pool *p)
{
    PoolChunk *c = PyMem_Malloc(sizeof(PoolChunk) + p->item_size * p->per_chunk);
    if (c == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    c->next = p->chunks;
    p->chunks = c;
    char *items = (char *)(c + 1);
    for (size_t i = p->per_chunk; i-- > 0;) {
        void **item = (void **)(items + i * p->item_size);
        *item = p->free;
        p->free = item;
    }
    if (p->per_chunk < 4096)
        p->per_chunk *= 2;
    return 0;
}

static inline void *
pool_get(Pool *p)
{
    if (UNLIKELY(p->free == NULL) && pool_refill(p) < 0)
        return NULL;
    void **item = p->free;
    p->free = *item;
    return item;
}

static inline void
pool_put(Pool *p, void *x)
{
    *(void **)x = p->free;
    p->free = x;
}

static void
pool_destroy(Pool *p)
{
    while (p->chunks) {
        PoolChunk *next = p->chunks->next;
        PyMem_Free(p->chunks);
        p->chunks = next;
    }
    p->free = NULL;
}

#endif /* FLASHGUARD_CENGINE_POOL_H */
