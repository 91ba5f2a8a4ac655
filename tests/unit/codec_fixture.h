/* SPDX-License-Identifier: MIT */
/*
 * What the codec's tests (test_codec*.c) share: the codec options, whose
 * reports are collected in order and checked with assert_reports(); Nodes and
 * Peers built over a valid base; the fixtures' clusters; model values as text.
 */
#ifndef CODEC_FIXTURE_H
#define CODEC_FIXTURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/k8s/codec.h"
#include "mesh/model/model.h"

#define KEY_AWS_1 "66HI7cRXT21aHM2wb1GjtGkt3WOCupR2o+PV3MmMAUA="
#define KEY_EDGE_1 "y2ICdBTCqbugf0JxwPmtroS1V87d+ZbvP6Mn0aNRTiw="
#define KEY_PHONE "AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM="
#define PSK_PHONE "ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ="

/* Reports go to reports, in order; codec_setup() empties it. */
extern const struct mesh_codec_options options;
extern json_t *reports;

int codec_setup(void **state);
int codec_teardown(void **state);
/* The reports since the last call are exactly expected, in order; then none are left. */
void assert_reports(const char *const *expected, size_t n);

/* Text of a value, in a static buffer (prefix_text has four, key_text two, in turn). */
const char *prefix_text(const struct mesh_prefix *prefix);
const char *endpoint_text(const struct mesh_endpoint *endpoint);
const char *key_text(const uint8_t key[MESH_KEY_LEN]);

/* A cluster file of tests/unit/fixtures, decoded. */
void decode_fixture(const char *name, struct mesh_cluster *cluster);
void assert_prefixes_equal(const struct mesh_prefix *a, size_t na, const struct mesh_prefix *b,
                           size_t nb);

/* Node "n" with a valid base set of annotations plus (or overriding) extra. */
json_t *node_object(const char *extra_json);
void decode_node(const char *extra_json, struct mesh_node *node);
/* Node name with the base annotations plus extra, and spec as given (JSON). */
json_t *node_with_spec(const char *name, const char *spec_json, const char *extra_json);
void decode_with_spec(const char *spec_json, const char *extra_json, struct mesh_node *node);
/* Peer "p" with spec (JSON). */
json_t *peer_object(const char *spec_json);

/* One annotation, one value, the one report it must give (NULL: none). */
struct bad_annotation {
	const char *json;
	const char *report;
};

/* Each test starts with no reports, even after another one failed. */
#define CODEC_TEST(f) cmocka_unit_test_setup_teardown(f, codec_setup, codec_teardown)

#endif /* CODEC_FIXTURE_H */
