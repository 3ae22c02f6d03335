/* command_class.c - one 256-entry table of octet classes for the command, parameter and
 * address parsers: one load and one AND per octet instead of a chain of comparisons.
 *
 * Each entry is computed from the ABNF's own definition by the macros below, at compile
 * time, so the table cannot drift from the grammar it stands for. Octets >= 0x80 are in
 * no class: the parsers handle UTF-8 (RFC 6531) on their own. */
#include <stdint.h>

#include "parse_util.h"

/* RFC 5234 DIGIT and ALPHA. */
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define IS_LETDIG(c) (IS_DIGIT(c) || IS_ALPHA(c))
/* RFC 5322 3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~". */
#define IS_ATEXT(c)                                                                                \
  (IS_LETDIG(c) || (c) == '!' || ((c) >= '#' && (c) <= '\'') || (c) == '*' || (c) == '+' ||        \
   (c) == '-' || (c) == '/' || (c) == '=' || (c) == '?' || ((c) >= '^' && (c) <= '`') ||           \
   ((c) >= '{' && (c) <= '~'))
/* RFC 5321 4.1.2 esmtp-value = 1*(%d33-60 / %d62-126). */
#define IS_VALUE(c) ((c) >= 33 && (c) <= 126 && (c) != '=')
/* RFC 3461 4 xchar: "!".."~" except "+" and "=". */
#define IS_XCHAR(c) (IS_VALUE(c) && (c) != '+')
/* RFC 4422 3.1 SASL mechanism characters (upper and lower case, see command.c). */
#define IS_MECH(c) (IS_LETDIG(c) || (c) == '-' || (c) == '_')
/* RFC 4954 4 initial-response: base64 (RFC 4648 4) or "=". */
#define IS_B64(c) (IS_LETDIG(c) || (c) == '+' || (c) == '/' || (c) == '=')
/* RFC 3461 4 hexchar digits: DIGIT / "A"-"F", upper case only. */
#define IS_XHEX(c) (IS_DIGIT(c) || ((c) >= 'A' && (c) <= 'F'))

/* The class bits of one octet. */
#define CLS(c)                                                                                     \
  (uint16_t)((IS_DIGIT(c) ? PU_C_DIGIT : 0u) | (IS_LETDIG(c) ? PU_C_LETDIG : 0u) |                 \
             (IS_LETDIG(c) || (c) == '-' ? PU_C_LDH : 0u) | (IS_ATEXT(c) ? PU_C_ATEXT : 0u) |      \
             (IS_VALUE(c) ? PU_C_VALUE : 0u) | (IS_XCHAR(c) ? PU_C_XCHAR : 0u) |                   \
             (IS_MECH(c) ? PU_C_MECH : 0u) | (IS_B64(c) ? PU_C_B64 : 0u) |                         \
             (IS_XHEX(c) ? PU_C_XHEX : 0u))
#define CLS4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define CLS16(c) CLS4(c), CLS4((c) + 4), CLS4((c) + 8), CLS4((c) + 12)
#define CLS64(c) CLS16(c), CLS16((c) + 16), CLS16((c) + 32), CLS16((c) + 48)

const uint16_t pu_class[256] = {CLS64(0), CLS64(64), CLS64(128), CLS64(192)};
