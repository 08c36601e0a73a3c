/* hwkey-fido2sim: small libcbor helpers for CTAP2 maps (lookup by integer or
 * text key, builders that take ownership, serialisation of a reply). */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

bool
cb_get_int(const cbor_item_t *it, int64_t *out)
{
	if (it == NULL)
		return false;
	if (cbor_isa_uint(it)) {
		uint64_t v = cbor_get_int(it);
		if (v > INT64_MAX)
			return false;
		*out = (int64_t)v;
		return true;
	}
	if (cbor_isa_negint(it)) {
		uint64_t v = cbor_get_int(it);
		if (v > INT64_MAX)
			return false;
		*out = -1 - (int64_t)v;
		return true;
	}
	return false;
}

bool
cb_is_bytes(const cbor_item_t *it)
{
	return it != NULL && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

bool
cb_is_text(const cbor_item_t *it)
{
	return it != NULL && cbor_isa_string(it) && cbor_string_is_definite(it);
}

char *
cb_strdup(const cbor_item_t *it)
{
	char *s;
	size_t n;

	if (!cb_is_text(it))
		return NULL;
	n = cbor_string_length(it);
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, cbor_string_handle(it), n);
	s[n] = '\0';
	if (strlen(s) != n) {	/* embedded NUL */
		free(s);
		return NULL;
	}
	return s;
}

const cbor_item_t *
cb_map_int(const cbor_item_t *map, int64_t key)
{
	struct cbor_pair *p;
	int64_t k;

	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return NULL;
	p = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cb_get_int(p[i].key, &k) && k == key)
			return p[i].value;
	return NULL;
}

const cbor_item_t *
cb_map_str(const cbor_item_t *map, const char *key)
{
	struct cbor_pair *p;
	size_t n = strlen(key);

	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return NULL;
	p = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cb_is_text(p[i].key) && cbor_string_length(p[i].key) == n &&
		    memcmp(cbor_string_handle(p[i].key), key, n) == 0)
			return p[i].value;
	return NULL;
}

static void *
must(void *p)
{
	if (p == NULL)
		abort();	/* out of memory in test equipment */
	return p;
}

/* Minimal-width integers: libcbor writes the width an item was built with,
 * and CTAP2 (and libfido2's decoder, which wants 8-bit map keys) needs the
 * canonical, shortest form. */
static cbor_item_t *
build_uint(uint64_t v)
{
	if (v <= UINT8_MAX)
		return must(cbor_build_uint8((uint8_t)v));
	if (v <= UINT16_MAX)
		return must(cbor_build_uint16((uint16_t)v));
	if (v <= UINT32_MAX)
		return must(cbor_build_uint32((uint32_t)v));
	return must(cbor_build_uint64(v));
}

cbor_item_t *
cb_int(int64_t v)
{
	cbor_item_t *it;
	uint64_t u;

	if (v >= 0)
		return build_uint((uint64_t)v);
	u = (uint64_t)(-1 - v);
	it = build_uint(u);
	cbor_mark_negint(it);
	return it;
}

cbor_item_t *
cb_bytes(const uint8_t *p, size_t n)
{
	return must(cbor_build_bytestring(p, n));
}

cbor_item_t *
cb_text(const char *s)
{
	return must(cbor_build_string(s));
}

/* Takes ownership of key and val. The map must have room (definite maps are
 * built with cbor_new_indefinite_map here and serialised as definite). */
void
cb_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val)
{
	struct cbor_pair p = { .key = key, .value = val };

	if (!cbor_map_add(map, p))
		abort();
	cbor_decref(&key);
	cbor_decref(&val);
}

void
cb_put_int(cbor_item_t *map, int64_t key, cbor_item_t *val)
{
	cb_put(map, cb_int(key), val);
}

void
cb_put_str(cbor_item_t *map, const char *key, cbor_item_t *val)
{
	cb_put(map, cb_text(key), val);
}

/* CTAP2 canonical key order (libfido2 checks it): unsigned before negative
 * before text; integers by magnitude; text shorter first, then bytewise. */
