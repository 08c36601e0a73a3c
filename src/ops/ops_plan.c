/* The provisioning plan: JSON in, checked entries out. Every field of an
 * entry may come from "defaults"; every check is made here, before any
 * token or cloud is touched, and names the entry and field it failed on. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cloud.h"
#include "file.h"
#include "ops_plan.h"

#define PLAN_FILE_MAX	(4 * 1024 * 1024)
#define PLAN_ENTRIES_MAX	100000

/* Fields an entry (or "defaults") may have. */
static const char *const entry_fields[] = {
	"application", "attach", "attestation_roots", "cloud", "id", "label", "name",
	"output", "person", "pin", "regions", "resident", "serial", "token", "type", "user",
	"verify_required", NULL,
};

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
entry_clear(struct hk_plan_entry *e)
{
	free(e->id);
	free(e->token);
	free(e->label);
	free(e->name);
	free(e->cloud);
	strv_free(e->regions);
	free(e->pin);
	strv_free(e->attach);
	free(e->person);
	free(e->attestation_roots);
	free(e->application);
	free(e->user);
	free(e->output);
	memset(e, 0, sizeof(*e));
}

void
hk_plan_free(struct hk_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->n; i++)
		entry_clear(&plan->entries[i]);
	free(plan->entries);
	free(plan->path);
	free(plan->id);
	free(plan);
}

/* Where an error is: "entries[3] (alice-ssh)", or "defaults". */
struct where {
	struct hk_error *err;
	const char *path;
	char what[192];
};

static int plan_fail(struct where *w, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
plan_fail(struct where *w, int code, const char *field, const char *fmt, ...)
{
	char msg[HK_ERROR_MESSAGE_MAX - 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hk_error_clear(w->err);
	w->err->code = code;
	if (w->path != NULL)
		snprintf(w->err->file, sizeof(w->err->file), "%s", w->path);
	snprintf(w->err->message, sizeof(w->err->message), "%s%s%s%s%s%s%s",
	    w->path != NULL ? w->path : "", w->path != NULL ? ": " : "", w->what,
	    field != NULL ? ": field \"" : "", field != NULL ? field : "",
	    field != NULL ? "\"" : "", *msg != '\0' ? ": " : "");
	snprintf(w->err->message + strlen(w->err->message),
	    sizeof(w->err->message) - strlen(w->err->message), "%s", msg);
	return code;
}

static int
known_field(const char *k)
{
	size_t i;

	for (i = 0; entry_fields[i] != NULL; i++)
		if (strcmp(entry_fields[i], k) == 0)
			return 1;
	return 0;
}

/* Refuse a field hwkey does not know: a typo would silently fall back to a default. */
static int
check_fields(struct where *w, json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		if (!known_field(k))
			return plan_fail(w, HK_ERR_PLAN, k, "unknown field (known: application, "
			    "attach, attestation_roots, cloud, id, label, name, output, person, pin, "
			    "regions, resident, serial, token, type, user, verify_required)");
	}
	return 0;
}

/* The field from the entry, else from defaults; NULL when neither has it. */
static json_t *
field(json_t *entry, json_t *defaults, const char *name)
{
	json_t *v;

	if ((v = json_object_get(entry, name)) != NULL)
		return v;
	return defaults != NULL ? json_object_get(defaults, name) : NULL;
}

static int
get_str(struct where *w, json_t *entry, json_t *defaults, const char *name, int required,
    char **outp)
{
	json_t *v = field(entry, defaults, name);
	const char *s;

	*outp = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return plan_fail(w, HK_ERR_PLAN, name, "missing (in the entry or in "
			    "\"defaults\")");
		return 0;
	}
	if (!json_is_string(v))
		return plan_fail(w, HK_ERR_PLAN, name, "expected a string");
	s = json_string_value(v);
	if (*s == '\0')
		return plan_fail(w, HK_ERR_PLAN, name, "empty");
	if (strlen(s) != json_string_length(v))
		return plan_fail(w, HK_ERR_PLAN, name, "contains a NUL byte");
	if ((*outp = strdup(s)) == NULL)
		return plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
	return 0;
}

