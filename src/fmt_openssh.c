/* OpenSSH public-key lines ("type base64 comment"), including authorized_keys
 * lines with options before the type, as sshd(8) AUTHORIZED_KEYS FILE FORMAT. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"

#define IS_BLANK(c)	((c) == ' ' || (c) == '\t')

/* Length of the token at s: up to the first blank. */
static size_t
token_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && !IS_BLANK(s[i]); i++)
		;
	return i;
}

static size_t
skip_blanks(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && IS_BLANK(s[i]); i++)
		;
	return i;
}

/*
 * Options end at the first blank outside double quotes; inside quotes \" is
 * a literal quote (sshd's rule, and ssh-keygen -l skips them the same way).
 */
static int
options_len(const char *s, size_t len, size_t *olenp)
{
	size_t i;
	int quoted = 0;

	*olenp = 0;
	for (i = 0; i < len && (quoted || !IS_BLANK(s[i])); i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
	}
	if (quoted)
		return hk_errf(HK_ERR_OPTIONS, "unterminated quoted string in options");
	*olenp = i;
	return 0;
}

static int
is_type_name(const char *s, size_t len)
{
	char name[64];

	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, s, len);
	name[len] = '\0';
	/* Only wire names: "rsa" could be an option word. */
	return hk_key_type_from_name(name, NULL) != HK_KEY_UNSPEC &&
	    strchr(name, '-') != NULL;
}

int
hk_fmt_openssh_parse(const char *line, size_t len, struct hk_key **keyp,
    char **optionsp)
{
	const char *type, *b64, *opts = NULL;
	size_t o = 0, tlen, blen, olen = 0;
	struct hk_buf *blob = NULL;
	struct hk_key *k = NULL;
	char *options = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (optionsp != NULL)
		*optionsp = NULL;
	if (keyp == NULL || (line == NULL && len != 0))
		return HK_ERR_INVALID_ARGUMENT;
	/* The line's own terminator is not part of the comment. */
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	o += skip_blanks(line, len);
	tlen = token_len(line + o, len - o);
	if (tlen == 0)
		return hk_errf(HK_ERR_FORMAT_EMPTY, "empty line");
	if (!is_type_name(line + o, tlen)) {
		if (tlen > 21 && memcmp(line + o + tlen - 21, "-cert-v01@openssh.com", 21) == 0)
			return hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "OpenSSH certificates "
			    "(%.*s) are not supported", (int)(tlen > 64 ? 64 : tlen), line + o);
		opts = line + o;
		if ((r = options_len(opts, len - o, &olen)) != 0)
			return r;
		o += olen;
		o += skip_blanks(line + o, len - o);
		tlen = token_len(line + o, len - o);
		if (tlen == 0)
			return hk_errf(HK_ERR_FORMAT_UNKNOWN, "no key type after \"%.*s\"",
			    (int)(olen > 40 ? 40 : olen), opts);
		if (!is_type_name(line + o, tlen))
			return hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "unknown key type \"%.*s\"",
			    (int)(tlen > 40 ? 40 : tlen), line + o);
	}
	type = line + o;
	o += tlen;
	o += skip_blanks(line + o, len - o);
	b64 = line + o;
	if ((blen = token_len(b64, len - o)) == 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "no key data after \"%.*s\"",
		    (int)tlen, type);
	o += blen;
	if ((blob = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_b64_decode(blob, b64, blen, 0)) != 0) {
		r = hk_errf(r, "key data is not valid base64");
		goto out;
	}
	if ((r = hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), &k)) != 0)
		goto out;	/* detail set by the key model */
	if (strlen(hk_key_type_name(k)) != tlen ||
	    memcmp(hk_key_type_name(k), type, tlen) != 0) {
		r = hk_errf(HK_ERR_KEY_TYPE_MISMATCH, "line says \"%.*s\" but the "
		    "key is %s", (int)tlen, type, hk_key_type_name(k));
		goto out;
	}
	/*
	 * The comment is the rest of the line, inner and trailing blanks kept:
	 * ssh-keygen prints it byte for byte.
	 */
	o += skip_blanks(line + o, len - o);
	if (o < len && (r = hk_key_set_comment_len(k, line + o, len - o)) != 0)
		goto out;
	if (opts != NULL && optionsp != NULL &&
	    (options = strndup(opts, olen)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	*keyp = k;
	k = NULL;
	if (optionsp != NULL)
		*optionsp = options;
	r = 0;
 out:
	hk_key_free(k);
	hk_buf_free(blob);
	return r;
}

int
hk_fmt_openssh_write(const struct hk_key *key, struct hk_buf *out)
{
	const char *comment;
	int r;

	if (key == NULL || out == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((r = hk_buf_putf(out, "%s ", hk_key_type_name(key))) != 0 ||
	    (r = hk_b64_encode(out, hk_key_blob_ptr(key), hk_key_blob_len(key), 0)) != 0)
		return r;
	if ((comment = hk_key_comment(key)) != NULL && *comment != '\0' &&
	    (r = hk_buf_putf(out, " %s", comment)) != 0)
		return r;
	return hk_buf_put_u8(out, '\n');
}
