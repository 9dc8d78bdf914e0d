#include "stats.h"

uint64_t stats_drops(const struct pipeline_stats *st, const struct capture_stats *cs)
{
    return cs->dropped + cs->if_dropped + st->flows_dropped;
}

void stats_print_summary(FILE *out, const struct pipeline_stats *st, const struct capture_stats *cs,
                         double seconds)
{
    fprintf(
        out,
        "vigie: %llu packets, %llu flows, %llu alerts, %llu incidents, %llu drops, %.3f seconds "
        "(%llu malformed, %llu truncated, %llu fragments, %llu not ip, %llu offloaded, "
        "%llu decapsulated, %llu evicted, %llu allowed flows, %.0f packets/s)\n",
        (unsigned long long)st->packets, (unsigned long long)st->flows_created,
        (unsigned long long)st->alerts, (unsigned long long)st->incidents,
        (unsigned long long)stats_drops(st, cs), seconds,
        (unsigned long long)st->decode[DECODE_MALFORMED],
        (unsigned long long)st->decode[DECODE_TRUNCATED],
        (unsigned long long)st->decode[DECODE_FRAGMENT],
        (unsigned long long)(st->decode[DECODE_NOT_IP] + st->decode[DECODE_UNSUPPORTED]),
        (unsigned long long)st->offloaded, (unsigned long long)st->decapsulated,
        (unsigned long long)st->flows_evicted, (unsigned long long)st->allowed_flows,
        seconds > 0 ? (double)st->packets / seconds : 0.0);
}

void stats_print_line(FILE *out, const struct pipeline_stats *st, const struct capture_stats *cs)
{
    fprintf(out,
            "vigie: stats packets=%llu bytes=%llu drops=%llu flows_active=%u flows=%llu "
            "evicted=%llu alerts=%llu incidents=%llu incidents_open=%llu allowed_flows=%llu "
            "malformed=%llu truncated=%llu offloaded=%llu mem_bytes=%llu "
            "classifying=%u "
            "dpi_bytes=%llu dissector_bytes=%llu dpi_shed=%llu emergency=%u emergencies=%llu "
            "emergency_evicted=%llu emergency_expired=%llu\n",
            (unsigned long long)st->packets, (unsigned long long)st->bytes,
            (unsigned long long)stats_drops(st, cs), st->flows_active,
            (unsigned long long)st->flows_created, (unsigned long long)st->flows_evicted,
            (unsigned long long)st->alerts, (unsigned long long)st->incidents,
            (unsigned long long)st->incidents_open, (unsigned long long)st->allowed_flows,
            (unsigned long long)st->decode[DECODE_MALFORMED],
            (unsigned long long)st->decode[DECODE_TRUNCATED], (unsigned long long)st->offloaded,
            (unsigned long long)st->mem_bytes, st->classifying, (unsigned long long)st->dpi_bytes,
            (unsigned long long)st->dissector_bytes, (unsigned long long)st->dpi_shed,
            st->emergency, (unsigned long long)st->emergencies,
            (unsigned long long)st->emergency_evicted, (unsigned long long)st->emergency_expired);
}
