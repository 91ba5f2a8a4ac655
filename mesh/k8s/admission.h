/* SPDX-License-Identifier: MIT */
/*
 * Kilo's validating admission webhook for Peers (cmd/kg/webhook.go) as a
 * pure function: the Content-Type and body of a POST /validate in, the
 * verdict out. No I/O, no clock; the HTTPS server is cmd/kg's.
 *
 * The body must be JSON (Content-Type exactly application/json, as Kilo
 * checks) holding an admission.k8s.io/v1 AdmissionReview whose request has a
 * uid, an operation (CREATE, UPDATE, DELETE, CONNECT) and an object; anything
 * else is status 400 and a message naming what is wrong, as Kilo's
 * http.Error answers.
 *
 * The object is allowed iff the agent would take it as written:
 * mesh_codec_peer_decode() accepts it without a single report. So the rules
 * are the agent's own (Kilo's Peer.Validate() plus WireGuard's keepalive
 * limit), and a preshared key that is not a key, which the agent would drop
 * with a warning, is denied too. A denial carries the codec's report, which
 * names the Peer, the field and the value, without the agent's outcome
 * ("; peer ignored") and never with the preshared key.
 *
 * The answer to a well-formed review is status 200 and an AdmissionReview v1
 * with response.uid echoed, allowed, and for a denial status.message, in the
 * field order of Kilo's Go types.
 */
#ifndef MESH_ADMISSION_H
#define MESH_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#define MESH_ADMISSION_MESSAGE_MAX 512

enum mesh_admission_operation {
	MESH_ADMISSION_CREATE,
	MESH_ADMISSION_UPDATE,
	MESH_ADMISSION_DELETE,
	MESH_ADMISSION_CONNECT,
	MESH_ADMISSION_OPERATIONS
};

/* "CREATE", "UPDATE", "DELETE", "CONNECT", as request.operation spells them. */
extern const char *const mesh_admission_operations[MESH_ADMISSION_OPERATIONS];

struct mesh_admission_verdict {
	int status;    /* 200, or 400 for a request that is no review */
	bool allowed;  /* 200 only */
	int operation; /* an enum mesh_admission_operation; -1 unless 200 */
	/* Why it was denied (200) or refused (400); "" when allowed. */
	char message[MESH_ADMISSION_MESSAGE_MAX];
	char *response; /* 200: the AdmissionReview to send (heap, NUL-ended) */
	size_t len;
};

/*
 * 0 and a verdict, or -ENOMEM (nothing to release). content_type may be
 * NULL (header absent); body need not be NUL-terminated.
 */
int mesh_admission_review(const char *content_type, const char *body, size_t len,
                          struct mesh_admission_verdict *verdict);
void mesh_admission_verdict_release(struct mesh_admission_verdict *verdict);

#endif /* MESH_ADMISSION_H */
