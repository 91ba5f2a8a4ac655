/* SPDX-License-Identifier: MIT */
/*
 * Private to the codec (codec_node.c): kilo.squat.ai/tunnel-health into
 * node->health. Absent: MESH_HEALTH_ABSENT (not our agent). Present, even
 * "" or a value it cannot read (reported): at least MESH_HEALTH_UNKNOWN.
 */
#ifndef MESH_CODEC_HEALTH_H
#define MESH_CODEC_HEALTH_H

#include <jansson.h>

#include "mesh/k8s/codec_subject.h"
#include "mesh/model/model.h"

void codec_decode_health(const struct codec_subject *subject, const json_t *annotations,
                         struct mesh_node *node);

#endif /* MESH_CODEC_HEALTH_H */
