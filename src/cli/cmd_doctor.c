/* hwkey doctor: preflight of everything login with a hardware key needs —
 * the PKCS#11 modules p11-kit registers (present, loadable, tokens), FIDO2
 * device nodes and their permissions, the OpenSSH client (version, sk and
 * PKCS#11 support), the ssh-agent -P allowlist line for each module, and with
 * --host what ssh will offer that host. Each finding says how to fix it.
 * Exit 0: nothing wrong (warnings allowed); 14: at least one failure. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"
#include "file.h"
#include "ops_skfile.h"
#include "ops_sshcfg.h"

#ifndef HK_P11_MODULE_PATH
#define HK_P11_MODULE_PATH	"/usr/lib/x86_64-linux-gnu/pkcs11"
#endif
#ifndef HK_P11_PACKAGE_MODULES
#define HK_P11_PACKAGE_MODULES	"/usr/share/p11-kit/modules"
#endif
#ifndef HK_P11_SYSTEM_MODULES
#define HK_P11_SYSTEM_MODULES	"/etc/pkcs11/modules"
#endif
/* ssh-agent's default -P allowlist (ssh-agent(1)). */
#define AGENT_ALLOWLIST		"/usr/lib*/*,/usr/local/lib*/*"
#define UDEV_FIX "install hwkey's udev rule: cp udev/70-hwkey.rules /etc/udev/rules.d/ && " \
	"groupadd -r hwkey && usermod -aG hwkey $USER && udevadm control --reload && " \
	"udevadm trigger (then log in again)"

