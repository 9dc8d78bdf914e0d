/* vigie: argument parsing and wiring only. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ndpi_api.h>
#include <pcap/pcap.h>

#include "capture/capture.h"
#include "config/config.h"
#include "output/output.h"
#include "pipeline/pipeline.h"
#include "pipeline/stats.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
/* At the end of a run the process exits: what the pipeline holds (nDPI's
 * trees and automata, the flow tables, the dissectors' pools) goes back to
 * the kernel with the address space at once, not a free() at a time (an empty
 * run with two workers: 32 ms instead of 52). Sanitizer builds
 * free it all, so that LeakSanitizer checks the teardown. */
#if defined(__SANITIZE_ADDRESS__)
#define FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FREE_AT_EXIT 1
#endif
#endif
#ifndef FREE_AT_EXIT
#define FREE_AT_EXIT 0
#endif

struct options {
    const char *config_path, *interface, *read_path, *flows_path, *alerts_path;
    const char *redis_url, *learn_path, *user;
    double replay;
    int no_redis, check_config, quiet, verbose;
    unsigned stats_interval;
    int workers; /* -1: as the config says */
    char bpf[1024];
};

static volatile sig_atomic_t reload_requested, stats_requested;
/* The handles a signal stops: one, or one per worker (a fanout group). */
static struct capture *running_caps[64];
static volatile sig_atomic_t n_running;

static void usage(FILE *out)
{
    fputs("usage: vigie [-c FILE] (-i IFACE | -r FILE) [options] [BPF expression]\n"
          "  -c, --config FILE     YAML config; without it, built-in defaults\n"
          "  -i, --interface IFACE live capture (promiscuous, immediate mode)\n"
          "  -r, --read FILE       pcap or pcapng file, '-' for stdin\n"
          "      --replay[=SPEED]  pace a file by its timestamps (1 = real time)\n"
          "  -A, --alerts FILE|-   also write alerts as JSON lines\n"
          "      --flows FILE|-    write one JSON line per finished flow\n"
          "      --redis URL       redis://[user:pass@]host[:port][/db] or unix:///path\n"
          "      --no-redis        no Redis output at all\n"
          "      --learn FILE      write the cross-zone edges seen as a policy YAML\n"
          "  -T, --check-config    validate the config and exit\n"
          "  -u, --user USER       drop privileges once the capture is open\n"
          "      --stats-interval S  print (and publish) stats every S seconds\n"
          "      --workers N       threads of per-flow work (0: one per online CPU)\n"
          "  -q, --quiet           no progress or periodic stats on stderr\n"
          "  -v, --verbose         more messages\n"
          "  -V, --version         print version and exit\n"
          "  -h, --help            this help\n"
          "Exit status: 0 done, 1 runtime failure, 2 usage or config error.\n",
          out);
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum {
        OPT_REPLAY = 256,
        OPT_FLOWS,
        OPT_REDIS,
        OPT_NO_REDIS,
        OPT_LEARN,
        OPT_STATS,
        OPT_WORKERS
    };
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'},
        {"interface", required_argument, 0, 'i'},
        {"read", required_argument, 0, 'r'},
        {"replay", optional_argument, 0, OPT_REPLAY},
        {"alerts", required_argument, 0, 'A'},
        {"flows", required_argument, 0, OPT_FLOWS},
        {"redis", required_argument, 0, OPT_REDIS},
        {"no-redis", no_argument, 0, OPT_NO_REDIS},
        {"learn", required_argument, 0, OPT_LEARN},
        {"check-config", no_argument, 0, 'T'},
        {"user", required_argument, 0, 'u'},
        {"stats-interval", required_argument, 0, OPT_STATS},
        {"workers", required_argument, 0, OPT_WORKERS},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"version", no_argument, 0, 'V'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "c:i:r:A:Tu:qvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'i':
            o->interface = optarg;
            break;
        case 'r':
            o->read_path = optarg;
            break;
        case 'A':
            o->alerts_path = optarg;
            break;
        case 'T':
            o->check_config = 1;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'v':
            o->verbose++;
            break;
        case OPT_FLOWS:
            o->flows_path = optarg;
            break;
        case OPT_REDIS:
            o->redis_url = optarg;
            break;
        case OPT_NO_REDIS:
            o->no_redis = 1;
            break;
        case OPT_LEARN:
            o->learn_path = optarg;
            break;
        case OPT_REPLAY:
            o->replay = 1.0;
            if (optarg) {
                errno = 0;
                o->replay = strtod(optarg, &end);
                if (errno || *end || !(o->replay > 0)) {
                    fprintf(stderr,
                            "vigie: --replay: speed must be a positive number, got \"%s\"\n",
                            optarg);
                    return -1;
                }
            }
            break;
        case OPT_STATS: {
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || *end || v > 86400) {
                fprintf(stderr, "vigie: --stats-interval: seconds from 0 to 86400, got \"%s\"\n",
                        optarg);
                return -1;
            }
            o->stats_interval = (unsigned)v;
            break;
        }
        case OPT_WORKERS: {
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || v > 64) {
                fprintf(stderr, "vigie: --workers: a number from 0 to 64, got \"%s\"\n", optarg);
                return -1;
            }
            o->workers = (int)v;
            break;
        }
        case 'V':
            printf("vigie %s (nDPI %s, %s)\n", VIGIE_VERSION, ndpi_revision(), pcap_lib_version());
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    /* Remaining words form the BPF expression, as with tcpdump. */
    size_t used = 0;
    for (int i = optind; i < argc; i++) {
        int n = snprintf(o->bpf + used, sizeof(o->bpf) - used, "%s%s", used ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(o->bpf) - used) {
            fprintf(stderr, "vigie: BPF expression too long\n");
            return -1;
        }
        used += (size_t)n;
    }
    if (o->interface && o->read_path) {
        fprintf(stderr, "vigie: give one of -i IFACE or -r FILE, not both (see --help)\n");
        return -1;
    }
    if (o->replay > 0 && !o->read_path) {
        fprintf(stderr, "vigie: --replay paces a file read with -r\n");
        return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    for (int i = 0; i < n_running; i++)
        capture_stop(running_caps[i]);
}

