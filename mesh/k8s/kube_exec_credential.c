// SPDX-License-Identifier: MIT
/*
 * The ExecCredential an exec plugin gets (KUBERNETES_EXEC_INFO) and the one
 * it prints, and the credential made of it: pure functions, no process.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/k8s/kube_exec.h"
#include "mesh/model/wipe.h"

int mesh_kube_exec_interactive(enum mesh_kube_exec_mode mode, bool terminal, bool *interactive)
{
	switch (mode) {
	case MESH_KUBE_EXEC_NEVER:
		*interactive = false;
		return 0;
	case MESH_KUBE_EXEC_IF_AVAILABLE:
		*interactive = terminal;
		return 0;
	case MESH_KUBE_EXEC_ALWAYS:
		*interactive = true;
		return terminal ? 0 : -ENOTTY;
	}
	return -EINVAL;
}

static json_t *cluster_with_ca(const json_t *cluster, const unsigned char *ca, size_t ca_len)
{
	json_t *copy = json_deep_copy(cluster);
	size_t size = sodium_base64_encoded_len(ca_len, sodium_base64_VARIANT_ORIGINAL);
	char *base64;

	if (!copy || !ca_len)
		return copy;
	base64 = malloc(size);
	if (!base64 ||
	    json_object_set_new(copy, "certificate-authority-data",
	                        json_string(sodium_bin2base64(base64, size, ca, ca_len,
	                                                      sodium_base64_VARIANT_ORIGINAL)))) {
		json_decref(copy);
		copy = NULL;
	}
	free(base64);
	return copy;
}

char *mesh_kube_exec_input(const struct mesh_kube_exec_config *config, bool interactive,
                           const unsigned char *ca, size_t ca_len)
{
	json_t *spec = json_pack("{s:b}", "interactive", interactive), *credential, *cluster;
	char *text = NULL;

	if (spec && config->cluster) {
		cluster = cluster_with_ca(config->cluster, ca, ca_len);
		if (!cluster || json_object_set_new(spec, "cluster", cluster)) {
			json_decref(spec);
			return NULL;
		}
	}
	credential = spec ? json_pack("{s:s,s:s,s:o}", "kind", "ExecCredential", "apiVersion",
	                              config->api_version, "spec", spec)
	                  : NULL;
	if (credential)
		text = json_dumps(credential, JSON_COMPACT);
	json_decref(credential);
	return text;
}

/* n decimal digits at text, stopping at a NUL. */
static bool digits(const char *text, int n, int *value)
{
	*value = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)text[i]))
			return false;
		*value = *value * 10 + (text[i] - '0');
	}
	return true;
}

static int days_in(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100) || year % 400 == 0;

	return days[month - 1] + (month == 2 && leap);
}

/* RFC 3339 date-time, as Go's time.RFC3339 reads it; fractions of a second are dropped. */
static int parse_time(const char *text, time_t *t)
{
	int year, month, day, hour, minute, second, offset = 0, off_h, off_m;
	const char *p = text + 19;
	struct tm tm = {0};

	if (!digits(text, 4, &year) || text[4] != '-' || !digits(text + 5, 2, &month) ||
	    text[7] != '-' || !digits(text + 8, 2, &day) || (text[10] != 'T' && text[10] != 't') ||
	    !digits(text + 11, 2, &hour) || text[13] != ':' || !digits(text + 14, 2, &minute) ||
	    text[16] != ':' || !digits(text + 17, 2, &second))
		return -EINVAL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &off_h) && p[3] == ':' &&
	           digits(p + 4, 2, &off_m) && off_h < 24 && off_m < 60) {
		offset = (*p == '-' ? -1 : 1) * (off_h * 60 + off_m) * 60;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p || month < 1 || month > 12 || day < 1 || day > days_in(year, month) || hour > 23 ||
	    minute > 59 || second > 59)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	*t = timegm(&tm) - offset;
	/* 0 means "no expiry": a time that long ago is just as expired at 1. */
	if (*t <= 0)
		*t = 1;
	return 0;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* status.field as a string; "" and null count as absent, as Go's zero value. */
static int status_string(const json_t *status, const char *field, const char **value, char *err,
                         size_t errlen)
{
	const json_t *v = json_object_get(status, field);

	*value = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, errlen, "status.%s: not a string", field);
	if (json_string_length(v))
		*value = json_string_value(v);
	return 0;
}

/* The header line "Authorization: Bearer TOKEN" must stay one line of text. */
static bool printable(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static char *copy_bytes(const char *data, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, data, len);
		copy[len] = '\0';
	}
	return copy;
}

