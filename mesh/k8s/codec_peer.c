// SPDX-License-Identifier: MIT
/*
 * Peer objects (kilo.squat.ai/v1alpha1) to struct mesh_peer and back. The
 * checks are Kilo's Peer.Validate(), in its order; the first failure rejects
 * the Peer, as Kilo's informer handlers do.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/k8s/codec.h"
#include "mesh/k8s/codec_subject.h"
#include "mesh/model/key.h"

static const char rejected[] = "peer ignored";

static int invalid(const struct codec_subject *peer, const char *field, const json_t *value,
                   const char *why)
{
	codec_report_value(peer, field, value, why, rejected);
	return -EINVAL;
}

static int decode_allowed_ips(const struct codec_subject *subject, const json_t *spec,
                              struct mesh_peer *peer)
{
	const json_t *list = json_object_get(spec, "allowedIPs"), *entry;
	char field[48];
	size_t i;

	if (list && !json_is_array(list) && !json_is_null(list))
		return invalid(subject, "spec.allowedIPs", list, "not a list");
	peer->allowed_ips = calloc(json_array_size(list) + 1, sizeof(*peer->allowed_ips));
	if (!peer->allowed_ips)
		return -ENOMEM;
	json_array_foreach (list, i, entry) {
		snprintf(field, sizeof(field), "spec.allowedIPs[%zu]", i);
		if (!json_is_string(entry) ||
		    mesh_prefix_parse(json_string_value(entry), &peer->allowed_ips[i]))
			return invalid(subject, field, entry, "not a CIDR");
	}
	peer->n_allowed_ips = json_array_size(list);
	return 0;
}

static bool is_optional_string(const json_t *value)
{
	return !value || json_is_string(value) || json_is_null(value);
}

/* Either name may be given; a DNS name wins, as in Kilo's translatePeer. */
static int decode_endpoint(const struct codec_subject *subject, const json_t *spec,
                           struct mesh_peer *peer)
{
	const json_t *endpoint = json_object_get(spec, "endpoint");
	const json_t *names = json_object_get(endpoint, "dnsOrIP");
	const json_t *dns = json_object_get(names, "dns"), *ip = json_object_get(names, "ip");
	const json_t *port = json_object_get(endpoint, "port");
	json_int_t number = json_integer_value(port);

	if (!endpoint || json_is_null(endpoint))
		return 0;
	if (!json_is_object(endpoint) || (names && !json_is_object(names) && !json_is_null(names)))
		return invalid(subject, "spec.endpoint", endpoint, "not an endpoint object");
	if (!is_optional_string(dns) || !is_optional_string(ip))
		return invalid(subject, "spec.endpoint.dnsOrIP", names,
		               "dns and ip must be strings");
	if (!json_string_length(dns) && !json_string_length(ip))
		return invalid(subject, "spec.endpoint.dnsOrIP", names ? names : endpoint,
		               "either an endpoint DNS name or IP address must be given");
	if (json_string_length(dns) && !mesh_dns_name_is_valid(json_string_value(dns)))
		return invalid(subject, "spec.endpoint.dnsOrIP.dns", dns,
		               "not a DNS-1123 subdomain");
	if (json_string_length(ip) && ip_addr_parse(json_string_value(ip), &peer->endpoint.ip))
		return invalid(subject, "spec.endpoint.dnsOrIP.ip", ip, "not an IP address");
	if (!json_is_integer(port) || number < 1 || number > 65535)
		return invalid(subject, "spec.endpoint.port", port ? port : json_null(),
		               "must be a UDP port 1..65535");
	peer->endpoint.port = (uint16_t)number;
	if (json_string_length(dns)) {
		strcpy(peer->endpoint.dns, json_string_value(dns));
		memset(&peer->endpoint.ip, 0, sizeof(peer->endpoint.ip));
	}
	return 0;
}

static int decode_keepalive(const struct codec_subject *subject, const json_t *spec,
                            struct mesh_peer *peer)
{
	const json_t *value = json_object_get(spec, "persistentKeepalive");

	if (!value || json_is_null(value))
		return 0;
	/* WireGuard carries the interval in 16 bits; Kilo only checks >= 0. */
	if (!json_is_integer(value) || json_integer_value(value) < 0 ||
	    json_integer_value(value) > 65535)
		return invalid(subject, "spec.persistentKeepalive", value,
		               "must be a number of seconds 0..65535");
	peer->persistent_keepalive = (uint32_t)json_integer_value(value);
	return 0;
}

