// SPDX-License-Identifier: MIT
/*
 * What Node and Peer decoding share: reports that name the object, the field
 * and the value; WireGuard keys in base64; small value parsers with Go's
 * strconv rules; and the loop that decodes a whole cluster listing.
 */
#include "mesh/codec.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/codec_subject.h"

/* Enough of a value to recognise it, without echoing a whole document. */
#define QUOTE_MAX 96

static void quote_text(const char *text, char *out, size_t size)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;
		char escaped[8] = {(char)c};
		size_t len = 1;

		if (c == '"' || c == '\\')
			len = (size_t)snprintf(escaped, sizeof(escaped), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			len = (size_t)snprintf(escaped, sizeof(escaped), "\\x%02x", c);
		/* Keep room for "...", the closing quote and the NUL. */
		if (n + len + 5 > size) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(out + n, escaped, len);
		n += len;
	}
	out[n++] = '"';
	out[n] = '\0';
}

static void quote_value(const json_t *value, char *out, size_t size)
{
	char *text;

	if (json_is_string(value)) {
		quote_text(json_string_value(value), out, size);
		return;
	}
	text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(out, size, "%.*s%s", (int)size - 4, text ? text : "?",
	         text && strlen(text) > size - 4 ? "..." : "");
	free(text);
}

void codec_report(const struct codec_subject *subject, const char *fmt, ...)
{
	char message[512], name[QUOTE_MAX];
	int n;
	va_list ap;

	if (!subject->options || !subject->options->report)
		return;
	/* Quoted, so that a name holding a newline cannot split the report into two lines. */
	quote_text(subject->name, name, sizeof(name));
	n = snprintf(message, sizeof(message), "%s %s: ", subject->kind, name);
	va_start(ap, fmt);
	vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
	va_end(ap);
	subject->options->report(subject->options->report_ctx, message);
}

void codec_report_text(const struct codec_subject *subject, const char *field, const char *text,
                       const char *why, const char *outcome)
{
	char quoted[QUOTE_MAX];

	quote_text(text, quoted, sizeof(quoted));
	codec_report(subject, "%s: invalid value %s: %s; %s", field, quoted, why, outcome);
}

void codec_report_value(const struct codec_subject *subject, const char *field, const json_t *value,
                        const char *why, const char *outcome)
{
	char quoted[QUOTE_MAX];

	quote_value(value, quoted, sizeof(quoted));
	codec_report(subject, "%s: invalid value %s: %s; %s", field, quoted, why, outcome);
}

int mesh_codec_key_decode(const char *text, uint8_t key[MESH_KEY_LEN])
{
	uint8_t bin[MESH_KEY_LEN + 1];
	size_t len = strlen(text), bin_len = 0;
	const char *end = NULL;
	int ret = -EINVAL;

	if (!sodium_base642bin(bin, sizeof(bin), text, len, NULL, &bin_len, &end,
	                       sodium_base64_VARIANT_ORIGINAL) &&
	    end == text + len && bin_len == MESH_KEY_LEN) {
		memcpy(key, bin, MESH_KEY_LEN);
		ret = 0;
	}
	sodium_memzero(bin, sizeof(bin));
	return ret;
}

char *mesh_codec_key_encode(const uint8_t key[MESH_KEY_LEN], char text[45])
{
	return sodium_bin2base64(text, 45, key, MESH_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

/* Go's strconv.ParseInt(text, 10, 64): optional sign, decimal digits only. */
int codec_parse_int64(const char *text, int64_t *value)
{
	const char *digits = text + (text[0] == '-' || text[0] == '+');
	char *end;
	long long v;

	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*value = v;
	return 0;
}

/* metadata.name, which every report needs first. */
int codec_subject_init(struct codec_subject *subject, const char *kind, const json_t *object,
                       const struct mesh_codec_options *options, char *name, size_t size)
{
	const json_t *value = json_object_get(json_object_get(object, "metadata"), "name");
	const char *text = json_string_value(value);

	subject->options = options;
	subject->kind = kind;
	subject->name = "";
	if (!text || !*text || strlen(text) >= size) {
		if (value)
			codec_report_value(subject, "metadata.name", value,
			                   "not a Kubernetes object name", "object ignored");
		else
			codec_report(subject, "metadata.name: missing; object ignored");
		return -EINVAL;
	}
	memcpy(name, text, strlen(text) + 1);
	subject->name = name;
	return 0;
}

/* Adds name to seen; false (and a report) if it was there already. */
static bool first_of_name(json_t *seen, const char *kind, const char *name,
                          const struct mesh_codec_options *options)
{
	struct codec_subject subject = {.options = options, .kind = kind, .name = name};

	if (json_object_get(seen, name)) {
		codec_report(&subject, "listed more than once; later copy ignored");
		return false;
	}
	return json_object_set_new(seen, name, json_true()) == 0;
}

/* Nodes and Peers are listed alike; this is what differs. */
struct kind {
	const char *name;
	size_t size, name_offset;
	int (*decode)(const json_t *object, const struct mesh_codec_options *options, void *item);
	void (*release)(void *item);
};

static int decode_node(const json_t *object, const struct mesh_codec_options *options, void *item)
{
	return mesh_codec_node_decode(object, options, item);
}

static void release_node(void *item)
{
	mesh_node_release(item);
}

static int decode_peer(const json_t *object, const struct mesh_codec_options *options, void *item)
{
	return mesh_codec_peer_decode(object, options, item);
}

static void release_peer(void *item)
{
	mesh_peer_release(item);
}

static const struct kind node_kind = {"node", sizeof(struct mesh_node),
                                      offsetof(struct mesh_node, name), decode_node, release_node};
static const struct kind peer_kind = {"peer", sizeof(struct mesh_peer),
                                      offsetof(struct mesh_peer, name), decode_peer, release_peer};

/* Decodes every object into a new array at *items; the first of a name wins. */
static int decode_all(const json_t *objects, const struct kind *kind,
                      const struct mesh_codec_options *options, void **items, size_t *n)
{
	char *array = calloc(json_array_size(objects) + 1, kind->size);
	json_t *seen = json_object();
	const json_t *object;
	int ret = -ENOMEM;
	size_t i;

	*items = array;
	if (!array || !seen)
		goto out;
	json_array_foreach (objects, i, object) {
		char *item = array + *n * kind->size;

		ret = kind->decode(object, options, item);
		if (ret == -ENOMEM)
			goto out;
		if (ret)
			continue;
		if (first_of_name(seen, kind->name, item + kind->name_offset, options))
			++*n;
		else
			kind->release(item);
	}
	ret = 0;
out:
	json_decref(seen);
	return ret;
}

int mesh_codec_cluster_decode(const json_t *nodes, const json_t *peers,
                              const struct mesh_codec_options *options,
                              struct mesh_cluster *cluster)
{
	void *items;
	int ret;

	memset(cluster, 0, sizeof(*cluster));
	ret = decode_all(nodes, &node_kind, options, &items, &cluster->n_nodes);
	cluster->nodes = items;
	if (!ret) {
		ret = decode_all(peers, &peer_kind, options, &items, &cluster->n_peers);
		cluster->peers = items;
	}
	if (ret)
		mesh_cluster_release(cluster);
	return ret;
}