static const struct hk_opt opts[] = {
	{ "config", 'F', 1, "FILE", "the ssh config for --host (default ~/.ssh/config)" },
	{ "host", 0, 1, "HOST", "also check what ssh offers HOST (ssh -G)" },
	{ "json", 0, 0, NULL, "print the findings as JSON" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *config, *host;
	int json;
};

enum status { ST_OK = 0, ST_WARN, ST_FAIL };
static const char *const status_names[] = { "ok", "warn", "fail" };

struct doctor {
	json_t *findings;
	int json;
	int failed;
};

static void
finding(struct doctor *d, const char *check, enum status st, const char *subject,
    const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
finding(struct doctor *d, const char *check, enum status st, const char *subject,
    const char *fix, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st == ST_FAIL)
		d->failed = 1;
	if (d->json) {
		json_array_append_new(d->findings, json_pack("{s:s, s:s, s:s*, s:s, s:s*}",
		    "check", check, "status", status_names[st], "subject", subject,
		    "message", msg, "fix", fix));
		return;
	}
	printf("%-4s  %-8s %s%s%s\n", st == ST_OK ? "ok" : st == ST_WARN ? "WARN" : "FAIL",
	    check, subject != NULL ? subject : "", subject != NULL ? ": " : "", msg);
	if (fix != NULL)
		printf("      %-8s fix: %s\n", "", fix);
}

static int
in_allowlist(const char *path)
{
	return fnmatch("/usr/lib*/*", path, 0) == 0 || fnmatch("/usr/local/lib*/*", path, 0) == 0;
}

/* One registered module: its file, whether hwkey can load it, its tokens. */
static void
check_module(struct doctor *d, const char *conf, const char *name, const char *module)
{
	char path[PATH_MAX], real[PATH_MAX], fix[PATH_MAX * 2 + 128], subject[PATH_MAX + 64];
	struct hk_tokens *ts = NULL;
	struct hk_token_info *const *infos;
	size_t n = 0;
	int r;

	if (module[0] == '/')
		snprintf(path, sizeof(path), "%s", module);
	else
		snprintf(path, sizeof(path), "%s/%s", HK_P11_MODULE_PATH, module);
	snprintf(subject, sizeof(subject), "%s (%s)", name, path);
	if (realpath(path, real) == NULL) {
		snprintf(fix, sizeof(fix), "install the package that provides %s, or remove %s",
		    path, conf);
		finding(d, "module", ST_FAIL, subject, fix, "registered in %s, but the file "
		    "is missing (%s)", conf, strerror(errno));
		return;
	}
	hk_err_clear();
	if ((r = hk_tokens_open(real, &ts)) != 0) {
		struct hk_error e;

		hk_error_take(&e, r);
		snprintf(fix, sizeof(fix), "reinstall the module's package, or remove %s", conf);
		finding(d, "module", ST_FAIL, subject, fix, "cannot be loaded: %s", e.message);
		return;
	}
	if (hk_tokens_list(ts, &infos, &n) != 0)
		n = 0;
	hk_tokens_free(ts);
	finding(d, "module", ST_OK, subject, NULL, "loads; %zu token%s present", n,
	    n == 1 ? "" : "s");
	if (in_allowlist(real))
		finding(d, "agent", ST_OK, subject, NULL, "%s is inside ssh-agent's default "
		    "allowlist (%s)", real, AGENT_ALLOWLIST);
	else {
		snprintf(fix, sizeof(fix), "ssh-agent -P '%s'", real);
		finding(d, "agent", ST_WARN, subject, fix, "%s is outside ssh-agent's default "
		    "allowlist (%s): ssh-add -s is refused unless the agent runs with this -P",
		    real, AGENT_ALLOWLIST);
	}
}

static int
trust_policy(const char *conf)
{
	const char *p = strstr(conf, "trust-policy:");

	if (p == NULL || (p != conf && p[-1] != '\n'))
		return 0;
	for (p += 13; *p == ' ' || *p == '\t'; p++)
		;
	return strncmp(p, "yes", 3) == 0 || strncmp(p, "true", 4) == 0;
}

/* The p11-kit registry, as p11-kit reads it: package, system and user module configs. */
static void
check_modules(struct doctor *d)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	char user[PATH_MAX], conf[PATH_MAX], *data, *line, *save, *p, *e, *name;
	const char *dirs[3] = { HK_P11_PACKAGE_MODULES, HK_P11_SYSTEM_MODULES, NULL };
	struct dirent *de;
	size_t len, i, found = 0;
	DIR *dir;
	int r;

	if (xdg != NULL && *xdg != '\0')
		snprintf(user, sizeof(user), "%s/pkcs11/modules", xdg);
	else if (home != NULL)
		snprintf(user, sizeof(user), "%s/.config/pkcs11/modules", home);
	else
		user[0] = '\0';
	dirs[2] = user[0] != '\0' ? user : NULL;
	for (i = 0; i < 3; i++) {
		if (dirs[i] == NULL || (i == 1 && strcmp(dirs[0], dirs[1]) == 0) ||
		    (dir = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(dir)) != NULL) {
			len = strlen(de->d_name);
			if (len <= 7 || strcmp(de->d_name + len - 7, ".module") != 0)
				continue;
			snprintf(conf, sizeof(conf), "%s/%s", dirs[i], de->d_name);
			if ((r = hk_file_read(conf, 1 << 20, &data, &len)) != 0) {
				struct hk_error rerr;

				hk_error_take(&rerr, r);
				finding(d, "module", ST_WARN, conf, NULL, "unreadable: %s", rerr.message);
				continue;
			}
			/* Trust-policy modules hold CAs, not keys (the token commands skip them too). */
			if (trust_policy(data)) {
				free(data);
				continue;
			}
			for (line = strtok_r(data, "\n", &save); line != NULL;
			    line = strtok_r(NULL, "\n", &save)) {
				for (p = line; *p == ' ' || *p == '\t'; p++)
					;
				if (strncmp(p, "module:", 7) != 0)
					continue;
				for (p += 7; *p == ' ' || *p == '\t'; p++)
					;
				for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' ||
				    e[-1] == '\r'); e--)
					;
				*e = '\0';
				name = de->d_name;
				name[strlen(name) - 7] = '\0';
				found++;
				check_module(d, conf, name, p);
				break;
			}
			free(data);
		}
		closedir(dir);
	}
	if (found == 0)
		finding(d, "module", ST_WARN, NULL, "install a PKCS#11 module package (opensc, "
		    "softhsm2, ykcs11) or pass --module to the token commands",
		    "p11-kit registers no PKCS#11 module");
}

