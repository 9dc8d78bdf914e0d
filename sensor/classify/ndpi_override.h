/* vigie's copies of two nDPI 4.2 functions, the loop over the protocol
 * dissectors and the match of an address in nDPI's IP lists, and one tree
 * of those lists for every module (see ndpi_override.c for why). */
#ifndef VIGIE_NDPI_OVERRIDE_H
#define VIGIE_NDPI_OVERRIDE_H

struct ndpi_detection_module_struct;

/* Whether vigie's copies run (1) or libndpi's own (0): vigie's only with
 * the library release vigie was built against, whose module layout they
 * read (checked on mod, a module made and finalized; every module must
 * be, before its first packet). */
int ndpi_override_check(struct ndpi_detection_module_struct *mod);

/* A module for vigie's classifier: every protocol on, finalized, checked
 * (ndpi_override_check); past the first, it reads the first one's tree of
 * nDPI's IP lists instead of making its own (ndpi_override.c). NULL if
 * nDPI fails. ndpi_override_module_free ends it (never
 * ndpi_exit_detection_module, which would free the shared tree). */
struct ndpi_detection_module_struct *ndpi_override_module_new(void);
void ndpi_override_module_free(struct ndpi_detection_module_struct *mod);

/* Tests: 0 makes libndpi's own run, 1 vigie's again. */
void ndpi_override_use(int vigie_copy);

#endif
