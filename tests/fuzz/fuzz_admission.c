// SPDX-License-Identifier: MIT
/*
 * fuzz_admission.c - mesh_admission_review() on a POST /validate body: the input, whole, with
 * Content-Type application/json.
 *
 * Promises checked: the status is 200 or 400; a 400 carries a message and nothing to send; a 200
 * carries an AdmissionReview v1 that echoes the request's uid and says allowed as the verdict
 * does, with the reason as status.message iff denied; every message is one line of printable
 * ASCII and never quotes the Peer's preshared key.
 */
#include "fuzz.h"
#include "fuzz_json.h"
#include "mesh/k8s/admission.h"

/* request.object.spec.presharedKey of the body, if no message may quote it. */
static const char *preshared_key(const json_t *body)
{
	const json_t *request = json_object_get(body, "request");
	const json_t *spec = json_object_get(json_object_get(request, "object"), "spec");
	const char *psk = json_string_value(json_object_get(spec, "presharedKey"));

	return fuzz_json_is_lone_secret(body, psk) ? psk : NULL;
}

static void check_message(const char *message, const char *psk)
{
	for (const char *c = message; *c; c++)
		FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);
	FUZZ_CHECK(!psk || !strstr(message, psk));
}

static void check_answer(const struct mesh_admission_verdict *verdict, const json_t *body)
{
	json_t *sent = json_loads(verdict->response, 0, NULL);
	const json_t *response = json_object_get(sent, "response");
	const json_t *uid = json_object_get(json_object_get(body, "request"), "uid");
	const json_t *status = json_object_get(response, "status");

	FUZZ_CHECK(sent && verdict->len == strlen(verdict->response));
	FUZZ_CHECK(verdict->operation >= 0 && verdict->operation < MESH_ADMISSION_OPERATIONS);
	FUZZ_CHECK(
	    !strcmp(json_string_value(json_object_get(sent, "apiVersion")), "admission.k8s.io/v1"));
	FUZZ_CHECK(json_equal(json_object_get(response, "uid"), uid));
	FUZZ_CHECK(json_is_true(json_object_get(response, "allowed")) == verdict->allowed);
	FUZZ_CHECK(verdict->allowed == !verdict->message[0]);
	FUZZ_CHECK(verdict->allowed ? !status
	                            : !strcmp(json_string_value(json_object_get(status, "message")),
	                                      verdict->message));
	json_decref(sent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_admission_verdict verdict;
	json_t *body = json_loadb((const char *)data, size, 0, NULL);

	if (mesh_admission_review("application/json", (const char *)data, size, &verdict))
		goto out;
	FUZZ_CHECK(verdict.status == 200 || verdict.status == 400);
	check_message(verdict.message, preshared_key(body));
	if (verdict.status == 400)
		FUZZ_CHECK(verdict.message[0] && !verdict.response && verdict.operation == -1);
	else
		check_answer(&verdict, body);
	mesh_admission_verdict_release(&verdict);
out:
	json_decref(body);
	return 0;
}