static int decode_keys(const struct codec_subject *subject, const json_t *spec,
                       struct mesh_peer *peer)
{
	const json_t *public_key = json_object_get(spec, "publicKey");
	const json_t *preshared_key = json_object_get(spec, "presharedKey");

	if (!json_is_string(public_key) ||
	    mesh_key_decode(json_string_value(public_key), peer->public_key))
		return invalid(subject, "spec.publicKey", public_key ? public_key : json_null(),
		               "not a base64-encoded 32-byte WireGuard key");
	if (!is_optional_string(preshared_key))
		return invalid(subject, "spec.presharedKey", preshared_key, "not a string");
	/* Kilo treats an unparsable preshared key as none; never echo the secret. */
	if (json_string_length(preshared_key) &&
	    mesh_key_decode(json_string_value(preshared_key), peer->preshared_key))
		codec_report(subject, "spec.presharedKey: not a base64-encoded 32-byte key; "
		                      "treated as absent");
	return 0;
}

int mesh_codec_peer_decode(const json_t *object, const struct mesh_codec_options *options,
                           struct mesh_peer *peer)
{
	struct codec_subject subject;
	const json_t *spec;
	int ret;

	memset(peer, 0, sizeof(*peer));
	ret = codec_subject_init(&subject, "peer", object, options, peer->name, sizeof(peer->name));
	if (ret)
		return ret;
	spec = json_object_get(object, "spec");
	if (!json_is_object(spec))
		ret = invalid(&subject, "spec", spec ? spec : json_null(), "not an object");
	if (!ret)
		ret = decode_allowed_ips(&subject, spec, peer);
	if (!ret)
		ret = decode_endpoint(&subject, spec, peer);
	if (!ret)
		ret = decode_keepalive(&subject, spec, peer);
	if (!ret)
		ret = decode_keys(&subject, spec, peer);
	if (ret) {
		sodium_memzero(peer->preshared_key, sizeof(peer->preshared_key));
		mesh_peer_release(peer);
	}
	return ret;
}

static json_t *encode_endpoint(const struct mesh_endpoint *endpoint)
{
	char addr[IP_ADDR_STRLEN];
	json_t *names;

	if (endpoint->dns[0])
		names = json_pack("{ss}", "dns", endpoint->dns);
	else
		names = json_pack("{ss}", "ip", ip_addr_format(&endpoint->ip, addr));
	return json_pack("{s:o, s:i}", "dnsOrIP", names, "port", (int)endpoint->port);
}

static json_t *encode_allowed_ips(const struct mesh_peer *peer)
{
	char cidr[MESH_PREFIX_STRLEN];
	json_t *list = json_array();

	for (size_t i = 0; list && i < peer->n_allowed_ips; i++) {
		if (json_array_append_new(
		        list, json_string(mesh_prefix_format(&peer->allowed_ips[i], cidr)))) {
			json_decref(list);
			list = NULL;
		}
	}
	return list;
}

static json_t *encode_spec(const struct mesh_peer *peer)
{
	char key[45] = "", psk[45] = "";
	json_t *spec = json_object();
	int err = !spec;

	if (mesh_key_is_set(peer->preshared_key))
		mesh_key_encode(peer->preshared_key, psk);
	if (mesh_key_is_set(peer->public_key))
		mesh_key_encode(peer->public_key, key);
	err = err || json_object_set_new(spec, "allowedIPs", encode_allowed_ips(peer));
	if (!err && mesh_endpoint_is_set(&peer->endpoint))
		err = json_object_set_new(spec, "endpoint", encode_endpoint(&peer->endpoint));
	if (!err && peer->persistent_keepalive)
		err = json_object_set_new(spec, "persistentKeepalive",
		                          json_integer(peer->persistent_keepalive));
	err = err || json_object_set_new(spec, "presharedKey", json_string(psk)) ||
	      json_object_set_new(spec, "publicKey", json_string(key));
	sodium_memzero(psk, sizeof(psk));
	if (err) {
		json_decref(spec);
		spec = NULL;
	}
	return spec;
}

/* Field order of Kilo's Go types, as its JSON serializer prints them. */
json_t *mesh_codec_peer_encode(const struct mesh_peer *peer)
{
	return json_pack("{s:s, s:s, s:{s:s, s:n}, s:o}", "kind", "Peer", "apiVersion",
	                 "kilo.squat.ai/v1alpha1", "metadata", "name", peer->name,
	                 "creationTimestamp", "spec", encode_spec(peer));
}
