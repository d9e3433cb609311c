/* bench_frames.h — the --frames mode: reads batches of events as JSON lines
 * and prints, one hex line per batch, the WebSocket frame the edge sends for
 * that batch (bench_enc.h, i.e. the edge's own encoder). Lets a test check
 * that the bench's frames are the bytes a real edge delivers. */
#ifndef BENCH_FRAMES_H
#define BENCH_FRAMES_H
#include <stdio.h>

/* One input line: {"room":R,"epoch":E,"events":[EV,...]} with EV
 * {"kind":"comment"|"gift"|"like","seq":N,"ts_ms":N,"user_id":S,
 *  "nick":S?,"client_msg_id":S?,"text":S,"color":N,"mode":"scroll"|"top"|
 *  "bottom","size":N,"gift_id":S,"gift_name":S,"count":N,"unit_value":N,
 *  "flags":[S..]?,"risk":S?} — the fields as they were published, plus the
 * seq and ts_ms the sequencer gave. fmt 0 json / 1 pb, zstd 0/1.
 * Returns 0, or -1 with a message on err (bad line, bad dictionary). */
int bframes_run(FILE *in, FILE *out, int fmt, int zstd, const char *dict_dir, int level, FILE *err);

#endif