static int take_status(const json_t *status, struct mesh_kube_credential *credential, char *err,
                       size_t errlen)
{
	const char *token, *cert, *key, *expiry;
	int ret = status_string(status, "token", &token, err, errlen);

	if (!ret)
		ret = status_string(status, "clientCertificateData", &cert, err, errlen);
	if (!ret)
		ret = status_string(status, "clientKeyData", &key, err, errlen);
	if (!ret)
		ret = status_string(status, "expirationTimestamp", &expiry, err, errlen);
	if (ret)
		return ret;
	if (!token && !cert && !key)
		return bad(err, errlen,
		           "status has no token and no clientCertificateData and clientKeyData");
	if (!cert != !key)
		return bad(err, errlen, "status.%s without status.%s",
		           cert ? "clientCertificateData" : "clientKeyData",
		           cert ? "clientKeyData" : "clientCertificateData");
	if (token && !printable(token))
		return bad(err, errlen, "status.token: holds control characters");
	if (cert && !strstr(cert, "-----BEGIN "))
		return bad(err, errlen, "status.clientCertificateData: not PEM");
	if (key && !strstr(key, "-----BEGIN "))
		return bad(err, errlen, "status.clientKeyData: not PEM");
	if (expiry && parse_time(expiry, &credential->expiry))
		return bad(err, errlen, "status.expirationTimestamp \"%.64s\": not RFC 3339",
		           expiry);
	if (token && !(credential->token = strdup(token)))
		return -ENOMEM;
	if (cert) {
		credential->cert_len = strlen(cert);
		credential->key_len = strlen(key);
		credential->cert = copy_bytes(cert, credential->cert_len);
		credential->key = copy_bytes(key, credential->key_len);
		if (!credential->cert || !credential->key)
			return -ENOMEM;
	}
	return 0;
}

static int check_kind(const json_t *root, const char *api_version, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(root, "kind"));
	const char *version = json_string_value(json_object_get(root, "apiVersion"));

	if (!kind)
		return bad(err, errlen, "stdout has no kind (ExecCredential)");
	if (strcmp(kind, "ExecCredential"))
		return bad(err, errlen, "kind is \"%.64s\", not ExecCredential", kind);
	if (!version)
		return bad(err, errlen, "stdout has no apiVersion (%s asked for)", api_version);
	if (strcmp(version, api_version))
		return bad(err, errlen, "apiVersion is \"%.64s\", not the %s asked for", version,
		           api_version);
	return 0;
}

static bool blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || !text[i])
			return false;
	return true;
}

int mesh_kube_exec_parse(const char *api_version, const char *out, size_t len,
                         struct mesh_kube_credential *credential, char *err, size_t errlen)
{
	const json_t *status;
	json_error_t error;
	json_t *root;
	int ret;

	memset(credential, 0, sizeof(*credential));
	root = json_loadb(out, len, 0, &error);
	if (!root) {
		/* Not error.text: jansson quotes the bytes near the fault, a token's perhaps. */
		if (blank(out, len))
			ret = bad(err, errlen, "printed nothing on stdout");
		else
			ret = bad(err, errlen, "stdout is not JSON (line %d, column %d)",
			          error.line, error.column);
		sodium_memzero(&error, sizeof(error));
		return ret;
	}
	status = json_object_get(root, "status");
	if (!json_is_object(root))
		ret = bad(err, errlen, "stdout is not a JSON object");
	else
		ret = check_kind(root, api_version, err, errlen);
	if (!ret && (!status || json_is_null(status)))
		ret = bad(err, errlen, "stdout has no status");
	else if (!ret && !json_is_object(status))
		ret = bad(err, errlen, "status: not an object");
	if (!ret)
		ret = take_status(status, credential, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (ret)
		mesh_kube_credential_release(credential);
	json_decref(root);
	return ret;
}

bool mesh_kube_credential_fresh(const struct mesh_kube_credential *credential, time_t now)
{
	return !credential->expiry || now < credential->expiry;
}

int mesh_kube_credential_copy(const struct mesh_kube_credential *from,
                              struct mesh_kube_credential *to)
{
	*to = *from;
	to->token = from->token ? strdup(from->token) : NULL;
	to->cert = from->cert ? copy_bytes(from->cert, from->cert_len) : NULL;
	to->key = from->key ? copy_bytes(from->key, from->key_len) : NULL;
	if ((from->token && !to->token) || (from->cert && !to->cert) || (from->key && !to->key)) {
		mesh_kube_credential_release(to);
		return -ENOMEM;
	}
	return 0;
}

void mesh_kube_credential_release(struct mesh_kube_credential *credential)
{
	mesh_wipe_free(credential->token, credential->token ? strlen(credential->token) : 0);
	mesh_wipe_free(credential->cert, credential->cert_len);
	mesh_wipe_free(credential->key, credential->key_len);
	memset(credential, 0, sizeof(*credential));
}
