// SPDX-License-Identifier: MIT
/*
 * Render the wg(8) INI form of a WireGuard configuration, following Kilo's
 * pkg/wireguard/conf.go byte for byte.
 */
#include "mesh/view/ini.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "mesh/model/key.h"

static void render_peer(FILE *out, const struct mesh_wg_peer *peer)
{
	char text[MESH_ENDPOINT_STRLEN > 45 ? MESH_ENDPOINT_STRLEN : 45];
	char cidr[MESH_PREFIX_STRLEN];

	fputs("[Peer]\n", out);
	for (size_t i = 0; i < peer->n_allowed_ips; i++)
		fprintf(out, "%s%s", i ? ", " : "AllowedIPs = ",
		        mesh_prefix_format(&peer->allowed_ips[i], cidr));
	if (peer->n_allowed_ips)
		fputc('\n', out);
	if (mesh_endpoint_is_set(&peer->endpoint))
		fprintf(out, "Endpoint = %s\n", mesh_endpoint_format(&peer->endpoint, text));
	fprintf(out, "PersistentKeepalive = %u\n", peer->persistent_keepalive);
	if (mesh_key_is_set(peer->preshared_key))
		fprintf(out, "PresharedKey = %s\n", mesh_key_encode(peer->preshared_key, text));
	sodium_memzero(text, sizeof(text));
	if (mesh_key_is_set(peer->public_key))
		fprintf(out, "PublicKey = %s\n", mesh_key_encode(peer->public_key, text));
}

char *mesh_ini_render(const struct mesh_wg_config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	if (config->has_interface)
		fprintf(out, "[Interface]\nListenPort = %u\n", config->listen_port);
	for (size_t i = 0; i < config->n_peers; i++) {
		/* Kilo separates sections by a blank line, but starts without one. */
		if (i || config->has_interface)
			fputc('\n', out);
		render_peer(out, &config->peers[i]);
	}
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}
