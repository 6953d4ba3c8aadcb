/* The engine's heap, capped at maxMemory by our own allocator.
 *
 * QuickJS-NG can enforce a limit itself (JS_SetMemoryLimit), but it refuses
 * the allocation before any hook of ours runs, and when even the "out of
 * memory" error cannot be allocated it throws null. A handler may throw null
 * too, so from the exception alone the worker cannot tell running out of
 * maxMemory from a plain `throw null`. Enforcing the cap here, where every
 * block the engine takes from malloc passes, lets the worker record that a
 * refusal happened: `refused` is what makes a null exception MEMORY_LIMIT.
 *
 * What is counted is what malloc gives the engine (its arena pages and large
 * blocks, at their usable size): the memory the handler actually costs. */
#include <malloc.h>
#include <stdlib.h>

#include "private.h"

static bool over_limit(QWHeap *heap, size_t more) {
    if (heap->limit == 0 || heap->suspended || heap->used + more <= heap->limit)
        return false;
    heap->refused = true;
    return true;
}

static void *heap_malloc(void *opaque, size_t size) {
    QWHeap *heap = opaque;
    void *ptr;

    if (over_limit(heap, size))
        return NULL;
    ptr = malloc(size);
    if (ptr)
        heap->used += malloc_usable_size(ptr);
    return ptr;
}

static void *heap_calloc(void *opaque, size_t count, size_t size) {
    QWHeap *heap = opaque;
    void *ptr;

    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    if (over_limit(heap, count * size))
        return NULL;
    ptr = calloc(count, size);
    if (ptr)
        heap->used += malloc_usable_size(ptr);
    return ptr;
}

static void heap_free(void *opaque, void *ptr) {
    QWHeap *heap = opaque;

    if (!ptr)
        return;
    heap->used -= malloc_usable_size(ptr);
    free(ptr);
}

static void *heap_realloc(void *opaque, void *ptr, size_t size) {
    QWHeap *heap = opaque;
    size_t old = ptr ? malloc_usable_size(ptr) : 0;
    void *grown;

    if (size == 0) {
        heap_free(opaque, ptr);
        return NULL;
    }
    if (size > old && over_limit(heap, size - old))
        return NULL;
    grown = realloc(ptr, size);
    if (!grown)
        return NULL;
    heap->used = heap->used - old + malloc_usable_size(grown);
    return grown;
}

static size_t heap_usable_size(const void *ptr) {
    return malloc_usable_size((void *)ptr);
}

const JSMallocFunctions qw__heap_functions = {
    heap_calloc, heap_malloc, heap_free, heap_realloc, heap_usable_size,
};