static int
get_bool(struct where *w, json_t *entry, json_t *defaults, const char *name, int *outp)
{
	json_t *v = field(entry, defaults, name);

	*outp = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return plan_fail(w, HK_ERR_PLAN, name, "expected true or false");
	*outp = json_is_true(v);
	return 0;
}

int
hk_plan_entry_is_sk(const struct hk_plan_entry *e)
{
	return e->kind == HK_KIND_ECDSA_SK || e->kind == HK_KIND_ED25519_SK;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The security-key fields: what hwkey keygen checks for --application,
 * --user and --attestation-roots, and an output directory that takes files.
 * A cloud, given, is refused by the caller with the capability's reason.
 */
static int
sk_check(struct where *w, struct hk_plan_entry *e)
{
	if (strncmp(e->token, "fido:", 5) != 0)
		return plan_fail(w, HK_ERR_PLAN, "type", "%s keys are made on a fido: device, "
		    "not on %s", hk_key_kind_name(e->kind), e->token);
	if (e->application == NULL && (e->application = strdup("ssh:")) == NULL)
		return plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
	if (strncmp(e->application, "ssh:", 4) != 0)
		return plan_fail(w, HK_ERR_PLAN, "application", "\"%s\" must start with "
		    "\"ssh:\"", e->application);
	if (strlen(e->application) > 200)
		return plan_fail(w, HK_ERR_PLAN, "application", "longer than 200 bytes");
	if (e->user != NULL && strlen(e->user) > 31)
		return plan_fail(w, HK_ERR_PLAN, "user", "is %zu bytes; 1 to 31 bytes (OpenSSH "
		    "keeps at most 31)", strlen(e->user));
	if (e->user != NULL && !e->resident)
		return plan_fail(w, HK_ERR_PLAN, "user", "names a resident credential's user: "
		    "give \"resident\": true");
	if (e->attestation_roots != NULL && !is_dir(e->attestation_roots))
		return plan_fail(w, HK_ERR_PLAN, "attestation_roots", "\"%s\" is not a "
		    "directory", e->attestation_roots);
	if (e->output == NULL && (e->output = strdup(".")) == NULL)
		return plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
	if (!is_dir(e->output))
		return plan_fail(w, HK_ERR_PLAN, "output", "\"%s\" is not a directory",
		    e->output);
	if (access(e->output, W_OK | X_OK) != 0)
		return plan_fail(w, HK_ERR_PLAN, "output", "\"%s\": cannot write files in it "
		    "(%s)", e->output, strerror(errno));
	if (strchr(e->name, '/') != NULL || strcmp(e->name, ".") == 0 ||
	    strcmp(e->name, "..") == 0)
		return plan_fail(w, HK_ERR_PLAN, "name", "\"%s\" is the key file's name in "
		    "\"output\": no '/'", e->name);
	if (e->nattach > 0)
		return plan_fail(w, HK_ERR_PLAN, "attach", "a security key is not imported "
		    "into a cloud, so there is no key pair to attach");
	if (e->nregions > 0 && e->cloud == NULL)
		return plan_fail(w, HK_ERR_PLAN, "regions", "given without \"cloud\"");
	return 0;
}

/* A string array ("regions": ["a","b"]); a string "a,b" is taken as well. */
static int
get_strv(struct where *w, json_t *entry, json_t *defaults, const char *name, int required,
    char ***outp, size_t *np)
{
	json_t *v = field(entry, defaults, name), *item;
	char **out = NULL, *copy = NULL, *tok, *save = NULL;
	size_t n = 0, i;

	*outp = NULL;
	*np = 0;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return plan_fail(w, HK_ERR_PLAN, name, "missing (in the entry or in "
			    "\"defaults\")");
		return 0;
	}
	if (json_is_string(v)) {
		if ((copy = strdup(json_string_value(v))) == NULL ||
		    (out = calloc(strlen(copy) + 2, sizeof(*out))) == NULL)
			goto nomem;
		for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
			if ((out[n++] = strdup(tok)) == NULL)
				goto nomem;
		free(copy);
		copy = NULL;
	} else if (json_is_array(v)) {
		if ((out = calloc(json_array_size(v) + 1, sizeof(*out))) == NULL)
			goto nomem;
		json_array_foreach(v, i, item) {
			if (!json_is_string(item) || *json_string_value(item) == '\0') {
				strv_free(out);
				return plan_fail(w, HK_ERR_PLAN, name, "item %zu: expected a "
				    "non-empty string", i + 1);
			}
			if ((out[n++] = strdup(json_string_value(item))) == NULL)
				goto nomem;
		}
	} else
		return plan_fail(w, HK_ERR_PLAN, name, "expected an array of strings");
	if (n == 0 && required) {
		strv_free(out);
		return plan_fail(w, HK_ERR_PLAN, name, "empty");
	}
	*outp = out;
	*np = n;
	return 0;
 nomem:
	free(copy);
	strv_free(out);
	return plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
}

