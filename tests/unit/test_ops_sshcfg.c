/* Unit tests for the ssh_config editor: the hwkey block inserted where ssh
 * gives it precedence, replaced in place, read back; every other byte kept;
 * Includes and competing Host blocks reported; files edited through links. */
#include <sys/stat.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "file.h"
#include "ops_sshcfg.h"

static const struct hk_sshcfg_host web = {
	.host = "web", .hostname = "192.0.2.7", .user = "alice", .port = 2222,
	.pkcs11_provider = "/usr/lib/softhsm/libsofthsm2.so",
	.identity_file = "/home/alice/.ssh/hwkey-web.pub",
	.token = "pkcs11:token=alice", .key = "ssh key",
};

static char *
edit(const char *in, const struct hk_sshcfg_host *h, struct hk_sshcfg_result *res)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(hk_sshcfg_edit(in, strlen(in), h, &out, &len, res), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static void
test_new_file(void **state)
{
	struct hk_sshcfg_result res;
	char *out;

	(void)state;
	out = edit("", &web, &res);
	assert_string_equal(out,
	    "# hwkey:begin web (written by hwkey ssh-config; replaced on its next run)\n"
	    "Host web\n"
	    "\tHostName 192.0.2.7\n"
	    "\tUser alice\n"
	    "\tPort 2222\n"
	    "\tPKCS11Provider /usr/lib/softhsm/libsofthsm2.so\n"
	    "\tIdentityFile /home/alice/.ssh/hwkey-web.pub\n"
	    "\tIdentitiesOnly yes\n"
	    "\t# hwkey-token pkcs11:token=alice\n"
	    "\t# hwkey-key ssh key\n"
	    "# hwkey:end web\n");
	assert_int_equal(res.replaced, 0);
	assert_int_equal(res.changed, 1);
	assert_int_equal(res.line, 1);
	assert_int_equal(res.nnotes, 0);
	free(out);
}

/* Global options stay global: the block goes before the first Host line. */
static void
test_insert_before_first_host(void **state)
{
	const char *in = "# mine\nServerAliveInterval 30\n\nHost *\n\tUser bob\n";
	struct hk_sshcfg_result res;
	char *out;
	size_t pre = strlen("# mine\nServerAliveInterval 30\n\n");

	(void)state;
	out = edit(in, &web, &res);
	assert_memory_equal(out, in, pre);
	assert_true(strncmp(out + pre, "# hwkey:begin web ", 18) == 0);
	/* The user's Host * follows, unchanged, after one blank line. */
	assert_string_equal(out + strlen(out) - strlen("\nHost *\n\tUser bob\n"),
	    "\nHost *\n\tUser bob\n");
	assert_int_equal(res.line, 4);
	assert_int_equal(res.nnotes, 1);
	assert_int_equal(res.notes[0].kind, HK_SSHCFG_NOTE_HOST_AFTER);
	assert_int_equal(res.notes[0].line, 4);
	assert_string_equal(res.notes[0].text, "Host *");
	free(out);
}

/* No Host at all: appended, the missing final newline added, nothing else touched. */
static void
test_append_no_newline(void **state)
{
	const char *in = "Compression yes";
	struct hk_sshcfg_result res;
	char *out;

	(void)state;
	out = edit(in, &web, &res);
	assert_true(strncmp(out, "Compression yes\n\n# hwkey:begin web ", 35) == 0);
	assert_int_equal(res.line, 3);
	free(out);
}

/* Replaced in place; the bytes before and after (CRLF, tabs, odd spacing) are kept. */
static void
test_replace_in_place_idempotent(void **state)
{
	const char *head = "Host a\r\n  User  x \r\n\n", *tail = "\nHost b\n\tPort 1\n# end";
	struct hk_sshcfg_host other = web;
	struct hk_sshcfg_result res;
	char *first, *in, *second, *third;
	size_t hl = strlen(head), tl = strlen(tail);

	(void)state;
	assert_non_null(in = malloc(hl + tl + 1));
	memcpy(in, head, hl);
	memcpy(in + hl, tail, tl + 1);
	first = edit(in, &web, &res);
	/* Inserted before "Host a" (the first Host line). */
	assert_true(strncmp(first, "# hwkey:begin web", 17) == 0);
	second = edit(first, &web, &res);
	assert_string_equal(first, second);
	assert_int_equal(res.replaced, 1);
	assert_int_equal(res.changed, 0);
	other.hostname = "198.51.100.1";
	other.port = 0;
	third = edit(second, &other, &res);
	assert_int_equal(res.replaced, 1);
	assert_int_equal(res.changed, 1);
	assert_non_null(strstr(third, "HostName 198.51.100.1\n"));
	assert_null(strstr(third, "192.0.2.7"));
	assert_null(strstr(third, "Port 2222"));
	/* Everything after the block is the original, byte for byte. */
	assert_string_equal(strstr(third, "# hwkey:end web\n") + 16, strstr(first,
	    "# hwkey:end web\n") + 16);
	free(in);
	free(first);
	free(second);
	free(third);
}

/* Two hosts: each block is its own; editing one leaves the other as it was. */
static void
test_two_hosts(void **state)
{
	struct hk_sshcfg_host db = web;
	struct hk_sshcfg_entry *ent = NULL;
	struct hk_sshcfg_result res;
	char *a, *b, *c;

	(void)state;
	db.host = "db";
	db.key = "01ab";
	a = edit("", &web, &res);
	b = edit(a, &db, &res);
	assert_int_equal(res.replaced, 0);
	c = edit(b, &web, &res);
	assert_int_equal(res.changed, 0);
	assert_int_equal(hk_sshcfg_lookup(c, strlen(c), "db", &ent), 0);
	assert_string_equal(ent->key, "01ab");
	assert_string_equal(ent->token, "pkcs11:token=alice");
	assert_string_equal(ent->identity_file, "/home/alice/.ssh/hwkey-web.pub");
	assert_string_equal(ent->port, "2222");
	assert_null(ent->sk_file);
	assert_null(ent->sk_device);
	hk_sshcfg_entry_free(ent);
	free(a);
	free(b);
	free(c);
}

/* Includes, Match and a Host pattern before hwkey's block are reported. */
static void
test_notes(void **state)
{
	const char *in = "Include ~/.ssh/conf.d/*\nHost w* !www\n\tUser z\n"
	    "Match host web\n\tPort 1\nHost web2 !web\n";
	struct hk_sshcfg_result res;
	char *out, *again;

	(void)state;
	out = edit(in, &web, &res);
	assert_int_equal(res.nnotes, 3);
	assert_int_equal(res.notes[0].kind, HK_SSHCFG_NOTE_INCLUDE);
	assert_int_equal(res.notes[0].line, 1);
	assert_string_equal(res.notes[0].text, "Include ~/.ssh/conf.d/*");
	/* Inserted before "Host w* !www": nothing shadows it yet. */
	assert_int_equal(res.notes[1].kind, HK_SSHCFG_NOTE_HOST_AFTER);
	assert_int_equal(res.notes[2].kind, HK_SSHCFG_NOTE_MATCH);
	/* A block that is already after a matching Host: that one wins. */
	free(out);
	in = "Host *\n\tUser root\n# hwkey:begin web\nHost web\n# hwkey:end web\n";
	again = edit(in, &web, &res);
	assert_int_equal(res.replaced, 1);
	assert_int_equal(res.nnotes, 1);
	assert_int_equal(res.notes[0].kind, HK_SSHCFG_NOTE_HOST_BEFORE);
	assert_int_equal(res.notes[0].line, 1);
	assert_true(strncmp(again, "Host *\n\tUser root\n# hwkey:begin web ", 35) == 0);
	free(again);
}

static void
test_refusals(void **state)
{
	struct hk_sshcfg_host h = web;
	struct hk_sshcfg_entry *ent = NULL;
	char *out = NULL;
	size_t len;
	const char *broken = "Host a\n# hwkey:begin web\nHost web\n";

	(void)state;
	assert_int_equal(hk_sshcfg_edit(broken, strlen(broken), &web, &out, &len, NULL),
	    HK_ERR_FORMAT_MALFORMED);
	assert_null(out);
	assert_non_null(strstr(hk_err_detail(), "line 2"));
	assert_int_equal(hk_sshcfg_lookup(broken, strlen(broken), "web", &ent),
	    HK_ERR_FORMAT_MALFORMED);
	assert_int_equal(hk_sshcfg_lookup("Host web\n", 9, "web", &ent), HK_ERR_NOT_FOUND);
	assert_null(ent);
	h.host = "*.example";
	assert_int_equal(hk_sshcfg_edit("", 0, &h, &out, &len, NULL), HK_ERR_INVALID_ARGUMENT);
	h.host = "-oProxyCommand=x";
	assert_int_equal(hk_sshcfg_edit("", 0, &h, &out, &len, NULL), HK_ERR_INVALID_ARGUMENT);
	h = web;
	h.user = "a\nProxyCommand x";
	assert_int_equal(hk_sshcfg_edit("", 0, &h, &out, &len, NULL), HK_ERR_INVALID_ARGUMENT);
	h = web;
	h.token = "pkcs11:token=a\nProxyCommand x";
	assert_int_equal(hk_sshcfg_edit("", 0, &h, &out, &len, NULL), HK_ERR_INVALID_ARGUMENT);
	assert_null(out);
}

/* Paths with blanks are quoted and '%' doubled in IdentityFile; read back as given. */
static void
test_quoting_and_sk(void **state)
{
	struct hk_sshcfg_host h = {
		.host = "lab", .hostname = "127.0.0.1",
		.identity_file = "/home/a b/100%/id_ecdsa_sk",
		.sk_provider = "/opt/hw key/libhwkey-sk.so",
		.sk_file = "/home/a b/100%/id_ecdsa_sk",
		.sk_device = "fido:unix:/run/a b/fido.sock",
	};
	struct hk_sshcfg_entry *ent = NULL;
	struct hk_sshcfg_result res;
	char *out;

	(void)state;
	out = edit("", &h, &res);
	assert_non_null(strstr(out, "\tIdentityFile \"/home/a b/100%%/id_ecdsa_sk\"\n"));
	assert_non_null(strstr(out, "\tSecurityKeyProvider \"/opt/hw key/libhwkey-sk.so\"\n"));
	assert_null(strstr(out, "PKCS11Provider"));
	assert_int_equal(hk_sshcfg_lookup(out, strlen(out), "lab", &ent), 0);
	assert_string_equal(ent->identity_file, "/home/a b/100%/id_ecdsa_sk");
	assert_string_equal(ent->sk_provider, "/opt/hw key/libhwkey-sk.so");
	assert_string_equal(ent->sk_file, "/home/a b/100%/id_ecdsa_sk");
	/* The device is a comment, after the key-handle file's, and not mistaken for it. */
	assert_non_null(strstr(out, "\t# hwkey-sk /home/a b/100%/id_ecdsa_sk\n"
	    "\t# hwkey-sk-device fido:unix:/run/a b/fido.sock\n"));
	assert_string_equal(ent->sk_device, "fido:unix:/run/a b/fido.sock");
	assert_null(ent->token);
	hk_sshcfg_entry_free(ent);
	free(out);
}

/* The file: created 0600 in a new 0700 directory, one backup, a symlink kept. */
static void
test_update_file(void **state)
{
	char dir[] = "/tmp/hk-test-sshcfg.XXXXXX", path[PATH_MAX], real[PATH_MAX];
	char bak[PATH_MAX + 16], cmd[PATH_MAX + 16], *data = NULL;
	struct hk_sshcfg_result res;
	struct hk_error err;
	struct stat st;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.ssh/config", dir);
	assert_int_equal(hk_sshcfg_update(path, &web, &res, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(real, sizeof(real), "%s/.ssh", dir);
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_string_equal(res.backup, "");

	/* Through a symlink: the target is edited, the link stays a link. */
	snprintf(real, sizeof(real), "%s/dotfiles-config", dir);
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(chmod(real, 0644), 0);
	assert_int_equal(symlink(real, path), 0);
	assert_int_equal(hk_file_write_atomic(real, "Host old\n", 9, 0644), 0);
	assert_int_equal(hk_sshcfg_update(path, &web, &res, &err), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(res.path, real);
	snprintf(bak, sizeof(bak), "%s.hwkey-backup", real);
	assert_string_equal(res.backup, bak);
	assert_int_equal(hk_file_read(bak, 1 << 20, &data, &len), 0);
	assert_string_equal(data, "Host old\n");
	free(data);
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Unchanged: not rewritten, the backup stays the previous one. */
	assert_int_equal(hk_sshcfg_update(path, &web, &res, &err), 0);
	assert_int_equal(res.changed, 0);
	assert_int_equal(hk_file_read(bak, 1 << 20, &data, &len), 0);
	assert_string_equal(data, "Host old\n");
	free(data);

	/* A malformed file is refused with its name and line, and left alone. */
	assert_int_equal(hk_file_write_atomic(real, "# hwkey:begin web\n", 18, 0600), 0);
	assert_int_equal(hk_sshcfg_update(path, &web, &res, &err), HK_ERR_FORMAT_MALFORMED);
	assert_non_null(strstr(err.message, real));
	assert_non_null(strstr(err.message, "line 1"));
	assert_int_equal(hk_file_read(real, 1 << 20, &data, &len), 0);
	assert_string_equal(data, "# hwkey:begin web\n");
	free(data);

	/* A dangling link is refused, not replaced by a file. */
	assert_int_equal(unlink(path), 0);
	snprintf(real, sizeof(real), "%s/gone", dir);
	assert_int_equal(symlink(real, path), 0);
	assert_int_equal(hk_sshcfg_update(path, &web, &res, &err), HK_ERR_IO);
	assert_non_null(strstr(err.message, "a symlink to a file that does not exist"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_file),
		cmocka_unit_test(test_insert_before_first_host),
		cmocka_unit_test(test_append_no_newline),
		cmocka_unit_test(test_replace_in_place_idempotent),
		cmocka_unit_test(test_two_hosts),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_quoting_and_sk),
		cmocka_unit_test(test_update_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
