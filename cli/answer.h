#ifndef ANSWER_H
#define ANSWER_H

#include "mr-account.h"
#include "mr-config.h"

/* The fields Dovecot gets for an account (the module's and
   checkpassword's one answer, mr_dovecot_answer_make()), one per line as
   "name<TAB>value", each import of userdb_import on a line of its own:
   what lookup and login print. -1 (after "refused: <why>") when no
   answer can be made, where Dovecot would get a temporary failure (a
   name no safe mail path can be made of). */
int answer_print(const struct mr_config *config,
		 const struct mr_account *account);

#endif