static int
region_ok(const char *r)
{
	size_t n = 0;

	for (; *r != '\0'; r++, n++)
		if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-')
			return 0;
	return n > 0 && n < 64;
}

/* A PIN source, never a PIN: the plan is a file many people read. */
static int
pin_ok(const char *s)
{
	return strncmp(s, "env:", 4) == 0 || strncmp(s, "file:", 5) == 0 ||
	    strncmp(s, "fd:", 3) == 0;
}

/* Every field of one entry, checked against the provider's table. */
static int
entry_check(struct where *w, struct hk_plan_entry *e, const char *type)
{
	const struct hk_cloud_caps *caps;
	const struct hk_key_kind *kk;
	struct hk_error why;
	char names[128];
	size_t i;
	int r;

	if (strncmp(e->token, "pkcs11:", 7) != 0 && strncmp(e->token, "fido:", 5) != 0)
		return plan_fail(w, HK_ERR_PLAN, "token", "\"%s\" is neither a pkcs11: URI "
		    "nor a fido: device", e->token);
	if (hk_key_kind_from_name(type, &e->kind) != 0)
		return plan_fail(w, HK_ERR_PLAN, "type", "\"%s\" is not one of %s", type,
		    hk_key_kind_names());
	if (hk_plan_entry_is_sk(e)) {
		if ((r = sk_check(w, e)) != 0)
			return r;
		if (e->cloud == NULL)
			goto local;
	} else {
		if (strncmp(e->token, "fido:", 5) == 0)
			return plan_fail(w, HK_ERR_PLAN, "type", "a fido: device makes ecdsa-sk "
			    "and ed25519-sk keys, not %s", type);
		if (e->cloud == NULL)
			return plan_fail(w, HK_ERR_PLAN, "cloud", "missing (in the entry or in "
			    "\"defaults\")");
		if (e->nregions == 0)
			return plan_fail(w, HK_ERR_PLAN, "regions", "missing (in the entry or in "
			    "\"defaults\")");
	}
	if ((caps = hk_cloud_caps_find(e->cloud)) == NULL)
		return plan_fail(w, HK_ERR_PLAN, "cloud", "\"%s\" is not %s", e->cloud,
		    hk_cloud_provider_names(names, sizeof(names)));
	kk = hk_key_kind(e->kind);
	hk_err_clear();
	if (kk != NULL && (r = hk_cloud_caps_check_type(caps, kk->type, kk->curve,
	    kk->bits)) != 0) {
		hk_error_take(&why, r);
		return plan_fail(w, HK_ERR_CLOUD_UNSUPPORTED, "type", "%s",
		    hk_error_message(&why));
	}
	if ((r = hk_cloud_caps_check_name(caps, e->name)) != 0) {
		hk_error_take(&why, r);
		return plan_fail(w, HK_ERR_CLOUD_NAME, "name", "%s", hk_error_message(&why));
	}
	for (i = 0; i < e->nregions; i++) {
		if (!region_ok(e->regions[i]))
			return plan_fail(w, HK_ERR_PLAN, "regions", "\"%s\" is not a region "
			    "name (lowercase letters, digits, '-')", e->regions[i]);
		if (strcmp(e->regions[i], "all") == 0)
			return plan_fail(w, HK_ERR_PLAN, "regions", "\"all\" is resolved "
			    "by a call: name the regions");
	}
	for (i = 0; i < e->nregions; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(e->regions[i], e->regions[j]) == 0)
				return plan_fail(w, HK_ERR_PLAN, "regions", "\"%s\" twice",
				    e->regions[i]);
	}
 local:
	if (e->pin != NULL && !pin_ok(e->pin))
		return plan_fail(w, HK_ERR_PLAN, "pin", "a PIN source is env:VAR, file:PATH "
		    "or fd:N; a PIN itself never goes in a plan");
	if (strlen(e->label) > 200)
		return plan_fail(w, HK_ERR_PLAN, "label", "longer than 200 bytes");
	return 0;
}

