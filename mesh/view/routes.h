/* SPDX-License-Identifier: MIT */
/*
 * Routes and policy rules as data (Kilo's Topology.Routes and PeerRoutes).
 *
 * Every route is "proto static"; a device is named by its role (the
 * WireGuard interface, the interface holding the private IP, the IPIP
 * tunnel) and the agent maps roles to interface indexes. Table 0 means the
 * main table; encapsulation routes and their rules use table 1107.
 * Leaders route other segments through kilo0 to the segment's WireGuard IP;
 * non-leaders send everything through their leader (its private IP; with
 * flannel the address of its pod CIDR; with Cilium its cilium_host address,
 * else that of its pod CIDR), through the tunnel as --encapsulate decides.
 * With Cilium and --local=false a leader sends what comes from WireGuard for
 * a member's host IP back through the tunnel to the member's cilium_host
 * address (table 1107). In a dual-stack or IPv6 mesh every route keeps to
 * its destination's family (gateway and source alike); IPIP and the add-on
 * overlays carry IPv4 only, so IPv6 goes to a member's or the leader's IPv6
 * private IP unencapsulated. Lists are owned by struct mesh_routes and
 * released with mesh_routes_release().
 */
#ifndef MESH_ROUTES_H
#define MESH_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/model.h"
#include "mesh/view/topology.h"

#define MESH_ROUTE_TABLE 1107 /* Kilo's kiloTableIndex */
#define MESH_ROUTE_STRLEN 256

enum mesh_route_device {
	MESH_DEVICE_KILO = 0, /* the WireGuard interface (kilo0) */
	MESH_DEVICE_PRIVATE,  /* the interface holding the private IP */
	MESH_DEVICE_TUNNEL,   /* the tunnel: tunl0, flannel.1 with flannel, maybe cilium_tunl */
};

struct mesh_route {
	struct mesh_prefix destination;
	struct ip_addr gateway; /* unset = directly on the device */
	struct ip_addr source;  /* unset = no preferred source */
	enum mesh_route_device device;
	bool onlink;
	uint32_t table; /* 0 = main */
};

struct mesh_rule {
	struct mesh_prefix source;      /* unset = from all */
	struct mesh_prefix destination; /* unset = to all */
	bool from_kilo;                 /* iif <kilo interface> */
	uint32_t table;
};

struct mesh_routes {
	struct mesh_route *routes;
	size_t n_routes;
	struct mesh_rule *rules;
	size_t n_rules;
};

struct mesh_routes_options {
	enum mesh_encapsulate encapsulate;
	enum mesh_compatibility compatibility; /* whose overlay: the gateways and the tunnel */
	bool local;                            /* --local: manage routes inside the location */
};

/* Names used when printing routes and rules. */
struct mesh_route_devices {
	const char *kilo, *private_iface, *tunnel;
};

/* Routes and rules of the local node of the topology. */
int mesh_routes_build(const struct mesh_topology *topology,
                      const struct mesh_routes_options *options, struct mesh_routes *routes);

/*
 * Routes of a host joined as Peer peer_name (kgctl connect): every segment
 * through its WireGuard IP on kilo0, the other Peers directly on kilo0, and
 * extra through the first segment.
 */
int mesh_routes_for_peer(const struct mesh_topology *topology, const char *peer_name,
                         const struct mesh_prefix *extra, size_t n_extra,
                         struct mesh_routes *routes);

/*
 * The address of the IPIP tunnel: the first IP of the local IPv4 pod CIDR as
 * a host prefix (10.2.1.0/24 gives 10.2.1.1/32). -ENOENT without an IPv4 pod
 * CIDR, -ENOSPC if it has no first IP.
 */
int mesh_routes_tunnel_address(const struct mesh_topology *topology, struct mesh_prefix *address);

void mesh_routes_release(struct mesh_routes *routes);

/* "10.2.0.0/24 via 10.4.0.1 dev kilo0 onlink src 192.168.0.1 table 1107" */
char *mesh_route_format(const struct mesh_route *route, const struct mesh_route_devices *devices,
                        char buf[MESH_ROUTE_STRLEN]);
/* "from 10.2.1.0/24 to 192.168.0.2/32 iif kilo0 lookup 1107" */
char *mesh_rule_format(const struct mesh_rule *rule, const struct mesh_route_devices *devices,
                       char buf[MESH_ROUTE_STRLEN]);

#endif /* MESH_ROUTES_H */
