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
	char message[512];
	int n;
	va_list ap;

	if (!subject->options || !subject->options->report)
		return;
	n = snprintf(message, sizeof(message), "%s \"%s\": ", subject->kind, subject->name);
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

static int decode_nodes(const json_t *objects, const struct mesh_codec_options *options,
                        struct mesh_cluster *cluster, json_t *seen)
{
	const json_t *object;
	size_t i;
	int ret;

	cluster->nodes = calloc(json_array_size(objects) + 1, sizeof(*cluster->nodes));
	if (!cluster->nodes)
		return -ENOMEM;
	json_array_foreach (objects, i, object) {
		struct mesh_node *node = &cluster->nodes[cluster->n_nodes];

		ret = mesh_codec_node_decode(object, options, node);
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			continue;
		if (first_of_name(seen, "node", node->name, options))
			cluster->n_nodes++;
		else
			mesh_node_release(node);
	}
	return 0;
}

static int decode_peers(const json_t *objects, const struct mesh_codec_options *options,
                        struct mesh_cluster *cluster, json_t *seen)
{
	const json_t *object;
	size_t i;
	int ret;

	cluster->peers = calloc(json_array_size(objects) + 1, sizeof(*cluster->peers));
	if (!cluster->peers)
		return -ENOMEM;
	json_array_foreach (objects, i, object) {
		struct mesh_peer *peer = &cluster->peers[cluster->n_peers];

		ret = mesh_codec_peer_decode(object, options, peer);
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			continue;
		if (first_of_name(seen, "peer", peer->name, options))
			cluster->n_peers++;
		else
			mesh_peer_release(peer);
	}
	return 0;
}

int mesh_codec_cluster_decode(const json_t *nodes, const json_t *peers,
                              const struct mesh_codec_options *options,
                              struct mesh_cluster *cluster)
{
	json_t *node_names = json_object(), *peer_names = json_object();
	int ret = -ENOMEM;

	memset(cluster, 0, sizeof(*cluster));
	if (node_names && peer_names) {
		ret = decode_nodes(nodes, options, cluster, node_names);
		if (!ret)
			ret = decode_peers(peers, options, cluster, peer_names);
	}
	json_decref(node_names);
	json_decref(peer_names);
	if (ret)
		mesh_cluster_release(cluster);
	return ret;
}
