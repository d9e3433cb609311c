/* fuzz_contact.c — libFuzzer target for broadcaster/contact.h. */
#include "../broadcaster/contact.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size ? size : 1);
    memcpy(t, data, size);
    unsigned k = contact_scan(t, size);
    if (k >> 6) abort();
    free(t);
    return 0;
}