/* SIGHUP and SIGUSR2 reload the config (USR2 as Suricata reloads its
 * rules); SIGUSR1 prints the counters (as tcpdump does). Never fatal. */
static void on_sighup(int sig)
{
    if (sig == SIGUSR1)
        stats_requested = 1;
    else
        reload_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_sighup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* tcpdump's order: supplementary groups, group, then user; and check that
 * root cannot be regained. */
static int drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "vigie: -u %s: no such user\n", user);
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "vigie: -u %s: cannot drop privileges: %s\n", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        fprintf(stderr, "vigie: -u %s: privileges could be regained, refusing to run\n", user);
        return -1;
    }
    return 0;
}

static uint64_t now_us(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct run {
    struct pipeline *pipe;
    struct capture **caps;
    int ncaps;
    const struct options *opt;
    struct config *cfg; /* current, swapped on reload */
    struct outputs *out;
    uint64_t next_stats_us, next_progress_us, next_flush_us;
    int progress;
};

/* SIGHUP: load the file again; on success the pipeline takes the new
 * zones, roles, policy and detector settings and the old config goes. */
static void reload(struct run *r)
{
    char err[4096];
    reload_requested = 0;
    /* logrotate's usual postrotate: files renamed away are reopened at
     * their configured paths, so nothing is written into a rotated file. */
    if (outputs_reopen(r->out, err, sizeof(err)) != 0)
        fprintf(stderr, "vigie: reopening output files failed: %s\n", err);
    if (!r->opt->config_path) return;
    struct config *next = malloc(sizeof(*next));
    if (!next) return;
    if (config_load(next, r->opt->config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "vigie: reload of %s failed, keeping the running config:\n%s\n",
                r->opt->config_path, err);
        free(next);
        return;
    }
    if (pipeline_reload(r->pipe, next, err, sizeof(err)) != 0) {
        fprintf(stderr, "vigie: reload failed, keeping the running config: %s\n", err);
        config_free(next);
        free(next);
        return;
    }
    config_free(r->cfg);
    free(r->cfg);
    r->cfg = next;
    fprintf(stderr, "vigie: reloaded %s\n", r->opt->config_path);
}

/* The counters every output that takes stats publishes. */
static void publish_stats(struct outputs *out, const struct pipeline_stats *st,
                          const struct capture_stats *cs, unsigned workers)
{
    struct output_counters c = {
        .packets = st->packets,
        .bytes = st->bytes,
        .drops = stats_drops(st, cs),
        .flows_active = st->flows_active,
        .flows = st->flows_created,
        .flows_evicted = st->flows_evicted,
        .alerts = st->alerts,
        .malformed = st->decode[DECODE_MALFORMED],
        .truncated = st->decode[DECODE_TRUNCATED],
        .mem_bytes = st->mem_bytes,
        .offloaded = st->offloaded,
        .dissector_bytes = st->dissector_bytes,
        .workers = workers,
        .emergency = st->emergency,
        .emergencies = st->emergencies,
        .emergency_evicted = st->emergency_evicted,
    };
    outputs_stats(out, &c);
}

static void on_tick(void *ud)
{
    struct run *r = ud;
    if (reload_requested) reload(r);
    uint64_t mono = now_us(CLOCK_MONOTONIC_COARSE);
    pipeline_tick(r->pipe, now_us(CLOCK_REALTIME_COARSE));
    /* Buffered records reach the files once a second: a quiet live sensor's
     * file is never more than a second behind (a failure stays sticky and
     * is reported at the end). */
    if (mono >= r->next_flush_us) {
        outputs_flush(r->out);
        r->next_flush_us = mono + 1000000u;
    }
    if (stats_requested) {
        stats_requested = 0;
        struct pipeline_stats st;
        struct capture_stats cs;
        pipeline_get_stats(r->pipe, &st);
        capture_stats_sum(r->caps, r->ncaps, &cs);
        stats_print_line(stderr, &st, &cs);
    }
    if (r->opt->stats_interval && mono >= r->next_stats_us) {
        struct pipeline_stats st;
        struct capture_stats cs;
        pipeline_get_stats(r->pipe, &st);
        capture_stats_sum(r->caps, r->ncaps, &cs);
        if (r->next_stats_us && !r->opt->quiet) stats_print_line(stderr, &st, &cs);
        publish_stats(r->out, &st, &cs, pipeline_workers(r->pipe));
        r->next_stats_us = mono + (uint64_t)r->opt->stats_interval * 1000000u;
    }
    if (r->progress && mono >= r->next_progress_us) {
        struct pipeline_stats st;
        pipeline_get_stats(r->pipe, &st);
        fprintf(stderr, "\rvigie: %5.1f%%  %llu packets, %u active flows ",
                100.0 * capture_progress(r->caps[0]), (unsigned long long)st.packets,
                st.flows_active);
        r->next_progress_us = mono + 500000u;
    }
}

/* Loads the config (or the built-in defaults); returns an exit status or
 * -1 to go on. */
static int load_config(const struct options *opt, struct config *cfg)
{
    static char err[16384];
    if (!opt->config_path) {
        config_defaults(cfg);
        if (opt->check_config) printf("vigie: no config file: built-in defaults\n");
        return opt->check_config ? 0 : -1;
    }
    int n = config_load(cfg, opt->config_path, err, sizeof(err));
    if (n != 0) {
        fprintf(stderr, "%s\nvigie: %d error%s in %s\n", err, n, n == 1 ? "" : "s",
                opt->config_path);
        return EXIT_USAGE;
    }
    if (opt->check_config) {
        printf("vigie: %s: configuration OK\n", opt->config_path);
        config_free(cfg);
        return 0;
    }
    return -1;
}

/* Opens the capture into caps: a file, one live handle, or with several
 * workers one live handle per worker in a fanout group (one handle for
 * them all if the interface has no fanout). Returns the handles, 0 on
 * failure (*status set). */
static int open_capture(const struct options *opt, const struct config *cfg, unsigned workers,
                        struct capture **caps, int *status)
{
    char err[1024];
    const char *bpf = opt->bpf[0] ? opt->bpf : cfg->capture.bpf;
    const char *iface = opt->interface ? opt->interface : cfg->capture.interface;
    struct capture *cap = NULL;
    if (opt->read_path) {
        /* Reading a file is a batch job: its threads (this one, the file's
         * read-ahead, the workers, all made from here on) keep their CPU
         * until they wait, rather than a thread just woken taking it from
         * the one running. On 2 CPUs, 2 workers ran 4% faster. */
        struct sched_param sp = {0};
        sched_setscheduler(0, SCHED_BATCH, &sp);
        cap = capture_open_file(opt->read_path, bpf, err, sizeof(err));
    } else if (*iface && workers > 1) {
        struct capture_live_opts lo = {cfg->capture.snaplen, cfg->capture.buffer_mb, bpf, 0};
        if (capture_open_fanout(iface, &lo, workers, caps, err, sizeof(err)) == 0)
            return (int)workers;
        fprintf(stderr, "vigie: %s; one capture handle feeds the %u workers\n", err, workers);
    }
    if (!opt->read_path && *iface && !cap)
        cap = capture_open_live(iface, cfg->capture.snaplen, cfg->capture.buffer_mb, bpf, err,
                                sizeof(err));
    else if (!opt->read_path && !*iface) {
        fprintf(stderr, "vigie: nothing to capture: give -i IFACE or -r FILE (see --help)\n");
        *status = EXIT_USAGE;
        return 0;
    }
    if (!cap) {
        fprintf(stderr, "vigie: %s\n", err);
        /* A link type or filter we refuse is a usage error, not a failure. */
        *status = strstr(err, "unsupported link type") || strstr(err, "BPF filter") ? EXIT_USAGE
                                                                                    : EXIT_RUNTIME;
        return 0;
    }
    caps[0] = cap;
    return 1;
}

static void close_captures(struct capture **caps, int n)
{
    for (int i = 0; i < n; i++)
        capture_close(caps[i]);
}

/* The outputs the config and the command line ask for (output.h). */
static struct outputs *open_outputs(const struct options *opt, const struct config *cfg)
{
    char err[1024];
    struct output_options oo = {
        .cfg = cfg,
        .alerts_path = opt->alerts_path,
        .flows_path = opt->flows_path,
        .redis_url = opt->redis_url,
        .no_redis = opt->no_redis,
        .stats_interval = opt->stats_interval,
    };
    struct passwd *pw = opt->user && geteuid() == 0 ? getpwnam(opt->user) : NULL;
    if (pw) {
        oo.owner_set = 1;
        oo.owner_uid = pw->pw_uid;
        oo.owner_gid = pw->pw_gid;
    }
    struct outputs *out = outputs_open(&oo, err, sizeof(err));
    if (!out) fprintf(stderr, "vigie: %s\n", err);
    return out;
}

/* --workers, else the config's; 0 is one per online CPU. */
static unsigned workers_wanted(const struct options *opt, const struct config *cfg)
{
    int n = opt->workers >= 0 ? opt->workers : cfg->capture.workers;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (int)cpus : 1;
    }
    return n > 64 ? 64u : (unsigned)n;
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[1024] = "";
    memset(&opt, 0, sizeof(opt));
    opt.workers = -1;
    if (parse_args(argc, argv, &opt) != 0) return EXIT_USAGE;
    /* A user that does not exist is a usage error, known before anything opens. */
    if (opt.user && !getpwnam(opt.user)) {
        fprintf(stderr, "vigie: -u %s: no such user\n", opt.user);
        return EXIT_USAGE;
    }

    struct config *cfg = malloc(sizeof(*cfg));
    if (!cfg) return EXIT_RUNTIME;
    int status = load_config(&opt, cfg);
    if (status >= 0) {
        free(cfg);
        return status;
    }
    unsigned workers = workers_wanted(&opt, cfg);
    struct capture *caps[64];
    int ncaps = open_capture(&opt, cfg, workers, caps, &status);
    if (!ncaps) {
        config_free(cfg);
        free(cfg);
        return status;
    }
    struct capture *cap = caps[0];
    if (opt.replay > 0) capture_set_replay(cap, opt.replay);

    struct pipeline_options po = {
        .learn = opt.learn_path != NULL,
        .live = capture_is_live(cap),
        .workers = workers,
    };
    struct pipeline *pipe = pipeline_create(cfg, &po, err, sizeof(err));
    if (!pipe) {
        fprintf(stderr, "vigie: %s\n", err);
        close_captures(caps, ncaps);
        config_free(cfg);
        free(cfg);
        return EXIT_RUNTIME;
    }
    pipeline_set_datalink(pipe, capture_datalink(cap));
    struct outputs *out = open_outputs(&opt, cfg);
    if (!out || (opt.user && drop_privileges(opt.user) != 0)) {
        outputs_close(out, 0);
        pipeline_destroy(pipe);
        close_captures(caps, ncaps);
        config_free(cfg);
        free(cfg);
        return EXIT_RUNTIME;
    }
    pipeline_set_outputs(pipe, out);
    if (opt.verbose)
        fprintf(stderr, "vigie: reading %s (link type %s)\n",
                opt.read_path ? opt.read_path : "interface", capture_datalink_name(cap));

    for (int i = 0; i < ncaps; i++)
        running_caps[i] = caps[i];
    n_running = ncaps;
    install_signals();
    struct run run = {
        .pipe = pipe, .caps = caps, .ncaps = ncaps, .opt = &opt, .cfg = cfg, .out = out};
    run.progress =
        !opt.quiet && !capture_is_live(cap) && isatty(STDERR_FILENO) && capture_progress(cap) >= 0;
    uint64_t t0 = now_us(CLOCK_MONOTONIC);
    int rc = ncaps > 1
                 ? pipeline_run_live(pipe, caps, (unsigned)ncaps, on_tick, &run, err, sizeof(err))
                 : capture_run(cap, pipeline_packet, pipe, on_tick, &run, err, sizeof(err));
    if (run.progress) fprintf(stderr, "\r\033[K");
    if (rc != 0) fprintf(stderr, "vigie: %s\n", err);

    /* Every flow still open ends as Suricata's do at shutdown, whether the
     * file ended or a live sensor was stopped ("forced" is an eviction). */
    if (pipeline_finish(pipe, FLOW_END_EOF) != 0) {
        fprintf(stderr, "vigie: writing output files failed\n");
        rc = -1;
    }
    if (opt.learn_path &&
        pipeline_write_learned(pipe, opt.learn_path, opt.read_path ? opt.read_path : "live capture",
                               err, sizeof(err)) != 0) {
        fprintf(stderr, "vigie: --learn: %s\n", err);
        rc = -1;
    }
    double secs = (double)(now_us(CLOCK_MONOTONIC) - t0) / 1e6;
    struct pipeline_stats st;
    struct capture_stats cs;
    pipeline_get_stats(pipe, &st);
    capture_stats_sum(caps, ncaps, &cs);
    publish_stats(out, &st, &cs, pipeline_workers(pipe));
    outputs_close(out, 1);
    stats_print_summary(stderr, &st, &cs, secs);

    n_running = 0;
    pipeline_stop(pipe);
    close_captures(caps, ncaps);
    if (FREE_AT_EXIT) {
        pipeline_destroy(pipe);
        config_free(run.cfg);
        free(run.cfg);
    }
    return rc == 0 ? 0 : EXIT_RUNTIME;
}
