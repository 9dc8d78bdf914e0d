/* vigie's copies of two nDPI 4.2 functions, the loop over the protocol
 * dissectors and the match of an address in nDPI's IP lists (see
 * ndpi_override.c for why). */
#ifndef VIGIE_NDPI_OVERRIDE_H
#define VIGIE_NDPI_OVERRIDE_H

struct ndpi_detection_module_struct;

/* Whether vigie's copies run (1) or libndpi's own (0): vigie's only with
 * the library release vigie was built against, whose module layout they
 * read (checked on mod, a module made and finalized; every module must
 * be, before its first packet). */
int ndpi_override_check(struct ndpi_detection_module_struct *mod);

/* Tests: 0 makes libndpi's own run, 1 vigie's again. */
void ndpi_override_use(int vigie_copy);

#endif