/* One entry from its JSON object and the defaults. */
static int
entry_parse(struct where *w, json_t *obj, json_t *defaults, struct hk_plan_entry *e)
{
	char *type = NULL, *serial = NULL;
	int r;

	if (!json_is_object(obj))
		return plan_fail(w, HK_ERR_PLAN, NULL, "expected an object");
	/* The name first: the entry's other errors are named by it. */
	if ((r = get_str(w, obj, NULL, "id", 0, &e->id)) != 0 ||
	    (r = get_str(w, obj, defaults, "name", 1, &e->name)) != 0)
		return r;
	if (e->id == NULL && (e->id = strdup(e->name)) == NULL)
		return plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
	snprintf(w->what + strlen(w->what), sizeof(w->what) - strlen(w->what), " (%s)", e->id);
	if ((r = check_fields(w, obj)) != 0)
		return r;
	if ((r = get_str(w, obj, NULL, "token", 0, &e->token)) != 0 ||
	    (r = get_str(w, obj, NULL, "serial", 0, &serial)) != 0)
		goto out;
	if (e->token != NULL && serial != NULL) {
		r = plan_fail(w, HK_ERR_PLAN, "serial", "give \"token\" or \"serial\", not both");
		goto out;
	}
	if (serial != NULL) {
		/* A serial is a PKCS#11 token's; p11-kit matches it exactly. */
		if (strpbrk(serial, ";?%/") != NULL) {
			r = plan_fail(w, HK_ERR_PLAN, "serial", "\"%s\": use \"token\" with a "
			    "URI for a serial with ';', '?', '%%' or '/'", serial);
			goto out;
		}
		if (asprintf(&e->token, "pkcs11:serial=%s", serial) < 0) {
			e->token = NULL;
			r = plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
			goto out;
		}
	}
	if (e->token == NULL) {
		r = plan_fail(w, HK_ERR_PLAN, "token", "missing (each entry names its own "
		    "token: \"token\": URI or \"serial\")");
		goto out;
	}
	if ((r = get_str(w, obj, defaults, "type", 1, &type)) != 0 ||
	    (r = get_str(w, obj, defaults, "label", 0, &e->label)) != 0 ||
	    (r = get_str(w, obj, defaults, "cloud", 0, &e->cloud)) != 0 ||
	    (r = get_strv(w, obj, defaults, "regions", 0, &e->regions, &e->nregions)) != 0 ||
	    (r = get_str(w, obj, defaults, "pin", 0, &e->pin)) != 0 ||
	    (r = get_strv(w, obj, defaults, "attach", 0, &e->attach, &e->nattach)) != 0 ||
	    (r = get_str(w, obj, defaults, "person", 0, &e->person)) != 0 ||
	    (r = get_bool(w, obj, defaults, "resident", &e->resident)) != 0 ||
	    (r = get_bool(w, obj, defaults, "verify_required", &e->verify_required)) != 0 ||
	    (r = get_str(w, obj, defaults, "attestation_roots", 0,
	    &e->attestation_roots)) != 0 ||
	    (r = get_str(w, obj, defaults, "application", 0, &e->application)) != 0 ||
	    (r = get_str(w, obj, defaults, "user", 0, &e->user)) != 0 ||
	    (r = get_str(w, obj, defaults, "output", 0, &e->output)) != 0)
		goto out;
	/* A security key's comment defaults to its name; a PKCS#11 key needs a label. */
	if (e->label == NULL && hk_key_kind_from_name(type, &e->kind) == 0 &&
	    hk_plan_entry_is_sk(e) && (e->label = strdup(e->name)) == NULL) {
		r = plan_fail(w, HK_ERR_ALLOC, NULL, "out of memory");
		goto out;
	}
	if (e->label == NULL) {
		r = plan_fail(w, HK_ERR_PLAN, "label", "missing (in the entry or in "
		    "\"defaults\")");
		goto out;
	}
	r = entry_check(w, e, type);
 out:
	free(type);
	free(serial);
	return r;
}

