// SPDX-License-Identifier: MIT
/*
 * Endpoints between the mesh and the engine: an IP endpoint survives the
 * trip to a socket address and back, and a socket address the trip to a
 * mesh endpoint and back; what is not an endpoint stays none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "mesh/host/wg_endpoint.h"

static void round_trip(const char *text)
{
	struct mesh_endpoint endpoint, back;
	union wg_endpoint address;
	char err[128] = "", out[MESH_ENDPOINT_STRLEN];

	assert_int_equal(mesh_endpoint_parse(text, &endpoint), 0);
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &address, err, sizeof(err)), 0);
	assert_int_equal(address.sa.sa_family, endpoint.ip.family);
	mesh_wg_endpoint_to_mesh(&address, &back);
	assert_true(mesh_endpoint_equal(&back, &endpoint));
	assert_string_equal(mesh_endpoint_format(&back, out), text);
}

static void test_ip_endpoints_survive_the_round_trip(void **state)
{
	(void)state;
	round_trip("192.0.2.1:51820");
	round_trip("[2001:db8::7]:4242");
	round_trip("10.0.0.1:1");
	round_trip("[::ffff:192.0.2.9]:65535");
}

static void test_socket_addresses_survive_the_round_trip(void **state)
{
	union wg_endpoint v4 = {0}, v6 = {0}, back;
	struct mesh_endpoint endpoint;
	char err[128] = "";

	(void)state;
	v4.in.sin_family = AF_INET;
	v4.in.sin_port = htons(40000);
	v4.in.sin_addr.s_addr = inet_addr("81.2.3.4");
	mesh_wg_endpoint_to_mesh(&v4, &endpoint);
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &back, err, sizeof(err)), 0);
	assert_memory_equal(&back.in, &v4.in, sizeof(v4.in));
	v6.in6.sin6_family = AF_INET6;
	v6.in6.sin6_port = htons(7);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &v6.in6.sin6_addr), 1);
	mesh_wg_endpoint_to_mesh(&v6, &endpoint);
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &back, err, sizeof(err)), 0);
	assert_memory_equal(&back.in6, &v6.in6, sizeof(v6.in6));
}

static void test_no_endpoint_stays_none(void **state)
{
	const union wg_endpoint unset = {0};
	struct mesh_endpoint endpoint, none = {0};
	union wg_endpoint address;
	char err[128] = "";

	(void)state;
	mesh_wg_endpoint_to_mesh(&unset, &endpoint);
	assert_memory_equal(&endpoint, &none, sizeof(none));
	assert_false(mesh_endpoint_is_set(&endpoint));
	assert_int_equal(mesh_wg_endpoint_from_mesh(&none, &address, err, sizeof(err)), 0);
	assert_int_equal(address.sa.sa_family, AF_UNSPEC);
	/* An address without a port is no endpoint either. */
	assert_int_equal(mesh_endpoint_parse("192.0.2.1:51820", &endpoint), 0);
	endpoint.port = 0;
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &address, err, sizeof(err)), 0);
	assert_int_equal(address.sa.sa_family, AF_UNSPEC);
}

static void test_dns_name_comes_back_as_its_address(void **state)
{
	struct mesh_endpoint endpoint, back;
	union wg_endpoint address;
	char err[128] = "", out[MESH_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(mesh_endpoint_parse("localhost:51999", &endpoint), 0);
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &address, err, sizeof(err)), 0);
	mesh_wg_endpoint_to_mesh(&address, &back);
	assert_string_equal(mesh_endpoint_format(&back, out), "127.0.0.1:51999");
	assert_int_equal(mesh_endpoint_parse("no-such-host.invalid:51820", &endpoint), 0);
	assert_int_equal(mesh_wg_endpoint_from_mesh(&endpoint, &address, err, sizeof(err)),
	                 -EHOSTUNREACH);
	assert_non_null(strstr(err, "no-such-host.invalid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ip_endpoints_survive_the_round_trip),
	    cmocka_unit_test(test_socket_addresses_survive_the_round_trip),
	    cmocka_unit_test(test_no_endpoint_stays_none),
	    cmocka_unit_test(test_dns_name_comes_back_as_its_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
