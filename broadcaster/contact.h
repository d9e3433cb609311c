/* contact.h — contact-information detector for comment texts: phone numbers
 * (CN mobile, +CC international), WeChat/QQ IDs announced with a keyword,
 * URLs and e-mail addresses, after folding full-width forms, circled digits,
 * ideographic dots and zero-width characters. Pure function, no state: it
 * only says which kinds it found (the caller applies the configured action,
 * by default flagging the event with risk = "contact"). Tuned against
 * danmaku near-misses: laughter (233, 2333333333), times, prices, years. */
#ifndef DM_CONTACT_H
#define DM_CONTACT_H
#include <stddef.h>
#include "dbuf.h"

enum contact_kind {
    CONTACT_PHONE_CN   = 1 << 0,   /* 1[3-9]x mobile: 11 digits, +86/0086 optional */
    CONTACT_PHONE_INTL = 1 << 1,   /* +CC number, 8..15 digits */
    CONTACT_WECHAT     = 1 << 2,   /* 微信/vx/wx/v信/加我 ... + an ID */
    CONTACT_QQ         = 1 << 3,   /* QQ/扣扣/企鹅 ... + 5..11 digits */
    CONTACT_URL        = 1 << 4,   /* http(s)://, www., bare domain.tld */
    CONTACT_EMAIL      = 1 << 5,
};

/* Scans text[0..len) (UTF-8; invalid bytes are ignored) and returns the
 * kinds found as a bit mask (0: nothing). */
unsigned contact_scan(const char *text, size_t len);

/* The risk label for a non-zero mask ("contact"), NULL for 0. */
const char *contact_risk(unsigned kinds);

/* Appends the kind names, comma-separated: phone_cn, phone_intl, wechat,
 * qq, url, email. */
void contact_kinds_str(unsigned kinds, dbuf *out);

#endif
