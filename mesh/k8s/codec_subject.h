/* SPDX-License-Identifier: MIT */
/*
 * Private to the codec (codec.c, codec_node.c, codec_peer.c, codec_health.c): the object a
 * report is about, the report helpers and the small parsers they share.
 */
#ifndef MESH_CODEC_SUBJECT_H
#define MESH_CODEC_SUBJECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/k8s/codec.h"

struct codec_subject {
	const struct mesh_codec_options *options;
	const char *kind; /* "node" or "peer" */
	const char *name;
};

/* Reads metadata.name into name[size]; -EINVAL (reported) if unusable. */
int codec_subject_init(struct codec_subject *subject, const char *kind, const json_t *object,
                       const struct mesh_codec_options *options, char *name, size_t size);

void codec_report(const struct codec_subject *subject, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "<kind> "<name>": <field>: invalid value <value>: <why>; <outcome>" */
void codec_report_text(const struct codec_subject *subject, const char *field, const char *text,
                       const char *why, const char *outcome);
void codec_report_value(const struct codec_subject *subject, const char *field, const json_t *value,
                        const char *why, const char *outcome);

int codec_parse_int64(const char *text, int64_t *value);

#endif /* MESH_CODEC_SUBJECT_H */
