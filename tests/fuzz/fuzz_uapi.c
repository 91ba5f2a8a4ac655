// SPDX-License-Identifier: MIT
/*
 * fuzz_uapi.c - the body of a UAPI `set` request (wg/uapi.h), one line per '\n', as the UAPI
 * server feeds it: lines holding a NUL byte never reach the parser there, so they don't here.
 *
 * Promises checked: a failed request names its error; a finished one holds only what
 * wg_device_configure() can take (known families, prefix lengths within them, endpoints with a
 * family), with every peer's allowed IPs inside the request's own arrays.
 */
#include <errno.h>

#include "fuzz.h"
#include "wg/uapi.h"

static void check_allowed_ip(const struct wg_allowed_ip *ip)
{
	FUZZ_CHECK(ip->family == AF_INET || ip->family == AF_INET6);
	FUZZ_CHECK(ip->cidr <= (ip->family == AF_INET ? 32 : 128));
}

static void check_peer(const struct wg_peer_config *peer)
{
	size_t i;

	if (peer->flags & WG_PEER_HAS_ENDPOINT)
		FUZZ_CHECK(peer->endpoint.sa.sa_family == AF_INET ||
		           peer->endpoint.sa.sa_family == AF_INET6);
	if (!(peer->flags & WG_PEER_HAS_KEEPALIVE))
		FUZZ_CHECK(peer->persistent_keepalive_interval == 0);
	for (i = 0; i < peer->n_allowed_ips; i++)
		check_allowed_ip(&peer->allowed_ips[i].ip);
}

static void check_config(const struct wg_config *config)
{
	size_t i;

	FUZZ_CHECK(config->n_peers == 0 || config->peers);
	for (i = 0; i < config->n_peers; i++)
		check_peer(&config->peers[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *config;
	const uint8_t *line = data, *end;
	char *text;
	int ret;

	while (line < data + size) {
		end = memchr(line, '\n', (size_t)(data + size - line));
		if (!end)
			end = data + size;
		if (!memchr(line, '\0', (size_t)(end - line))) {
			text = fuzz_string(line, (size_t)(end - line));
			if (text)
				wg_uapi_set_line(&req, text);
			free(text);
		}
		line = end + 1;
	}
	ret = wg_uapi_set_finish(&req, &config);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -EPROTO || ret == -ENOMEM);
		FUZZ_CHECK(*wg_uapi_set_error(&req) != '\0');
	} else {
		check_config(config);
	}
	wg_uapi_set_free(&req);
	return 0;
}
