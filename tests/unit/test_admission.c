// SPDX-License-Identifier: MIT
/* mesh/admission: Kilo's Peer validation webhook, bytes in, verdict out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mesh/k8s/admission.h"

#define JSON "application/json"
#define KEY "GY5aT1N9dTR/nJnT1N2f4ClZWVj0jOAld0r8ysWLyjg="
#define UID "705ab4f5-6393-11e8-b7cc-42010a800002"
/* Looks like a key, is not one (33 bytes): the agent would drop it. */
#define BAD_PSK "ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQAAA=="
#define GOOD_SPEC "\"allowedIPs\": [\"10.5.0.1/32\"], \"publicKey\": \"" KEY "\""

static struct mesh_admission_verdict verdict;

static int teardown(void **state)
{
	(void)state;
	mesh_admission_verdict_release(&verdict);
	return 0;
}

/* An AdmissionReview v1 of operation on a Peer named "squat" with spec (JSON members). */
static const char *review_of(const char *operation, const char *spec)
{
	static char body[4096];

	snprintf(body, sizeof(body),
	         "{\"kind\": \"AdmissionReview\", \"apiVersion\": \"admission.k8s.io/v1\", "
	         "\"request\": {\"uid\": \"" UID "\", \"operation\": \"%s\", \"object\": "
	         "{\"apiVersion\": \"kilo.squat.ai/v1alpha1\", \"kind\": \"Peer\", "
	         "\"metadata\": {\"name\": \"squat\"}, \"spec\": {%s}}}}",
	         operation, spec);
	return body;
}

static void review(const char *content_type, const char *body)
{
	mesh_admission_verdict_release(&verdict);
	assert_int_equal(mesh_admission_review(content_type, body, strlen(body), &verdict), 0);
}

/* Denied, and the reply to send says why in response.status.message. */
static void assert_denied(const char *spec, const char *message)
{
	json_t *sent, *status;

	review(JSON, review_of("CREATE", spec));
	assert_int_equal(verdict.status, 200);
	assert_false(verdict.allowed);
	assert_string_equal(verdict.message, message);
	sent = json_loads(verdict.response, 0, NULL);
	status = json_object_get(json_object_get(sent, "response"), "status");
	assert_string_equal(json_string_value(json_object_get(status, "message")), message);
	json_decref(sent);
}

static void assert_refused(const char *content_type, const char *body, const char *message)
{
	review(content_type, body);
	assert_int_equal(verdict.status, 400);
	assert_null(verdict.response);
	assert_int_equal(verdict.operation, -1);
	if (!strstr(verdict.message, message))
		fail_msg("message \"%s\" does not say \"%s\"", verdict.message, message);
}

static void test_valid_peer_is_allowed_with_uid_echoed(void **state)
{
	(void)state;
	review(JSON, review_of("CREATE", GOOD_SPEC ", \"persistentKeepalive\": 10"));
	assert_int_equal(verdict.status, 200);
	assert_true(verdict.allowed);
	assert_int_equal(verdict.operation, MESH_ADMISSION_CREATE);
	assert_string_equal(verdict.message, "");
	assert_string_equal(verdict.response, "{\"kind\":\"AdmissionReview\",\"apiVersion\":"
	                                      "\"admission.k8s.io/v1\",\"response\":{\"uid\":"
	                                      "\"" UID "\",\"allowed\":true}}");
	assert_int_equal(verdict.len, strlen(verdict.response));
}

static void test_peer_with_every_field_is_allowed_on_update(void **state)
{
	(void)state;
	review(JSON,
	       review_of("UPDATE", GOOD_SPEC ", \"endpoint\": {\"dnsOrIP\": {\"dns\": "
	                                     "\"vpn.example.com\"}, \"port\": 51820}, "
	                                     "\"persistentKeepalive\": 0, \"presharedKey\": "
	                                     "\"ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ=\""));
	assert_true(verdict.allowed);
	assert_int_equal(verdict.operation, MESH_ADMISSION_UPDATE);
}

static void test_invalid_peer_is_denied_with_the_field_and_value(void **state)
{
	(void)state;
	assert_denied("\"allowedIPs\": [\"10.5.0.1\"], \"publicKey\": \"" KEY "\"",
	              "peer \"squat\": spec.allowedIPs[0]: invalid value \"10.5.0.1\": not a CIDR");
	assert_denied(GOOD_SPEC ", \"endpoint\": {\"dnsOrIP\": {\"ip\": \"1.2.3.4\"}, \"port\": 0}",
	              "peer \"squat\": spec.endpoint.port: invalid value 0: must be a UDP port "
	              "1..65535");
	assert_denied(GOOD_SPEC ", \"endpoint\": {\"port\": 51820}",
	              "peer \"squat\": spec.endpoint.dnsOrIP: invalid value {\"port\":51820}: "
	              "either an endpoint DNS name or IP address must be given");
	assert_denied(
	    GOOD_SPEC ", \"persistentKeepalive\": -1",
	    "peer \"squat\": spec.persistentKeepalive: invalid value -1: must be a number "
	    "of seconds 0..65535");
	assert_denied("\"allowedIPs\": [], \"publicKey\": \"c2hvcnQ=\"",
	              "peer \"squat\": spec.publicKey: invalid value \"c2hvcnQ=\": not a "
	              "base64-encoded 32-byte WireGuard key");
}

static void test_denial_is_an_admission_review_with_status_message(void **state)
{
	(void)state;
	assert_denied("\"publicKey\": \"\"", "peer \"squat\": spec.publicKey: invalid value \"\": "
	                                     "not a base64-encoded 32-byte WireGuard key");
	assert_string_equal(verdict.response,
	                    "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\","
	                    "\"response\":{\"uid\":\"" UID "\",\"allowed\":false,\"status\":{"
	                    "\"metadata\":{},\"message\":\"peer \\\"squat\\\": spec.publicKey: "
	                    "invalid value \\\"\\\": not a base64-encoded 32-byte WireGuard "
	                    "key\"}}}");
	assert_int_equal(verdict.operation, MESH_ADMISSION_CREATE);
}

