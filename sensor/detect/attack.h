/* MITRE ATT&CK names for the tactic and technique ids vigie reports. */
#ifndef VIGIE_ATTACK_H
#define VIGIE_ATTACK_H

/* Name of a tactic (TA0008) or technique (T1021.002) id; the id itself if unknown. */
const char *attack_name(const char *id);
/* Tactic id of a technique id (first one listed by ATT&CK). */
const char *attack_tactic_of(const char *technique);

#endif
