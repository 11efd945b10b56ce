/* Preloaded into Dovecot by bench/auth_load.py: counts the full PBKDF2
   computations a login costs, whoever makes them (the module, the DJANGO
   scheme under Dovecot's sql driver, in any auth process). Each call
   appends one byte to $MR_PBKDF2_COUNT (O_APPEND: atomic across
   processes), so the file's size is the count. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

typedef int pbkdf2_fn(const char *, int, const unsigned char *, int, int,
		      const void *, int, unsigned char *);

int PKCS5_PBKDF2_HMAC(const char *pass, int passlen, const unsigned char *salt,
		      int saltlen, int iter, const void *digest, int keylen,
		      unsigned char *out)
{
	static pbkdf2_fn *next;
	const char *path = getenv("MR_PBKDF2_COUNT");

	if (next == NULL)
		next = (pbkdf2_fn *)dlsym(RTLD_NEXT, "PKCS5_PBKDF2_HMAC");
	if (path != NULL) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			      0600);

		if (fd >= 0) {
			if (write(fd, "x", 1) != 1)
				abort();
			close(fd);
		}
	}
	return next(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}