/* The agent would run the peer without its preshared key; here the operator hears of it. */
static void test_bad_preshared_key_is_denied_and_never_quoted(void **state)
{
	(void)state;
	assert_denied(GOOD_SPEC ", \"presharedKey\": \"" BAD_PSK "\"",
	              "peer \"squat\": spec.presharedKey: not a base64-encoded 32-byte key");
	assert_null(strstr(verdict.response, BAD_PSK));
}

static void test_nameless_peer_is_denied(void **state)
{
	const char *body = "{\"kind\": \"AdmissionReview\", \"apiVersion\": "
	                   "\"admission.k8s.io/v1\", \"request\": {\"uid\": \"u\", \"operation\": "
	                   "\"CREATE\", \"object\": {\"spec\": {}}}}";

	(void)state;
	review(JSON, body);
	assert_false(verdict.allowed);
	assert_string_equal(verdict.message, "peer \"\": metadata.name: missing");
}

static void test_content_type_must_be_json(void **state)
{
	const char *body = review_of("CREATE", GOOD_SPEC);

	(void)state;
	assert_refused("text/plain", body,
	               "received Content-Type=text/plain, expected application/json");
	assert_refused(NULL, body, "received Content-Type=, expected application/json");
	/* Kilo compares the whole header. */
	assert_refused("application/json; charset=utf-8", body, "expected application/json");
}

static void test_body_that_is_not_a_v1_review_is_refused(void **state)
{
	(void)state;
	assert_refused(JSON, "", "Request could not be decoded: ");
	assert_refused(JSON, "{\"kind\": ", "Request could not be decoded: ");
	assert_refused(JSON, "[1, 2]",
	               "only API v1 is supported: got apiVersion missing, kind missing");
	assert_refused(JSON,
	               "{\"kind\": \"AdmissionReview\", \"apiVersion\": "
	               "\"admission.k8s.io/v1beta1\", \"request\": {}}",
	               "only API v1 is supported: got apiVersion \"admission.k8s.io/v1beta1\", "
	               "kind \"AdmissionReview\"");
}

static void test_review_without_a_usable_request_is_refused(void **state)
{
	static const char head[] =
	    "{\"kind\": \"AdmissionReview\", \"apiVersion\": \"admission.k8s.io/v1\", ";
	char body[512];

	(void)state;
	snprintf(body, sizeof(body), "%s\"response\": {}}", head);
	assert_refused(JSON, body, "request: invalid value missing: not an admission request");
	snprintf(body, sizeof(body), "%s\"request\": {\"operation\": \"CREATE\"}}", head);
	assert_refused(JSON, body, "request.uid: invalid value missing: not a UID");
	snprintf(body, sizeof(body), "%s\"request\": {\"uid\": \"u\", \"operation\": \"EAT\"}}",
	         head);
	assert_refused(JSON, body, "request.operation: invalid value \"EAT\": not CREATE, UPDATE");
	snprintf(body, sizeof(body),
	         "%s\"request\": {\"uid\": \"u\", \"operation\": \"DELETE\", \"object\": null}}",
	         head);
	assert_refused(JSON, body,
	               "could not unmarshal extension to peer spec: request.object: invalid value "
	               "null: not an object");
}

static void test_messages_are_one_printable_line(void **state)
{
	(void)state;
	assert_refused("text/\x01plain\r\n", review_of("CREATE", GOOD_SPEC),
	               "received Content-Type=text/?plain??, expected");
	review(JSON, review_of("CREATE", "\"allowedIPs\": [\"\\n\\u00e9\"], \"publicKey\": \"\""));
	assert_string_equal(verdict.message,
	                    "peer \"squat\": spec.allowedIPs[0]: invalid value \"\\x0a??\": not a "
	                    "CIDR");
}

static void test_long_values_are_cut(void **state)
{
	char body[2048], value[1024];

	(void)state;
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(body, sizeof(body),
	         "{\"kind\": \"AdmissionReview\", \"apiVersion\": \"admission.k8s.io/v1\", "
	         "\"request\": {\"uid\": \"%s\"}}",
	         value);
	assert_refused(JSON, body, "request.operation: invalid value missing");
	snprintf(body, sizeof(body), "{\"kind\": \"%s\"}", value);
	assert_refused(JSON, body, "vvv...");
	assert_true(strlen(verdict.message) < 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_valid_peer_is_allowed_with_uid_echoed, teardown),
	    cmocka_unit_test_teardown(test_peer_with_every_field_is_allowed_on_update, teardown),
	    cmocka_unit_test_teardown(test_invalid_peer_is_denied_with_the_field_and_value,
	                              teardown),
	    cmocka_unit_test_teardown(test_denial_is_an_admission_review_with_status_message,
	                              teardown),
	    cmocka_unit_test_teardown(test_bad_preshared_key_is_denied_and_never_quoted, teardown),
	    cmocka_unit_test_teardown(test_nameless_peer_is_denied, teardown),
	    cmocka_unit_test_teardown(test_content_type_must_be_json, teardown),
	    cmocka_unit_test_teardown(test_body_that_is_not_a_v1_review_is_refused, teardown),
	    cmocka_unit_test_teardown(test_review_without_a_usable_request_is_refused, teardown),
	    cmocka_unit_test_teardown(test_messages_are_one_printable_line, teardown),
	    cmocka_unit_test_teardown(test_long_values_are_cut, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
