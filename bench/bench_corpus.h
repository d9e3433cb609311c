/* bench_corpus.h — loads the natural danmaku corpus (JSONL, one message a
 * line: {"v","t","mode","size","color","ts","uhash","text",...}) into memory,
 * grouped by video and ordered by "t" within a video, so that consecutive
 * messages replay one room. Also derives realistic user ids and nicknames. */
#ifndef BENCH_CORPUS_H
#define BENCH_CORPUS_H
#include <stddef.h>
#include <stdint.h>

typedef struct corpus_msg {
    int video;          /* index into corpus.videos */
    double t;           /* seconds into the video */
    int mode;           /* corpus mode: 1-3,6 scroll, 4 bottom, 5 top */
    uint32_t size, color;
    uint32_t uhash;     /* CRC32 of the sender uid */
    char *text;         /* NUL-terminated UTF-8 */
    size_t text_len;
} corpus_msg;

typedef struct corpus_video {
    char *name;         /* "v" field, e.g. "cid927322" */
    size_t first, count;/* range in corpus.msgs */
} corpus_video;

typedef struct corpus {
    corpus_msg *msgs;   size_t nmsgs;
    corpus_video *videos; size_t nvideos;
} corpus;

/* Loads path. Lines that are not valid objects with a string "text" and "v"
 * are skipped (counted in *skipped if non-NULL). Returns 0, or -1 with a
 * message in err if the file cannot be read or holds no message. */
int corpus_load(corpus *c, const char *path, size_t *skipped, char *err, size_t errsz);
void corpus_free(corpus *c);
/* Index of the video named name, or -1. */
int corpus_find_video(const corpus *c, const char *name);

/* Videos held out of dictionary training and used for evaluation (S6). */
extern const char *const corpus_heldout[];
int corpus_is_heldout(const char *video_name);

/* Realistic identity derived from the user hash: user_id "u<decimal>" and a
 * deterministic nickname (CJK or Latin). Write into out (>= 64 bytes). */
void corpus_user_id(uint32_t uhash, char *out, size_t n);
void corpus_nick(uint32_t uhash, char *out, size_t n);
/* Protocol mode name for a corpus mode: "scroll" | "top" | "bottom". */
const char *corpus_mode_name(int mode);
/* Protobuf enum value for a corpus mode (0 scroll, 1 top, 2 bottom). */
int corpus_mode_pb(int mode);

#endif