/* Tokens over the whole registry, as the token commands see them. */
static void
check_tokens(struct doctor *d)
{
	struct hk_tokens *ts = NULL;
	struct hk_token_info *const *infos;
	size_t n = 0, i;
	int r;

	hk_err_clear();
	if ((r = hk_tokens_open(NULL, &ts)) != 0) {
		struct hk_error e;

		hk_error_take(&e, r);
		finding(d, "tokens", ST_FAIL, NULL, "fix or remove the module named above",
		    "the p11-kit registry cannot be loaded: %s", e.message);
		return;
	}
	if (hk_tokens_list(ts, &infos, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++)
		finding(d, "tokens", ST_OK, infos[i]->uri, NULL, "%s %s, serial %s (module %s)",
		    infos[i]->manufacturer, infos[i]->model, infos[i]->serial,
		    infos[i]->module_path != NULL ? infos[i]->module_path : infos[i]->module);
	if (n == 0)
		finding(d, "tokens", ST_WARN, NULL, "insert the token or smart card; check the "
		    "reader with pcsc_scan", "no PKCS#11 token is present");
	hk_tokens_free(ts);
}

/* FIDO2 devices are hidraw nodes; the directory is $HWKEY_DEV_DIR for tests. */
static void
check_devices(struct doctor *d)
{
	const char *devdir = getenv("HWKEY_DEV_DIR");
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	if (devdir == NULL || *devdir == '\0')
		devdir = "/dev";
	if ((dir = opendir(devdir)) == NULL) {
		finding(d, "devices", ST_WARN, devdir, NULL, "cannot list: %s", strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "hidraw", 6) != 0)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", devdir, de->d_name);
		if (faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) == 0)
			finding(d, "devices", ST_OK, path, NULL, "readable and writable (fido:%s)",
			    path);
		else
			finding(d, "devices", ST_FAIL, path, UDEV_FIX, "not readable and writable "
			    "by you (%s): libfido2 and ssh cannot use a security key here",
			    strerror(errno));
	}
	closedir(dir);
	if (n == 0)
		finding(d, "devices", ST_WARN, devdir, "plug in the security key; for a "
		    "software authenticator use its fido:unix:SOCKET", "no hidraw device "
		    "(no USB security key present)");
}

