#ifndef MR_STALWART_H
#define MR_STALWART_H

#include <stdbool.h>

/* What Stalwart can verify of Django's hashes (SPEC 8). The conversion
   itself runs in the database (mailroute_stalwart_secret(), migration
   0004), where Stalwart's queries read it; this is the same table, by
   format name, for reports such as hash-census. */

/* True when a hash of this format (a name mr_password_format() returns)
   converts to a secret Stalwart verifies: pbkdf2_sha256, argon2, bcrypt,
   scrypt, unsalted_sha1, unsalted_md5, crypt. False for bcrypt_sha256,
   pbkdf2_sha1, salted md5/sha1, and for hashes nothing verifies. */
bool mr_stalwart_can_verify(const char *format);

#endif