/* Two entries may not share an id, a token, or a (cloud, name). */
static int
plan_check_unique(struct hk_plan *plan, struct where *w)
{
	struct hk_plan_entry *a, *b;
	size_t i, j;

	for (i = 0; i < plan->n; i++)
		for (j = 0; j < i; j++) {
			a = &plan->entries[i];
			b = &plan->entries[j];
			snprintf(w->what, sizeof(w->what), "entries[%zu] (%s)", i, a->id);
			if (strcmp(a->id, b->id) == 0)
				return plan_fail(w, HK_ERR_PLAN, "id", "\"%s\" is also "
				    "entries[%zu]'s", a->id, j);
			if (strcmp(a->token, b->token) == 0)
				return plan_fail(w, HK_ERR_PLAN, "token", "\"%s\" is also "
				    "entries[%zu]'s (one key per token and plan)", a->token, j);
			if (a->cloud != NULL && b->cloud != NULL &&
			    strcmp(a->cloud, b->cloud) == 0 && strcmp(a->name, b->name) == 0)
				return plan_fail(w, HK_ERR_PLAN, "name", "\"%s\" is also "
				    "entries[%zu]'s in %s", a->name, j, a->cloud);
			/* Two key files of one name in one directory: one would lose. */
			if (a->output != NULL && b->output != NULL &&
			    strcmp(a->name, b->name) == 0 && strcmp(a->output, b->output) == 0)
				return plan_fail(w, HK_ERR_PLAN, "name", "\"%s\" is also "
				    "entries[%zu]'s key file in \"%s\"", a->name, j, a->output);
		}
	return 0;
}

static char *
plan_identity(const char *path, json_t *root)
{
	json_t *v = json_object_get(root, "plan");
	char *abs;

	if (json_is_string(v) && *json_string_value(v) != '\0')
		return strdup(json_string_value(v));
	if (path == NULL)
		return strdup("");
	if ((abs = realpath(path, NULL)) != NULL)
		return abs;
	return strdup(path);
}

int
hk_plan_parse(const char *path, const char *data, size_t len, struct hk_plan **planp,
    struct hk_error *err)
{
	struct hk_plan *plan = NULL;
	struct where w;
	json_error_t je;
	json_t *root, *defaults, *entries, *v;
	const char *k;
	size_t i;
	int r;