/* Run argv, its stdout and stderr together into *outp (NUL-terminated). */
static int
capture(char *const argv[], char **outp, int *statusp)
{
	int p[2], status = 0;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	*outp = NULL;
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		(void)dup2(p[1], STDOUT_FILENO);
		(void)dup2(p[1], STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if ((*outp = malloc(65536)) == NULL) {
		close(p[0]);
		waitpid(pid, &status, 0);
		return -1;
	}
	while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && len + (size_t)n < 65535) {
			memcpy(*outp + len, buf, (size_t)n);
			len += (size_t)n;
		}
	(*outp)[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	*statusp = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	return 0;
}

static void
check_openssh(struct doctor *d)
{
	const char *ssh = hk_cli_ssh_program();
	char *ver_argv[] = { (char *)ssh, (char *)"-V", NULL };
	char *q_argv[] = { (char *)ssh, (char *)"-Q", (char *)"key", NULL };
	char *g_argv[] = { (char *)ssh, (char *)"-F", (char *)"none", (char *)"-G", (char *)"-o",
	    (char *)"PKCS11Provider=/hwkey-doctor-probe.so", (char *)"hwkey-doctor.invalid", NULL };
	char *out = NULL, ver[128] = "";
	unsigned int major = 0, minor = 0;
	int st = 0;

	if (capture(ver_argv, &out, &st) != 0 || st != 0) {
		finding(d, "openssh", ST_FAIL, ssh, "install openssh-client (apt-get install "
		    "openssh-client)", "cannot run '%s -V'", ssh);
		free(out);
		return;
	}
	sscanf(out, "%127[^,\n]", ver);
	if (sscanf(out, "OpenSSH_%u.%u", &major, &minor) != 2)
		finding(d, "openssh", ST_WARN, ssh, NULL, "not OpenSSH? '%s'", ver);
	else if (major < 8 || (major == 8 && minor < 2))
		finding(d, "openssh", ST_FAIL, ssh, "upgrade to OpenSSH 8.2 or later", "%s: "
		    "security keys (sk-*) and SecurityKeyProvider need OpenSSH 8.2", ver);
	else
		finding(d, "openssh", ST_OK, ssh, NULL, "%s", ver);
	free(out);
	out = NULL;
	if (capture(q_argv, &out, &st) == 0 && st == 0 &&
	    strstr(out, "sk-ecdsa-sha2-nistp256@openssh.com") != NULL)
		finding(d, "openssh", ST_OK, ssh, NULL, "supports security keys (sk-ecdsa, "
		    "sk-ed25519)");
	else
		finding(d, "openssh", ST_WARN, ssh, "use an OpenSSH built with security-key "
		    "support (8.2+)", "ssh -Q key lists no sk-* key type");
	free(out);
	out = NULL;
	if (capture(g_argv, &out, &st) == 0 && st == 0 &&
	    strstr(out, "pkcs11provider /hwkey-doctor-probe.so") != NULL)
		finding(d, "openssh", ST_OK, ssh, NULL, "supports PKCS11Provider");
	else
		finding(d, "openssh", ST_FAIL, ssh, "use an OpenSSH built with PKCS#11 support "
		    "(Debian's openssh-client is)", "this ssh does not take PKCS11Provider");
	free(out);
}

/* The key type names ssh must accept for the host's hwkey key. */
static const char *
needed_alg(const char *type)
{
	if (strcmp(type, "ssh-rsa") == 0)
		return "rsa-sha2-256";
	return type;
}

static void
check_host(struct doctor *d, const char *config, const char *host)
{
	char *argv[] = { (char *)hk_cli_ssh_program(), (char *)"-G", NULL, NULL, NULL, NULL };
	struct hk_sshcfg_entry *ent = NULL;
	struct hk_key *key = NULL;
	struct hk_skfile sk = { 0 };
	struct hk_error err;
	char *out = NULL, *algs, *e, *data = NULL, fix[512];
	const char *type = NULL;
	size_t len;
	int st = 0, n = 2;

	if (!hk_cli_ssh_config_is_default(config)) {
		argv[n++] = (char *)"-F";
		argv[n++] = (char *)config;
	}
	argv[n] = (char *)host;
	if (hk_sshcfg_lookup_file(config, host, &ent, &err) != 0)
		finding(d, "host", ST_WARN, host, NULL, "%s", hk_error_message(&err));
	else if (ent->identity_file != NULL &&
	    hk_file_read(ent->identity_file, 1 << 20, &data, &len) == 0 &&
	    hk_key_parse(data, len, &key) == 0)
		type = hk_key_type_name(key);
	else if (ent->sk_file != NULL && hk_skfile_read(ent->sk_file, &sk) == 0)
		type = hk_key_type_name(sk.key);
	if (capture(argv, &out, &st) != 0 || st != 0) {
		finding(d, "host", ST_FAIL, host, "check the config file named in the message",
		    "ssh -G %s failed: %.300s", host, out != NULL ? out : "");
		goto out;
	}
	if ((algs = strstr(out, "\npubkeyacceptedalgorithms ")) == NULL) {
		finding(d, "host", ST_WARN, host, NULL, "ssh -G names no PubkeyAcceptedAlgorithms");
		goto out;
	}
	algs += strlen("\npubkeyacceptedalgorithms ");
	if ((e = strchr(algs, '\n')) != NULL)
		*e = '\0';
	finding(d, "host", ST_OK, host, NULL, "ssh offers PubkeyAcceptedAlgorithms %s", algs);
	if (type != NULL) {
		const char *want = needed_alg(type);
		size_t wl = strlen(want);
		const char *p = algs;
		int found = 0;

		for (; (p = strstr(p, want)) != NULL; p += wl)
			if ((p == algs || p[-1] == ',') && (p[wl] == ',' || p[wl] == '\0'))
				found = 1;
		snprintf(fix, sizeof(fix), "add 'PubkeyAcceptedAlgorithms +%s' to the Host %s "
		    "block (and to the server's sshd_config)", want, host);
		if (found)
			finding(d, "host", ST_OK, host, NULL, "the hwkey key (%s) is among them",
			    type);
		else
			finding(d, "host", ST_FAIL, host, fix, "the hwkey key is %s, which ssh "
			    "will not offer to %s", type, host);
	}
 out:
	free(out);
	free(data);
	hk_key_free(key);
	hk_skfile_clear(&sk);
	hk_sshcfg_entry_free(ent);
}

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "config"))
		a->config = arg;
	else if (hk_opt_is_name(cmd, idx, "host"))
		a->host = arg;
	else if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct doctor d = { 0 };
	char cfgbuf[PATH_MAX];
	const char *config = NULL;
	char **ops;
	int r, nops;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 0)
		return hk_cli_token_usage(cmd, a.json, "doctor takes no operands");
	if (a.host != NULL &&
	    (config = hk_cli_ssh_config_path(a.config, cfgbuf, sizeof(cfgbuf))) == NULL)
		return hk_cli_token_usage(cmd, a.json, "HOME is not set: give --config FILE");
	d.json = a.json;
	if (d.json && (d.findings = json_array()) == NULL)
		return hk_cli_fail(cmd, HK_ERR_ALLOC);
	check_modules(&d);
	check_tokens(&d);
	check_devices(&d);
	check_openssh(&d);
	if (a.host != NULL)
		check_host(&d, config, a.host);
	if (d.json) {
		if (hk_cli_print_json(json_pack("{s:b, s:o}", "ok", !d.failed, "findings",
		    d.findings)) != 0)
			return HK_EXIT_FAILURE;
	} else
		printf("%s\n", d.failed ? "doctor: something is wrong (see FAIL above)" :
		    "doctor: nothing wrong");
	return d.failed ? HK_EXIT_VERIFY : HK_EXIT_OK;
}

const struct hk_cmd hk_cmd_doctor = {
	.name = "doctor",
	.args = "",
	.summary = "Check modules, devices, permissions and OpenSSH for hardware-key login",
	.opts = opts,
	.run = run,
};
