/* vigie's copy of nDPI 4.2's ndpi_check_flow_func, the loop over the
 * protocol dissectors (see ndpi_override.c for why). */
#ifndef VIGIE_NDPI_OVERRIDE_H
#define VIGIE_NDPI_OVERRIDE_H

struct ndpi_detection_module_struct;

/* Whether vigie's copy runs (1) or libndpi's own (0): vigie's only with
 * the library release vigie was built against, whose module layout it
 * reads (checked on mod, a module made and finalized). */
int ndpi_override_check(struct ndpi_detection_module_struct *mod);

/* Tests: 0 makes libndpi's own run, 1 vigie's again. */
void ndpi_override_use(int vigie_copy);

#endif
