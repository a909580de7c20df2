/*
 * tokens.c
 *		Random secrets for invitations: 32 bytes from the operating system's
 *		strong random source, as 64 hexadecimal characters. Only their hash is
 *		ever stored.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#define TOKEN_BYTES 32

PG_FUNCTION_INFO_V1(tokens_random);
Datum
tokens_random(PG_FUNCTION_ARGS)
{
	uint8		bytes[TOKEN_BYTES];
	char		hex[TOKEN_BYTES * 2 + 1];
	static const char digits[] = "0123456789abcdef";

	if (!pg_strong_random(bytes, TOKEN_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random invitation token")));
	for (int i = 0; i < TOKEN_BYTES; i++)
	{
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[TOKEN_BYTES * 2] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