static int
key_cmp(const void *a, const void *b)
{
	const cbor_item_t *x = ((const struct cbor_pair *)a)->key;
	const cbor_item_t *y = ((const struct cbor_pair *)b)->key;
	size_t lx, ly;

	if (cbor_typeof(x) != cbor_typeof(y))
		return cbor_typeof(x) < cbor_typeof(y) ? -1 : 1;
	if (cbor_is_int(x)) {
		uint64_t u = cbor_get_int(x), v = cbor_get_int(y);
		return u < v ? -1 : u > v;
	}
	if (!cbor_isa_string(x))
		return 0;
	lx = cbor_string_length(x);
	ly = cbor_string_length(y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(cbor_string_handle(x), cbor_string_handle(y), lx);
}

/* libcbor serialises an indefinite map with a break code; CTAP2 wants
 * definite lengths and sorted keys, so copy into a definite map first. */
static cbor_item_t *
definite(const cbor_item_t *it)
{
	cbor_item_t *m;
	struct cbor_pair *p, *sorted;

	if (cbor_isa_array(it)) {
		cbor_item_t *a = must(cbor_new_definite_array(cbor_array_size(it)));
		for (size_t i = 0; i < cbor_array_size(it); i++) {
			cbor_item_t *e = cbor_array_get(it, i), *de = definite(e);
			if (!cbor_array_push(a, de))
				abort();
			cbor_decref(&de);
			cbor_decref(&e);
		}
		return a;
	}
	if (!cbor_isa_map(it))
		return cbor_incref((cbor_item_t *)it);
	m = must(cbor_new_definite_map(cbor_map_size(it)));
	p = cbor_map_handle(it);
	sorted = must(calloc(cbor_map_size(it) + 1, sizeof(*sorted)));
	if (cbor_map_size(it) > 0)	/* an empty map has no handle (attStmt of "none") */
		memcpy(sorted, p, cbor_map_size(it) * sizeof(*p));
	qsort(sorted, cbor_map_size(it), sizeof(*sorted), key_cmp);
	p = sorted;
	for (size_t i = 0; i < cbor_map_size(it); i++) {
		struct cbor_pair q = { .key = definite(p[i].key),
			.value = definite(p[i].value) };
		if (!cbor_map_add(m, q))
			abort();
		cbor_decref(&q.key);
		cbor_decref(&q.value);
	}
	free(sorted);
	return m;
}

size_t
cb_serialize(const cbor_item_t *it, uint8_t **out)
{
	cbor_item_t *d = definite(it);
	size_t cap = 0, n;

	*out = NULL;
	n = cbor_serialize_alloc(d, out, &cap);
	cbor_decref(&d);
	return n;
}

size_t
cb_reply(uint8_t status, const cbor_item_t *map, uint8_t *out, size_t cap)
{
	uint8_t *buf = NULL;
	size_t n = 0;

	if (cap < 1)
		return 0;
	out[0] = status;
	if (map == NULL)
		return 1;
	if ((n = cb_serialize(map, &buf)) == 0 || n + 1 > cap) {
		free(buf);
		out[0] = CTAP1_ERR_OTHER;
		return 1;
	}
	memcpy(out + 1, buf, n);
	free(buf);
	return n + 1;
}

/* One item at *p (depth-limited); advances *p. Declared lengths and counts
 * are checked against what is left before anything is allocated: libcbor
 * 0.8 would first try to allocate an array of whatever size the header
 * claims (a 5-byte request can name 1.7 billion elements). */
static bool
wf_item(const uint8_t **p, const uint8_t *end, int depth)
{
	uint8_t ib, major, ai;
	uint64_t v = 0;
	size_t left;

	if (*p >= end || depth > 16)
		return false;
	ib = *(*p)++;
	major = ib >> 5;
	ai = ib & 0x1f;
	if (ai < 24) {
		v = ai;
	} else if (ai <= 27) {
		size_t n = (size_t)1 << (ai - 24);
		if ((size_t)(end - *p) < n)
			return false;
		for (size_t i = 0; i < n; i++)
			v = v << 8 | *(*p)++;
	} else {
		return false;	/* reserved, or indefinite length: not CTAP2 canonical */
	}
	left = (size_t)(end - *p);
	switch (major) {
	case 0: case 1:
		return true;
	case 2: case 3:
		if (v > left)
			return false;
		*p += v;
		return true;
	case 4:
		if (v > left)
			return false;
		for (uint64_t i = 0; i < v; i++)
			if (!wf_item(p, end, depth + 1))
				return false;
		return true;
	case 5:
		if (v > left / 2)
			return false;
		for (uint64_t i = 0; i < 2 * v; i++)
			if (!wf_item(p, end, depth + 1))
				return false;
		return true;
	case 6:
		return wf_item(p, end, depth + 1);
	default:
		return true;	/* simple values and floats */
	}
}

bool
cb_well_formed(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	return wf_item(&p, end, 0) && p == end;
}