	*planp = NULL;
	hk_error_clear(err);
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.path = path;
	if ((root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(w.what, sizeof(w.what), "line %d", je.line);
		r = plan_fail(&w, HK_ERR_FORMAT_MALFORMED, NULL, "not JSON: %s", je.text);
		err->line = je.line > 0 ? (unsigned long)je.line : 0;
		return r;
	}
	snprintf(w.what, sizeof(w.what), "the plan");
	if (!json_is_object(root)) {
		r = plan_fail(&w, HK_ERR_PLAN, NULL, "expected an object with \"entries\"");
		goto out;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "defaults") != 0 && strcmp(k, "entries") != 0 &&
		    strcmp(k, "plan") != 0) {
			r = plan_fail(&w, HK_ERR_PLAN, k, "unknown field (known: plan, "
			    "defaults, entries)");
			goto out;
		}
	}
	if ((v = json_object_get(root, "plan")) != NULL && !json_is_string(v)) {
		r = plan_fail(&w, HK_ERR_PLAN, "plan", "expected a string");
		goto out;
	}
	defaults = json_object_get(root, "defaults");
	snprintf(w.what, sizeof(w.what), "defaults");
	if (defaults != NULL && !json_is_object(defaults)) {
		r = plan_fail(&w, HK_ERR_PLAN, NULL, "expected an object");
		goto out;
	}
	if (defaults != NULL && (r = check_fields(&w, defaults)) != 0)
		goto out;
	if (defaults != NULL && (json_object_get(defaults, "token") != NULL ||
	    json_object_get(defaults, "serial") != NULL || json_object_get(defaults, "id") != NULL)) {
		r = plan_fail(&w, HK_ERR_PLAN, json_object_get(defaults, "id") != NULL ? "id" :
		    json_object_get(defaults, "token") != NULL ? "token" : "serial",
		    "belongs to each entry, not to the defaults");
		goto out;
	}
	snprintf(w.what, sizeof(w.what), "the plan");
	entries = json_object_get(root, "entries");
	if (!json_is_array(entries) || json_array_size(entries) == 0) {
		r = plan_fail(&w, HK_ERR_PLAN, "entries", "expected a non-empty array");
		goto out;
	}
	if (json_array_size(entries) > PLAN_ENTRIES_MAX) {
		r = plan_fail(&w, HK_ERR_PLAN, "entries", "more than %d", PLAN_ENTRIES_MAX);
		goto out;
	}
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (plan->entries = calloc(json_array_size(entries), sizeof(*plan->entries))) == NULL ||
	    (path != NULL && (plan->path = strdup(path)) == NULL) ||
	    (plan->id = plan_identity(path, root)) == NULL) {
		r = plan_fail(&w, HK_ERR_ALLOC, NULL, "out of memory");
		goto out;
	}
	json_array_foreach(entries, i, v) {
		snprintf(w.what, sizeof(w.what), "entries[%zu]", i);
		plan->entries[i].index = i;
		plan->n = i + 1;
		if ((r = entry_parse(&w, v, defaults, &plan->entries[i])) != 0)
			goto out;
	}
	r = plan_check_unique(plan, &w);
 out:
	json_decref(root);
	if (r != 0) {
		hk_plan_free(plan);
		return r;
	}
	*planp = plan;
	return 0;
}

int
hk_plan_load(const char *path, struct hk_plan **planp, struct hk_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	*planp = NULL;
	hk_error_clear(err);
	hk_err_clear();
	if ((r = hk_file_read(path, PLAN_FILE_MAX, &data, &len)) != 0) {
		hk_error_take(err, r);
		snprintf(err->file, sizeof(err->file), "%s", path);
		return r;
	}
	r = hk_plan_parse(path, data, len, planp, err);
	free(data);
	return r;
}

int
hk_plan_single(const char *token, const char *type, const char *label,
    const char *name, const char *cloud, const char *regions, const char *pin,
    const char *attach, struct hk_plan **planp, struct hk_error *err)
{
	json_t *root, *e;
	char *doc;
	int r;

	*planp = NULL;
	hk_error_clear(err);
	/* The same checks as a file's entry: build that entry. */
	e = json_object();
	if (token != NULL)
		json_object_set_new(e, "token", json_string(token));
	if (type != NULL)
		json_object_set_new(e, "type", json_string(type));
	if (label != NULL)
		json_object_set_new(e, "label", json_string(label));
	if (name != NULL)
		json_object_set_new(e, "name", json_string(name));
	if (cloud != NULL)
		json_object_set_new(e, "cloud", json_string(cloud));
	if (regions != NULL)
		json_object_set_new(e, "regions", json_string(regions));
	if (pin != NULL)
		json_object_set_new(e, "pin", json_string(pin));
	if (attach != NULL)
		json_object_set_new(e, "attach", json_string(attach));
	root = json_pack("{s:s,s:[o]}", "plan", "", "entries", e);
	if (root == NULL || (doc = json_dumps(root, JSON_COMPACT)) == NULL) {
		json_decref(root);
		return hk_error_set(err, HK_ERR_ALLOC, "out of memory");
	}
	json_decref(root);
	r = hk_plan_parse(NULL, doc, strlen(doc), planp, err);
	free(doc);
	/* On the command line the same mistakes are usage errors. */
	if (r == HK_ERR_PLAN)
		r = err->code = HK_ERR_USAGE;
	if (r == 0) {
		/* The command line has no "plan" identity: "" (see hk_store_entry). */
		free((*planp)->id);
		if (((*planp)->id = strdup("")) == NULL) {
			hk_plan_free(*planp);
			*planp = NULL;
			return hk_error_set(err, HK_ERR_ALLOC, "out of memory");
		}
	}
	return r;
}
