// SPDX-License-Identifier: MIT
/*
 * Read the wg(8) INI form back, following wireguard-tools' config.c closely
 * enough to judge what mesh/view/ini.c renders.
 */
#include "ini_parse.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mesh/model/key.h"

enum section { SECTION_NONE, SECTION_INTERFACE, SECTION_PEER };

struct parser {
	struct mesh_wg_config *config;
	enum section section;
	unsigned line;
	char *err;
	size_t err_size;
};

static int parse_error(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int parse_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err_size)
		return -EINVAL;
	n = snprintf(p->err, p->err_size, "line %u: ", p->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->err_size)
		vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_number(const char *text, unsigned max, uint32_t *value)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*value = (uint32_t)v;
	return 0;
}

static struct mesh_wg_peer *current_peer(struct parser *p)
{
	return &p->config->peers[p->config->n_peers - 1];
}

/* "10.0.0.0/8,fd00::1": a bare address is a single host, as in wg(8). */
static int parse_allowed_ips(struct parser *p, char *value)
{
	struct mesh_wg_peer *peer = current_peer(p);
	char *entry, *save = NULL;

	for (entry = strtok_r(value, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
		struct mesh_prefix prefix;
		struct ip_addr addr;
		void *grown;

		if (!ip_addr_parse(entry, &addr))
			prefix = mesh_prefix_host(&addr);
		else if (mesh_prefix_parse(entry, &prefix))
			return parse_error(p, "AllowedIPs: invalid value \"%s\": not a CIDR",
			                   entry);
		grown = realloc(peer->allowed_ips, (peer->n_allowed_ips + 1) * sizeof(prefix));
		if (!grown)
			return -ENOMEM;
		peer->allowed_ips = grown;
		peer->allowed_ips[peer->n_allowed_ips++] = prefix;
	}
	return 0;
}

static int parse_peer_key(struct parser *p, const char *key, char *value)
{
	struct mesh_wg_peer *peer = current_peer(p);
	uint32_t keepalive = 0;

	if (!strcasecmp(key, "AllowedIPs"))
		return parse_allowed_ips(p, value);
	if (!strcasecmp(key, "PresharedKey")) {
		/* Never echo a secret back in an error. */
		if (mesh_key_decode(value, peer->preshared_key))
			return parse_error(p, "PresharedKey: not a base64-encoded 32-byte key");
		return 0;
	}
	if (!strcasecmp(key, "PublicKey")) {
		if (mesh_key_decode(value, peer->public_key))
			return parse_error(p, "PublicKey: invalid value \"%s\"", value);
		return 0;
	}
	if (!strcasecmp(key, "Endpoint")) {
		if (mesh_endpoint_parse(value, &peer->endpoint))
			return parse_error(p, "Endpoint: invalid value \"%s\"", value);
		return 0;
	}
	if (!strcasecmp(key, "PersistentKeepalive")) {
		if (strcasecmp(value, "off") && parse_number(value, 65535, &keepalive))
			return parse_error(p, "PersistentKeepalive: invalid value \"%s\"", value);
		peer->persistent_keepalive = keepalive;
		return 0;
	}
	return parse_error(p, "[Peer] has no key \"%s\"", key);
}

static int parse_interface_key(struct parser *p, const char *key, const char *value)
{
	uint32_t port;

	if (!strcasecmp(key, "PrivateKey"))
		return parse_error(p, "PrivateKey: not kept by this parser");
	if (strcasecmp(key, "ListenPort"))
		return parse_error(p, "[Interface] has no key \"%s\"", key);
	if (parse_number(value, 65535, &port))
		return parse_error(p, "ListenPort: invalid value \"%s\"", value);
	p->config->listen_port = (uint16_t)port;
	return 0;
}

static int finish_peer(struct parser *p)
{
	if (p->section == SECTION_PEER && !mesh_key_is_set(current_peer(p)->public_key))
		return parse_error(p, "a [Peer] section has no PublicKey");
	return 0;
}

static int start_section(struct parser *p, const char *header)
{
	struct mesh_wg_config *config = p->config;
	void *grown;
	int ret = finish_peer(p);

	if (ret)
		return ret;
	if (!strcasecmp(header, "[Interface]")) {
		config->has_interface = true;
		p->section = SECTION_INTERFACE;
		return 0;
	}
	if (strcasecmp(header, "[Peer]"))
		return parse_error(p, "unknown section \"%s\"", header);
	grown = realloc(config->peers, (config->n_peers + 1) * sizeof(*config->peers));
	if (!grown)
		return -ENOMEM;
	config->peers = grown;
	memset(&config->peers[config->n_peers++], 0, sizeof(*config->peers));
	p->section = SECTION_PEER;
	return 0;
}

/* wg(8) drops every blank character and everything after '#'. */
static void strip_line(char *line)
{
	size_t n = 0;

	for (char *c = line; *c && *c != '#'; c++)
		if (!isspace((unsigned char)*c))
			line[n++] = *c;
	line[n] = '\0';
}

static int parse_line(struct parser *p, char *line)
{
	char *value;

	strip_line(line);
	if (!*line)
		return 0;
	if (*line == '[')
		return start_section(p, line);
	value = strchr(line, '=');
	if (!value)
		return parse_error(p, "expected Key = Value");
	*value++ = '\0';
	if (p->section == SECTION_INTERFACE)
		return parse_interface_key(p, line, value);
	if (p->section == SECTION_PEER)
		return parse_peer_key(p, line, value);
	return parse_error(p, "\"%s\" outside of any section", line);
}

int ini_parse(const char *text, struct mesh_wg_config *config, char *err, size_t err_size)
{
	struct parser p = {.config = config, .err = err, .err_size = err_size};
	char *copy = strdup(text), *rest = copy, *line;
	int ret = copy ? 0 : -ENOMEM;

	memset(config, 0, sizeof(*config));
	while (!ret && (line = strsep(&rest, "\n"))) {
		p.line++;
		ret = parse_line(&p, line);
	}
	if (!ret)
		ret = finish_peer(&p);
	if (copy) {
		sodium_memzero(copy, strlen(text));
		free(copy);
	}
	if (ret)
		mesh_wgconfig_release(config);
	return ret;
}
