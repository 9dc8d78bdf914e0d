/* libFuzzer target for the pcapng block reader: the input is the whole
 * file, its first 4 bytes handed over as the peeked head as capture.c does.
 * Every packet's bytes are read, so a caplen that overstates its block is
 * caught by ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    FILE *fp = size > 4 ? fmemopen((void *)(data + 4), size - 4, "rb") : fopen("/dev/null", "rb");
    if (!fp) return 0;
    char err[256];
    struct pcapng *r = pcapng_open(fp, data, 4, err, sizeof(err));
    struct pcapng_packet p;
    volatile uint8_t sink = 0;
    while (r && pcapng_next(r, &p, err, sizeof(err)) == 1)
        for (uint32_t i = 0; i < p.caplen; i++)
            sink ^= p.data[i];
    (void)sink;
    pcapng_close(r);
    fclose(fp);
    return 0;
}
