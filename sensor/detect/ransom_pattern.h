/* The re-extension pattern of smb_ransomware, per client: an original
 * file opened (an existing file: a CREATE with FILE_OPEN), its name written
 * back under a new extension ("a.docx" -> "a.docx.enc" or "a.enc": a
 * CREATE that makes the file, a WRITE, or a rename's target) and the
 * original deleted or renamed away; or the original rewritten in place and
 * renamed to a new extension. That is a "transformed" file; so many of
 * them from one client within a window is encryption, however slow.
 *
 * What keeps look-alikes out: a file the client made itself (a temporary
 * file, a download) is never an original; a copy that keeps its original
 * is not a transformation; a rename that keeps the extension, or one
 * without a write, is not either; and an original whose name comes back
 * (the "save to a temporary file, swap the names" of editors and sync
 * tools) is restored, its count withdrawn.
 *
 * Memory is fixed: a table of clients (least recently used replaced), each
 * with the names it used last (hashes) and the files it transformed. */
#ifndef VIGIE_RANSOM_PATTERN_H
#define VIGIE_RANSOM_PATTERN_H

#include <stdint.h>

#include "dissect.h"

#define RANSOM_PATTERN_MAX 128u /* transformed files counted per client: the largest threshold */
#define RANSOM_PATTERN_NAME 128 /* bytes of a name kept as evidence */

struct ransom_pattern;

/* Evidence of a burst: how many, how the originals went, two examples. */
struct ransom_pattern_hit {
    uint32_t files;            /* transformed files within the window */
    uint32_t deleted, renamed; /* originals deleted, originals renamed */
    char first_original[RANSOM_PATTERN_NAME], first_new[RANSOM_PATTERN_NAME];
    char last_original[RANSOM_PATTERN_NAME], last_new[RANSOM_PATTERN_NAME];
};

/* NULL: out of memory. */
struct ransom_pattern *ransom_pattern_create(void);
void ransom_pattern_destroy(struct ransom_pattern *p);

/* One SMB file event (EV_SMB_CREATE, _WRITE, _RENAME, _DELETE; others are
 * ignored) of the client at address client. Returns 1, with *hit filled,
 * when it completes a transformed file that makes at least need of them
 * within window_s seconds; the client's burst is then forgotten, so the
 * next hit needs need new files. */
int ransom_pattern_event(struct ransom_pattern *p, const uint8_t client[16],
                         const struct dissect_event *ev, uint64_t now_us, uint32_t need,
                         uint32_t window_s, struct ransom_pattern_hit *hit);

#endif
